package dev.tfkit.docker;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.GetModelStatus.ModelVersionStatus;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;

/**
 * Polls TF Serving's ModelService.GetModelStatus until every model has an AVAILABLE version and
 * none is still loading; fails fast, naming the model, when a version ends with an error.
 */
final class ModelStatusWaiter {
  private ModelStatusWaiter() {}

  static final Duration POLL = Duration.ofMillis(250);

  /**
   * Waits for the models.
   *
   * @param stillRunning false once the server process has gone (then waiting is pointless)
   * @param logTail recent server log lines, for error messages
   * @throws IllegalStateException naming the model and its state or error when it fails to load,
   *     when the server stops, or when {@code timeout} passes
   */
  static void awaitAvailable(
      Channel channel,
      List<String> models,
      Duration timeout,
      BooleanSupplier stillRunning,
      Supplier<String> logTail) {
    ModelServiceGrpc.ModelServiceBlockingStub stub = ModelServiceGrpc.newBlockingStub(channel);
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, String> lastSeen = new LinkedHashMap<>();
    List<String> pending = new ArrayList<>(models);
    while (true) {
      for (var it = pending.iterator(); it.hasNext(); ) {
        String name = it.next();
        String state = check(stub, name);
        if (state == null) {
          it.remove();
        } else {
          lastSeen.put(name, state);
        }
      }
      if (pending.isEmpty()) {
        return;
      }
      if (!stillRunning.getAsBoolean()) {
        throw new IllegalStateException(
            "TF Serving stopped before models " + pending + " were AVAILABLE (last status: "
                + lastSeen + ")" + tail(logTail));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "models " + pending + " not AVAILABLE within " + timeout.toSeconds() + " s (last status: "
                + lastSeen + ")" + tail(logTail));
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for models " + pending, e);
      }
    }
  }

  /** Null when the model is ready; otherwise a short description of why not yet. */
  private static String check(ModelServiceGrpc.ModelServiceBlockingStub stub, String name) {
    GetModelStatusResponse response;
    try {
      response = stub.withDeadlineAfter(5, TimeUnit.SECONDS)
          .getModelStatus(GetModelStatusRequest.newBuilder()
              .setModelSpec(ModelSpec.newBuilder().setName(name)).build());
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      // UNAVAILABLE: the server is not listening yet; NOT_FOUND: the model is not loaded yet.
      if (code == Status.Code.UNAVAILABLE || code == Status.Code.NOT_FOUND
          || code == Status.Code.DEADLINE_EXCEEDED) {
        String d = e.getStatus().getDescription();
        return code + (d == null ? "" : " (" + d + ")");
      }
      throw new IllegalStateException(
          "GetModelStatus for model '" + name + "' failed: " + e.getStatus(), e);
    }
    boolean available = false;
    List<String> states = new ArrayList<>();
    for (ModelVersionStatus v : response.getModelVersionStatusList()) {
      states.add(v.getVersion() + ":" + v.getState());
      if (v.getState() == ModelVersionStatus.State.END && v.hasStatus()
          && v.getStatus().getErrorCodeValue() != 0) {
        throw new IllegalStateException(
            "model '" + name + "' version " + v.getVersion() + " failed to load: "
                + v.getStatus().getErrorCode() + " " + v.getStatus().getErrorMessage());
      }
      if (v.getState() == ModelVersionStatus.State.AVAILABLE) {
        available = true;
      }
    }
    boolean loading = response.getModelVersionStatusList().stream()
        .anyMatch(v -> v.getState() == ModelVersionStatus.State.START
            || v.getState() == ModelVersionStatus.State.LOADING);
    return available && !loading ? null : String.join(",", states);
  }

  private static String tail(Supplier<String> logTail) {
    String t = logTail.get();
    return t == null || t.isBlank() ? "" : "; last server log lines:\n" + t;
  }
}
