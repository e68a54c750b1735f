package dev.tfkit.serving;

import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Runs a call under a {@link RetryPolicy}: retried only while the server is {@code UNAVAILABLE},
 * the failure is not permanent (an untrusted certificate stays untrusted), attempts are left and
 * the next wait fits in the call's deadline. Blocking calls sleep between attempts; asynchronous
 * ones are rescheduled on one shared daemon timer.
 */
final class Retrying {
  private static final ScheduledExecutorService SCHEDULER = scheduler();

  private Retrying() {}

  /** Runs {@code call}; a failure that is not retried becomes {@code error(failure, attempts)}. */
  static <R> R run(
      RetryPolicy policy, Deadline deadline, Supplier<R> call,
      BiFunction<StatusRuntimeException, Integer, RuntimeException> error) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        if (!retryable(policy, e, attempt, deadline)) throw error.apply(e, attempt);
        try {
          Thread.sleep(policy.backoff(attempt).toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw error.apply(
              Status.CANCELLED.withDescription("interrupted while waiting to retry").asRuntimeException(),
              attempt);
        }
      }
    }
  }

  /** The asynchronous form of {@link #run}. */
  static <R> CompletableFuture<R> runAsync(
      RetryPolicy policy, Deadline deadline, Supplier<CompletableFuture<R>> call,
      BiFunction<StatusRuntimeException, Integer, RuntimeException> error) {
    CompletableFuture<R> result = new CompletableFuture<>();
    attempt(policy, deadline, call, error, 1, result);
    return result;
  }

  private static <R> void attempt(
      RetryPolicy policy, Deadline deadline, Supplier<CompletableFuture<R>> call,
      BiFunction<StatusRuntimeException, Integer, RuntimeException> error, int attempt,
      CompletableFuture<R> result) {
    call.get().whenComplete((r, t) -> {
      if (t == null) {
        result.complete(r);
        return;
      }
      Throwable c = t;
      while ((c instanceof CompletionException || c instanceof ExecutionException)
          && c.getCause() != null) {
        c = c.getCause();
      }
      if (c instanceof StatusRuntimeException e) {
        if (retryable(policy, e, attempt, deadline)) {
          SCHEDULER.schedule(
              () -> attempt(policy, deadline, call, error, attempt + 1, result),
              policy.backoff(attempt).toNanos(), TimeUnit.NANOSECONDS);
        } else {
          result.completeExceptionally(error.apply(e, attempt));
        }
      } else {
        result.completeExceptionally(c);
      }
    });
  }

  static boolean retryable(RetryPolicy policy, StatusRuntimeException e, int attempt, Deadline d) {
    if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || attempt >= policy.maxAttempts()
        // a certificate that is not trusted now will not be on the next attempt either
        || ServingModel.tlsFailure(e.getStatus().getCause()) != null
        || ServingModel.altsFailure(e.getStatus()) != null) {
      return false;
    }
    return d == null || d.timeRemaining(TimeUnit.NANOSECONDS) > policy.backoff(attempt).toNanos();
  }

  private static ScheduledExecutorService scheduler() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "tfkit-serving-retry");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    return s;
  }
}
