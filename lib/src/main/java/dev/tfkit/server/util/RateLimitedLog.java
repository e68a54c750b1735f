package dev.tfkit.server.util;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One-line log records that a client can cause, limited to a few per second for each kind, so a
 * flood of bad requests cannot flood the log. Within each second of a kind the first {@code
 * perSecond} records are written and the rest only counted; the next record written for that kind
 * says how many similar ones were left out before it.
 */
public final class RateLimitedLog {
  private final Logger logger;
  private final int perSecond;
  private final LongSupplier nanoClock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** Counts one kind's records in the current one-second window. */
  private static final class Window {
    long start;

    Window(long start) {
      this.start = start;
    }

    int written;
    long suppressed;
  }

  public RateLimitedLog(Logger logger, int perSecond) {
    this(logger, perSecond, System::nanoTime);
  }

  /** With another clock, for tests of the windows themselves. */
  RateLimitedLog(Logger logger, int perSecond, LongSupplier nanoClock) {
    if (perSecond < 1) throw new IllegalArgumentException("perSecond must be at least 1, got " + perSecond);
    this.logger = logger;
    this.perSecond = perSecond;
    this.nanoClock = nanoClock;
  }

  /**
   * Writes {@code line} (built only when written) as one record without a stack trace, unless this
   * second's quota for {@code kind} is used up; returns whether it was written. Kinds are the
   * caller's fixed names, never request text (each kind keeps a small counter for good).
   */
  public boolean log(Level level, String kind, Supplier<String> line) {
    if (!logger.isLoggable(level)) return false;
    long now = nanoClock.getAsLong();
    long leftOut;
    Window w = windows.computeIfAbsent(kind, k -> new Window(now));
    synchronized (w) {
      if (now - w.start >= 1_000_000_000L) {
        w.start = now;
        w.written = 0;
      }
      if (w.written >= perSecond) {
        w.suppressed++;
        return false;
      }
      w.written++;
      leftOut = w.suppressed;
      w.suppressed = 0;
    }
    String text = line.get();
    if (leftOut > 0) text += " (suppressed " + leftOut + " similar before this)";
    logger.log(level, text);
    return true;
  }
}
