package dev.tfkit.server.util;

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
    INTERNAL,
    /** A failure of no known kind (a failed model load's status, never a request's answer). */
    UNKNOWN;

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
        case INTERNAL, UNKNOWN -> 500;
      };
    }
  }

  /**
   * The most characters of one piece of request text (a model, signature, input or label name) that
   * an error message repeats. Errors travel in gRPC's {@code grpc-message} trailer, and a client
   * refuses a trailer larger than its header list limit (8 KiB in grpc-java) with an opaque
   * INTERNAL error, so a long name must not come back whole.
   */
  public static final int MAX_ECHOED_CHARS = 200;

  private final Code code;

  public RequestException(Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public RequestException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * Request text as an error message repeats it: at most {@value #MAX_ECHOED_CHARS} characters
   * (the rest replaced by a count), control characters shown as Java escapes. Every message
   * that names something the client sent goes through this.
   */
  public static String echo(String requestText) {
    return echo(requestText, MAX_ECHOED_CHARS);
  }

  /** {@link #echo(String)} with another limit (for messages that list several names). */
  public static String echo(String requestText, int maxChars) {
    if (requestText == null) {
      return "null";
    }
    int keep = Math.min(requestText.length(), maxChars);
    StringBuilder sb = new StringBuilder(keep + 32);
    for (int i = 0; i < keep; i++) {
      char c = requestText.charAt(i);
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (requestText.length() > keep) {
      sb.append("... (").append(requestText.length()).append(" characters)");
    }
    return sb.toString();
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
