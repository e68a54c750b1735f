package dev.tfkit.server;

import static dev.tfkit.testing.TestTensors.floatScalar;
import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.server.lifecycle.ServableRequest;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.testing.ServedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.types.TFloat32;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;

/**
 * Deadlines reach TensorFlow: a request whose run outlives the REST timeout or the gRPC deadline
 * is cancelled inside the session (TF's RunOptions.timeout_in_ms), not just answered early. The
 * model's {@code serving_default} dequeues from an empty queue, so it blocks until cancelled;
 * {@code push} enqueues one value and {@code size} reports the queue's length. A dequeue that was
 * still pending would swallow the pushed value (size 0); cancelled ones leave it there (size 1).
 */
class DeadlineTest {
  /** The pause between requests that must read as "lightly loaded" to the run placement. */
  private static final long PACE_NANOS = 3_000_000;

  @TempDir Path tmp;

  private Path blockingModel() {
    return blockingModel(false);
  }

  /**
   * The blocking model; when {@code batchable}, {@code x} is a vector with a free batch dimension
   * and {@code y = x + one dequeued value}, so a merged run dequeues one value for all its rows.
   */
  private Path blockingModel(boolean batchable) {
    String name = batchable ? "batchable" : "blocking";
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var q = tf.withName("queue").io.fifoQueue(List.of(TFloat32.class),
          FifoQueue.sharedName(name), FifoQueue.capacity(64L), FifoQueue.shapes(List.of(Shape.scalar())));
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(batchable ? Shape.of(-1) : Shape.scalar()));
      var got = tf.io.queueDequeue(q, List.of(TFloat32.class));
      // EnsureShape: a scalar statically, so y keeps x's free batch dimension in the signature.
      var one = tf.ensureShape((Operand<TFloat32>) got.components().get(0), Shape.scalar());
      tf.withName("y").math.add(one, x);
      var v = tf.withName("v").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      var push = tf.io.queueEnqueue(q, List.of(v));
      tf.withControlDependencies(List.of(push)).withName("pushed").identity(v);
      tf.withName("n").io.queueSize(q);
      return SavedModelExport.from(g)
          .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
          .signature("push", SignatureSpec.predict().input("v", "v").output("v", "pushed"))
          .signature("size", SignatureSpec.predict().input("v", "v").output("n", "n"))
          .exportTo(tmp.resolve(name + "/1"));
    }
  }

  private static PredictRequest request(String signature, String input, float value) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("blocking").setSignatureName(signature))
        .putInputs(input, floatScalar(value))
        .build();
  }

  @Test
  void timedOutRunsAreCancelledInsideTensorFlow() throws Exception {
    blockingModel();
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("blocking", tmp.resolve("blocking"))
            .grpcPort(0)
            .restPort(0)
            .restTimeout(Duration.ofMillis(200))
            .start()) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      // More timed-out requests than the gateway has HTTP threads: each thread must come back.
      for (int i = 0; i < 12; i++) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(server.restUrl() + "/v1/models/blocking:predict"))
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": {\"x\": 1.0}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(504);
        assertThat(r.body()).contains("Deadline Exceeded");
      }
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        for (int i = 0; i < 3; i++) {
          assertThatThrownBy(() -> stub.withDeadlineAfter(200, TimeUnit.MILLISECONDS).predict(request("", "x", 1f)))
              .isInstanceOfSatisfying(StatusRuntimeException.class,
                  e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
        stub.predict(request("push", "v", 7f));
        PredictResponse size = stub.predict(request("size", "v", 0f));
        assertThat(size.getOutputsOrThrow("n").getIntVal(0))
            .as("a dequeue still pending would have taken the pushed value")
            .isEqualTo(1);
        // The value is there for the next request, which now completes.
        PredictResponse y = stub.withDeadlineAfter(30, TimeUnit.SECONDS).predict(request("", "x", 1f));
        assertThat(y.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(8f);
      }
    }
  }

  @Test
  void aRunOnTheTransportThreadIsCancelledAtItsDeadlineToo() throws Exception {
    blockingModel();
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("blocking", tmp.resolve("blocking"))
            .grpcPort(0)
            .noRest()
            .inlineRunThreshold(Duration.ofMillis(100))
            .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict().withDeadlineAfter(60, TimeUnit.SECONDS);
        // While the queue has values, serving_default is fast: after a window of such runs it
        // runs on the transport thread. The runs are paced: back to back, a run that takes half
        // the round trip reads as load and goes to a worker (seen on a busy machine: 500 us runs,
        // load 0.62), which is the placement rule working, not what this test is about.
        int n = 40;
        for (int i = 0; i < n; i++) {
          stub.predict(request("push", "v", i));
        }
        for (int i = 0; i < n; i++) {
          assertThat(stub.predict(request("", "x", 1f)).getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(i + 1f);
          LockSupport.parkNanos(PACE_NANOS);
        }
        var stats = server.models().peek(ServableRequest.latest("blocking")).orElseThrow().runStats("");
        long inline = stats.inlineRuns();
        assertThat(inline).as("%s", stats).isPositive();
        // The queue is empty now: this run blocks on the transport thread until its deadline.
        assertThatThrownBy(() -> stub.withDeadlineAfter(300, TimeUnit.MILLISECONDS).predict(request("", "x", 1f)))
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        assertThat(stats.inlineRuns()).as("the blocked run was placed inline").isEqualTo(inline + 1);
        stub.predict(request("push", "v", 7f));
        assertThat(stub.predict(request("size", "v", 0f)).getOutputsOrThrow("n").getIntVal(0))
            .as("a dequeue still pending would have taken the pushed value")
            .isEqualTo(1);
      }
    }
  }

  @Test
  void aMergedBatchRunIsCancelledAtTheLatestDeadlineOfItsRequests() throws Exception {
    blockingModel(true);
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("batchable", tmp.resolve("batchable"))
            .grpcPort(0)
            .noRest()
            // A batch of 3 rows runs as soon as both requests (1 + 2 rows) are queued.
            .batching(new BatchingOptions(3, 2_000_000, 1, 100))
            .start()) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        BiFunction<Integer, float[], Future<PredictResponse>> send =
            (deadlineMs, x) ->
                pool.submit(
                    () ->
                        stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                            .predict(
                                PredictRequest.newBuilder()
                                    .setModelSpec(ModelSpec.newBuilder().setName("batchable"))
                                    .putInputs("x", floatVector(x))
                                    .build()));
        Function<String, PredictRequest> named =
            sig -> PredictRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName("batchable").setSignatureName(sig))
                .putInputs("v", floatScalar(0f))
                .build();
        // The queue is empty: the merged run blocks until TensorFlow cancels it.
        var a = send.apply(300, new float[] {1f});
        var b = send.apply(600, new float[] {2f, 3f});
        for (var f : List.of(a, b)) {
          assertThatThrownBy(f::get)
              .hasCauseInstanceOf(StatusRuntimeException.class)
              .cause()
              .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                  .isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        }
        // The server's deadline for b is b's arrival + 600 ms, a little after the client's: give
        // TensorFlow that moment before pushing (without the cancellation the dequeue never ends).
        Thread.sleep(500);
        stub.predict(PredictRequest.newBuilder(named.apply("push")).putInputs("v", floatScalar(10f)).build());
        assertThat(stub.predict(named.apply("size")).getOutputsOrThrow("n").getIntVal(0))
            .as("a merged dequeue still pending would have taken the pushed value")
            .isEqualTo(1);
        assertThat(server.models().peek(ServableRequest.latest("batchable"))
                .orElseThrow().signature("").getOutputsOrThrow("y").getTensorShape().getDim(0).getSize())
            .as("y has a free batch dimension, so the requests were batched")
            .isEqualTo(-1);
        // With values queued, the same pair runs merged: one dequeue (10) for all three rows.
        stub.predict(PredictRequest.newBuilder(named.apply("push")).putInputs("v", floatScalar(20f)).build());
        var c = send.apply(30_000, new float[] {1f});
        var d = send.apply(30_000, new float[] {2f, 3f});
        assertThat(c.get().getOutputsOrThrow("y").getFloatValList()).containsExactly(11f);
        assertThat(d.get().getOutputsOrThrow("y").getFloatValList()).containsExactly(12f, 13f);
        assertThat(stub.predict(named.apply("size")).getOutputsOrThrow("n").getIntVal(0))
            .as("one run served both requests")
            .isEqualTo(1);
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
