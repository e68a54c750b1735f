package dev.tfkit.server.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The inline-placement rule on synthetic timelines (times in nanoseconds, made up, not measured). */
class RunStatsTest {
  private static final long US = 1_000;
  private static final long MS = 1_000_000;

  /** Records {@code n} runs of {@code duration}, one starting every {@code period}, from {@code t}. */
  private static long record(RunStats s, int n, long t, long period, long duration) {
    for (int i = 0; i < n; i++) {
      s.begin();
      s.end(t, duration);
      t += period;
    }
    return t;
  }

  @Test
  void fastSpacedRunsMayRunInlineOnlyOnceTheWindowIsFull() {
    RunStats s = new RunStats(() -> true);
    long t = record(s, RunStats.WINDOW - 1, 0, 200 * US, 30 * US);
    assertThat(s.fastAndIdle(MS, t)).as("15 runs seen").isFalse();
    t = record(s, 1, t, 200 * US, 30 * US);
    assertThat(s.fastAndIdle(MS, t)).as("16 runs of 30 µs every 200 µs").isTrue();
    assertThat(s.fastAndIdle(30 * US, t)).as("threshold not above the runs").isFalse();
    assertThat(s.fastAndIdle(0, t)).as("threshold 0: never").isFalse();
  }

  @Test
  void oneSlowRunInTheWindowSendsRequestsToWorkersUntilItLeavesTheWindow() {
    RunStats s = new RunStats(() -> true);
    long t = record(s, RunStats.WINDOW, 0, 10 * MS, 30 * US);
    t = record(s, 1, t, 10 * MS, 2 * MS);
    assertThat(s.fastAndIdle(MS, t)).isFalse();
    t = record(s, RunStats.WINDOW - 1, t, 10 * MS, 30 * US);
    assertThat(s.fastAndIdle(MS, t)).as("the slow run is still the oldest in the window").isFalse();
    t = record(s, 1, t, 10 * MS, 30 * US);
    assertThat(s.fastAndIdle(MS, t)).isTrue();
  }

  @Test
  void aRequestInFlightSendsTheNextToAWorker() {
    RunStats s = new RunStats(() -> true);
    long t = record(s, RunStats.WINDOW, 0, MS, 30 * US);
    s.begin();
    assertThat(s.inFlight()).isEqualTo(1);
    assertThat(s.fastAndIdle(MS, t)).isFalse();
    s.abandon();
    assertThat(s.inFlight()).isZero();
    assertThat(s.fastAndIdle(MS, t)).isTrue();
  }

  @Test
  void backToBackRunsGoToWorkersAndAPauseBringsThemBack() {
    RunStats s = new RunStats(() -> true);
    // 16 runs of 40 µs every 50 µs: busy 80 % of the time.
    long t = record(s, RunStats.WINDOW, 0, 50 * US, 40 * US);
    assertThat(s.fastAndIdle(MS, t)).isFalse();
    // The same runs seen 2 ms later: busy 640 µs of 2.8 ms.
    assertThat(s.fastAndIdle(MS, t + 2 * MS)).isTrue();
    // Overlapping runs (two workers at once) count twice.
    RunStats parallel = new RunStats(() -> true);
    long u = 0;
    for (int i = 0; i < RunStats.WINDOW / 2; i++) {
      parallel.begin();
      parallel.begin();
      parallel.end(u, 90 * US);
      parallel.end(u, 90 * US);
      u += 100 * US;
    }
    assertThat(parallel.fastAndIdle(MS, u)).isFalse();
  }

  @Test
  void batchedSignaturesNeverRunInline() {
    AtomicBoolean batching = new AtomicBoolean(true);
    RunStats s = new RunStats(() -> !batching.get());
    long t = record(s, RunStats.WINDOW, 0, MS, 30 * US);
    assertThat(s.fastAndIdle(MS, t)).isFalse();
    batching.set(false);
    assertThat(s.fastAndIdle(MS, t)).isTrue();
  }

  @Test
  void inlineRunsAreCounted() {
    RunStats s = new RunStats(() -> true);
    s.beginInline();
    s.end(0, 10 * US);
    s.begin();
    s.end(0, 10 * US);
    assertThat(s.inlineRuns()).isEqualTo(1);
    assertThat(s.inFlight()).isZero();
  }
}
