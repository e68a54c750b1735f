package dev.tfkit.server.api;

import dev.tfkit.server.RequestException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
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
      out.onError(Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException());
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
      java.util.concurrent.Executor executor, StreamObserver<T> out, Supplier<T> call, Runnable after) {
    Runnable task =
        io.grpc.Context.current()
            .wrap(
                () -> {
                  try {
                    answer(out, call);
                  } catch (Throwable t) {
                    // answer() maps RuntimeExceptions; anything else must still end the call.
                    out.onError(Status.INTERNAL.withDescription(String.valueOf(t)).asRuntimeException());
                  } finally {
                    after.run();
                  }
                });
    try {
      executor.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
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
        };
    return s.withDescription(e.getMessage()).asRuntimeException();
  }
}
