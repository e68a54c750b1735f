package dev.tfkit.server.api;

import dev.tfkit.server.tensorflow.RunStats;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import tensorflow.serving.Model.ModelSpec;

/**
 * Where a gRPC inference request runs. The server's methods are all called on the transport (Netty
 * event loop) thread that read the request (the server runs with grpc-java's direct executor); a
 * request whose signature has been fast (each of its last {@value RunStats#WINDOW} requests under
 * the threshold), lightly loaded (busy less than half the recent wall time) and has nothing else in
 * flight runs right there, and its answer leaves without any thread hand-off. Every other request goes to the worker pool, so a slow model, a batched one, or
 * a stream of back-to-back requests never holds the transport thread and requests still run in
 * parallel on every core.
 *
 * <p>Why: on a small machine a thread hand-off costs tens of microseconds each way — more than a
 * small model's whole run. TF Serving's C++ server also runs a request on the thread that reads it.
 * A threshold of zero sends every request to the workers (grpc-java's usual behaviour).
 */
final class RunPlacement {
  private final ServingApi api;
  private final Executor workers;
  private final long thresholdNanos;

  RunPlacement(ServingApi api, Executor workers, long thresholdNanos) {
    this.api = api;
    this.workers = workers;
    this.thresholdNanos = thresholdNanos;
  }

  /** Answers {@code out} with {@code call}'s result or error, here or on a worker. */
  <T> void run(ModelSpec spec, StreamObserver<T> out, Supplier<T> call) {
    RunStats stats = api.runStats(spec);
    if (stats == null) {
      // No such model or version: the call only builds the error (fast) — unless every request
      // is to go to the workers.
      if (thresholdNanos > 0) {
        GrpcErrors.answer(out, call);
      } else {
        offload(null, out, call);
      }
      return;
    }
    long t0 = System.nanoTime();
    if (stats.fastAndIdle(thresholdNanos, t0)) {
      stats.beginInline();
      try {
        GrpcErrors.answer(out, call);
      } finally {
        stats.end(t0, System.nanoTime() - t0);
      }
      return;
    }
    stats.begin();
    offload(stats, out, call);
  }

  /** Runs {@code call} on a worker; {@code stats} (may be null) learns its run time. */
  private <T> void offload(RunStats stats, StreamObserver<T> out, Supplier<T> call) {
    long[] start = {0};
    GrpcErrors.answerOn(
        workers,
        out,
        () -> {
          start[0] = System.nanoTime();
          return call.get();
        },
        () -> {
          if (stats == null) {
            return;
          }
          if (start[0] == 0) {
            stats.abandon(); // refused by the pool: it never ran
          } else {
            stats.end(start[0], System.nanoTime() - start[0]);
          }
        });
  }
}
