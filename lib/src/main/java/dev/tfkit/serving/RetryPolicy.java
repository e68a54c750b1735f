package dev.tfkit.serving;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a call is retried when the server is {@code UNAVAILABLE} (not started yet, restarting,
 * a connection refused), with exponential backoff. No other failure is retried: an {@code
 * INVALID_ARGUMENT} would fail again, and a {@code DEADLINE_EXCEEDED} call may have run. Retries
 * never outlive the call's deadline.
 *
 * @param maxAttempts total attempts, 1 for none
 * @param initialBackoff wait before the second attempt
 * @param maxBackoff cap on any one wait
 * @param multiplier growth of the wait per attempt
 */
public record RetryPolicy(
    int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {
  /** Most attempts a policy may ask for: retries are meant for blips, not outages. */
  public static final int MAX_ATTEMPTS = 10;

  /** Validates the bounds. */
  public RetryPolicy {
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
      throw new IllegalArgumentException(
          "retry maxAttempts must be 1.." + MAX_ATTEMPTS + ", got " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "retry backoff must satisfy 0 <= initial <= max, got " + initialBackoff + ", " + maxBackoff);
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("retry multiplier must be >= 1, got " + multiplier);
    }
  }

  /** One attempt: no retries. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0);
  }

  /** The default: 3 attempts, waiting 100 ms then 200 ms (at most 2 s per wait). */
  public static RetryPolicy defaults() {
    return new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(2), 2.0);
  }

  /** {@code maxAttempts} attempts with the default backoff. */
  public static RetryPolicy attempts(int maxAttempts) {
    return new RetryPolicy(maxAttempts, Duration.ofMillis(100), Duration.ofSeconds(2), 2.0);
  }

  /** The wait before attempt {@code attempt + 1}, after {@code attempt} (1-based) failures. */
  Duration backoff(int attempt) {
    double nanos = initialBackoff.toNanos() * Math.pow(multiplier, attempt - 1);
    return Duration.ofNanos((long) Math.min(nanos, maxBackoff.toNanos()));
  }
}
