package dev.tfkit.serving;

import com.google.protobuf.Message;
import dev.tfkit.rest.RestFormat;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import java.util.concurrent.CompletableFuture;

/**
 * One connection to a model server that carries TF Serving's calls as protos: gRPC sends them as
 * they are, REST translates them to and from JSON. Failures are {@link
 * io.grpc.StatusRuntimeException}s (REST maps HTTP statuses to gRPC codes) so that the client's
 * error messages and retries work the same over both. Implementations are thread-safe and shared.
 */
interface Transport {
  /** The address as the user gave it, for messages. */
  String target();

  /** Whether this is the REST transport. */
  boolean isRest();

  /**
   * Makes one call and waits for it.
   *
   * @param deadline when to give up, or {@code null} for never
   * @param format the REST layout (ignored by gRPC)
   */
  <Q extends Message, R extends Message> R call(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format);

  /** Makes one call without blocking; the future fails with a StatusRuntimeException. */
  <Q extends Message, R extends Message> CompletableFuture<R> callAsync(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format);

  /** Releases the connection (called once its last user closes). */
  void shutdown();
}
