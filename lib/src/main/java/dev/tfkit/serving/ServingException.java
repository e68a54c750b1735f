package dev.tfkit.serving;

import io.grpc.Status;

/**
 * A failed call to a model server, carrying the gRPC status code (REST errors are mapped to the
 * same codes) and a message that names the model, version, target and what went wrong: {@code
 * NOT_FOUND} names the model and version asked for, {@code INVALID_ARGUMENT} carries the server's
 * message, {@code DEADLINE_EXCEEDED} the deadline, {@code UNAVAILABLE} the target.
 */
public final class ServingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String target;
  private final String model;
  private final String serverMessage;

  ServingException(
      Status.Code code, String target, String model, String serverMessage, String message,
      Throwable cause) {
    super(message, cause);
    this.code = code;
    this.target = target;
    this.model = model;
    this.serverMessage = serverMessage == null ? "" : serverMessage;
  }

  /** The gRPC status code of the failure (for REST: mapped from the HTTP status). */
  public Status.Code code() {
    return code;
  }

  /** The server address the call went to, e.g. {@code localhost:8500}. */
  public String target() {
    return target;
  }

  /** The model name the call asked for. */
  public String model() {
    return model;
  }

  /** The server's own message (the gRPC status description or the REST {@code error} field). */
  public String serverMessage() {
    return serverMessage;
  }
}
