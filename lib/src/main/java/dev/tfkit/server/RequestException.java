package dev.tfkit.server;

import java.util.Objects;

/**
 * An error the server answers a request with: a canonical code (the gRPC/TensorFlow status codes
 * TF Serving uses) and a message worded like TF Serving's, so the gRPC and REST layers only map it.
 * This is the server side; a client sees the same failure as {@link
 * dev.tfkit.serving.ServingException}.
 */
public final class RequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The canonical status codes the server uses (same names and meanings as gRPC's). */
  public enum Code {
    INVALID_ARGUMENT,
    NOT_FOUND,
    FAILED_PRECONDITION,
    OUT_OF_RANGE,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    RESOURCE_EXHAUSTED,
    DEADLINE_EXCEEDED,
    UNAVAILABLE,
    UNIMPLEMENTED,
    INTERNAL;

    /** The HTTP status TF Serving's REST API answers this code with. */
    public int httpStatus() {
      return switch (this) {
        case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
        case UNAUTHENTICATED -> 401;
        case PERMISSION_DENIED -> 403;
        case NOT_FOUND -> 404;
        case RESOURCE_EXHAUSTED -> 429;
        case DEADLINE_EXCEEDED -> 504;
        case UNAVAILABLE -> 503;
        case UNIMPLEMENTED -> 501;
        case INTERNAL -> 500;
      };
    }
  }

  private final Code code;

  public RequestException(Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public RequestException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public Code code() {
    return code;
  }

  public static RequestException invalidArgument(String message) {
    return new RequestException(Code.INVALID_ARGUMENT, message);
  }

  public static RequestException notFound(String message) {
    return new RequestException(Code.NOT_FOUND, message);
  }

  public static RequestException failedPrecondition(String message) {
    return new RequestException(Code.FAILED_PRECONDITION, message);
  }

  public static RequestException internal(String message, Throwable cause) {
    return new RequestException(Code.INTERNAL, message, cause);
  }
}
