package dev.tfkit.server.tensorflow;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

/**
 * What the server has seen of the requests to one signature of one loaded version: how many are in flight now, and when
 * the last {@value #WINDOW} started and how long they took. The gRPC transport uses it to decide
 * where a request runs (see {@code dev.tfkit.server.api.RunPlacement}): on the thread that read
 * it when the model is fast and lightly loaded, on a worker otherwise.
 *
 * <p>Lock-free and approximate on purpose: a racing update may make one decision see a slightly
 * stale window, which costs at most one request placed on the other kind of thread.
 */
public final class RunStats {
  /** How many recent requests a decision looks at. */
  public static final int WINDOW = 16;

  /**
   * Above this share of the recent wall time spent running the model, requests go to workers even
   * when each is fast: they arrive back to back, and running them one after another on one
   * transport thread would leave the machine's other cores idle.
   */
  public static final double MAX_INLINE_LOAD = 0.5;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLongArray starts = new AtomicLongArray(WINDOW);
  private final AtomicLongArray durations = new AtomicLongArray(WINDOW);
  private final AtomicInteger recorded = new AtomicInteger();
  private final AtomicLong inlineRuns = new AtomicLong();
  private final BooleanSupplier mayRunInline;
  private volatile String lastInlineThread;

  /**
   * @param mayRunInline false while the version's requests can wait on others (batching): such a
   *     request must never hold the thread that reads the next one
   */
  public RunStats(BooleanSupplier mayRunInline) {
    this.mayRunInline = mayRunInline;
  }

  /**
   * Whether a request arriving at {@code nowNanos} may run on the caller's thread: nothing of this
   * version is in flight, each of the last {@value #WINDOW} requests took less than {@code
   * thresholdNanos}, the model ran less than {@value #MAX_INLINE_LOAD} of the time since the first
   * of them started, and inline runs are allowed. No until {@value #WINDOW} requests were seen.
   */
  public boolean fastAndIdle(long thresholdNanos, long nowNanos) {
    if (thresholdNanos <= 0 || inFlight.get() != 0 || recorded.get() < WINDOW) {
      return false;
    }
    long busy = 0;
    long earliest = nowNanos;
    for (int i = 0; i < WINDOW; i++) {
      long d = durations.get(i);
      if (d >= thresholdNanos) {
        return false;
      }
      busy += d;
      earliest = Math.min(earliest, starts.get(i));
    }
    return busy < MAX_INLINE_LOAD * (nowNanos - earliest) && mayRunInline.getAsBoolean();
  }

  /** A request starts (before it is queued for a worker, so queued ones count as in flight). */
  public void begin() {
    inFlight.incrementAndGet();
  }

  /** A request starts on the thread that read it. */
  public void beginInline() {
    inlineRuns.incrementAndGet();
    lastInlineThread = Thread.currentThread().getName();
    inFlight.incrementAndGet();
  }

  /** The name of the thread the latest inline run ran on, or null (diagnostics and tests). */
  public String lastInlineThread() {
    return lastInlineThread;
  }

  /** How many requests ran on the thread that read them (diagnostics and tests). */
  public long inlineRuns() {
    return inlineRuns.get();
  }

  /** A request begun with {@link #begin} ran from {@code startNanos} for {@code nanos}. */
  public void end(long startNanos, long nanos) {
    int n = recorded.getAndIncrement();
    int slot = Math.floorMod(n, WINDOW);
    starts.set(slot, startNanos);
    durations.set(slot, nanos);
    if (n < 0) {
      // Wrapped after 2^31 requests: keep the window "full".
      recorded.set(WINDOW);
    }
    inFlight.decrementAndGet();
  }

  /** A request begun with {@link #begin} never ran (its worker refused it). */
  public void abandon() {
    inFlight.decrementAndGet();
  }

  /** The window as text: in-flight count, each recent run's duration and the busy share (diagnostics). */
  @Override
  public String toString() {
    long now = System.nanoTime();
    long busy = 0;
    long earliest = now;
    StringBuilder runs = new StringBuilder();
    int n = Math.min(recorded.get(), WINDOW);
    for (int i = 0; i < n; i++) {
      long d = durations.get(i);
      busy += d;
      earliest = Math.min(earliest, starts.get(i));
      runs.append(i == 0 ? "" : ", ").append(d / 1000).append(" us");
    }
    double load = now > earliest ? (double) busy / (now - earliest) : 0;
    return String.format(Locale.ROOT, "RunStats{inFlight=%d, recorded=%d, inline=%d, load=%.2f, runs=[%s]}",
        inFlight.get(), recorded.get(), inlineRuns.get(), load, runs);
  }

  /** Requests in flight now. */
  public int inFlight() {
    return inFlight.get();
  }
}
