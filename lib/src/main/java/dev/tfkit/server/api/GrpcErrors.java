package dev.tfkit.server.api;

import dev.tfkit.server.util.RequestException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/** Runs an API call for a gRPC method and answers with its result or its error's status. */
final class GrpcErrors {
  private GrpcErrors() {}

  static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RequestException e) {
      out.onError(toStatus(e));
      return;
    } catch (RuntimeException | LinkageError e) {
      out.onError(Status.INTERNAL.withDescription(bounded(String.valueOf(e))).asRuntimeException());
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  /**
   * {@link #answer} on {@code executor}, in the caller's gRPC context (its deadline and
   * cancellation); {@code after} runs when the call is done, whatever happened.
   */
  static <T> void answerOn(
      Executor executor, StreamObserver<T> out, Supplier<T> call, Runnable after) {
    Runnable task =
        Context.current()
            .wrap(
                () -> {
                  try {
                    answer(out, call);
                  } catch (Throwable t) {
                    // answer() maps RuntimeExceptions; anything else must still end the call.
                    out.onError(Status.INTERNAL.withDescription(bounded(String.valueOf(t))).asRuntimeException());
                  } finally {
                    after.run();
                  }
                });
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      after.run();
      out.onError(Status.UNAVAILABLE.withDescription("the server is shutting down").asRuntimeException());
    }
  }

  static StatusRuntimeException toStatus(RequestException e) {
    Status s =
        switch (e.code()) {
          case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
          case NOT_FOUND -> Status.NOT_FOUND;
          case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
          case OUT_OF_RANGE -> Status.OUT_OF_RANGE;
          case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
          case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
          case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
          case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
          case UNAVAILABLE -> Status.UNAVAILABLE;
          case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
          case INTERNAL -> Status.INTERNAL;
          case UNKNOWN -> Status.UNKNOWN;
        };
    return s.withDescription(bounded(e.getMessage())).asRuntimeException();
  }

  /**
   * The most characters of a status description sent. The description travels in the {@code
   * grpc-message} trailer, percent-encoded (up to 3 bytes a character), and a trailer past the
   * client's header list limit (8 KiB in grpc-java) turns the answer into an opaque INTERNAL
   * error; messages echo request text through {@link RequestException#echo}, this is the last
   * guard for anything else that grows (a TensorFlow error listing many nodes).
   */
  static final int MAX_DESCRIPTION_CHARS = 2000;

  static String bounded(String description) {
    if (description == null || description.length() <= MAX_DESCRIPTION_CHARS) {
      return description;
    }
    return description.substring(0, MAX_DESCRIPTION_CHARS)
        + "... (" + description.length() + " characters)";
  }
}
