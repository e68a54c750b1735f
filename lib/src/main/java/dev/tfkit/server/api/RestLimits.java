package dev.tfkit.server.api;

import java.time.Duration;

/**
 * The limits the REST gateway holds every client to, so that no request, however large, slow or
 * malformed, can take more than its share of memory or keep other clients waiting.
 *
 * @param maxBodyBytes largest request body; a larger one is answered 413 before it is read (from
 *     its {@code Content-Length}) or as soon as it grows past this (chunked)
 * @param maxBodyBytesInFlight largest total of request bodies being read or handled at once; a
 *     request that would go over it is answered 503 (before its body is read when its length is
 *     known). It bounds the gateway's memory: reading a body into tensors takes a few times its size
 * @param maxHeaderBytes longest request line, and largest total of header lines (414 / 431 beyond)
 * @param readTimeout how long a request's headers may take from its first byte, and how long its
 *     body may go without a byte; answered 408 and the connection closed
 * @param idleTimeout how long a kept-alive connection may wait for its next request before it is
 *     closed (an idle connection costs a socket, no thread)
 */
public record RestLimits(
    long maxBodyBytes,
    long maxBodyBytesInFlight,
    int maxHeaderBytes,
    Duration readTimeout,
    Duration idleTimeout) {

  /** 64 MiB: a 1920×1080 RGB image as JSON floats (~60 MB); bigger tensors belong on gRPC. */
  public static final long DEFAULT_MAX_BODY_BYTES = 64L << 20;

  /** The largest Java array: a body is read into one. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** 16 KiB for the request line and for the headers, as common HTTP servers allow. */
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 << 10;

  /** 10 s for headers, and for a body to make progress. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

  /** 2 min for an idle kept-alive connection. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);

  public RestLimits {
    if (maxBodyBytes <= 0 || maxBodyBytes > MAX_ARRAY) {
      // A body is read into one array.
      throw new IllegalArgumentException(
          "rest_max_body_bytes must be 1.." + MAX_ARRAY + ", got " + maxBodyBytes);
    }
    if (maxBodyBytesInFlight < maxBodyBytes) {
      throw new IllegalArgumentException(
          "rest_max_body_bytes_in_flight (" + maxBodyBytesInFlight
              + ") must be at least rest_max_body_bytes (" + maxBodyBytes + ")");
    }
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("maxHeaderBytes must be at least 1024, got " + maxHeaderBytes);
    }
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException("rest_read_timeout must be positive, got " + readTimeout);
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
    }
  }

  /** The defaults, with {@code maxBodyBytesInFlight} from the heap size. */
  public static RestLimits defaults() {
    return of(DEFAULT_MAX_BODY_BYTES, 0, DEFAULT_READ_TIMEOUT);
  }

  /**
   * Limits with the given body size, bodies in flight (0: from the heap, see {@link
   * #defaultInFlight}) and read timeout; the other limits at their defaults.
   */
  public static RestLimits of(long maxBodyBytes, long maxBodyBytesInFlight, Duration readTimeout) {
    return new RestLimits(
        maxBodyBytes,
        maxBodyBytesInFlight == 0 ? defaultInFlight(maxBodyBytes) : maxBodyBytesInFlight,
        DEFAULT_MAX_HEADER_BYTES,
        readTimeout,
        DEFAULT_IDLE_TIMEOUT);
  }

  /**
   * An eighth of the heap, at least one largest body and at most four: turning a body into
   * tensors takes up to ~5× its size (8 bytes per number while reading, then the tensor), so
   * bodies in flight stay well inside the heap.
   */
  public static long defaultInFlight(long maxBodyBytes) {
    long eighth = Runtime.getRuntime().maxMemory() / 8;
    long fourBodies = maxBodyBytes > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 4 * maxBodyBytes;
    return Math.max(maxBodyBytes, Math.min(eighth, fourBodies));
  }

  /** A copy with another idle timeout (tests). */
  public RestLimits withIdleTimeout(Duration d) {
    return new RestLimits(maxBodyBytes, maxBodyBytesInFlight, maxHeaderBytes, readTimeout, d);
  }
}
