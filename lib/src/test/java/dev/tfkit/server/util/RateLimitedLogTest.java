package dev.tfkit.server.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
  @Test
  void writesAFewPerSecondPerKindAndCountsTheRest() {
    Logger logger = Logger.getAnonymousLogger();
    logger.setUseParentHandlers(false);
    List<String> lines = new CopyOnWriteArrayList<>();
    logger.addHandler(new Handler() {
      @Override public void publish(LogRecord r) { lines.add(r.getMessage()); }
      @Override public void flush() {}
      @Override public void close() {}
    });
    long[] now = {0};
    RateLimitedLog log = new RateLimitedLog(logger, 3, () -> now[0]);
    for (int i = 0; i < 20; i++) log.log(Level.WARNING, "bad", () -> "bad request");
    log.log(Level.WARNING, "other", () -> "other kind");
    assertThat(lines).containsExactly("bad request", "bad request", "bad request", "other kind");
    now[0] += 1_000_000_000L;
    log.log(Level.WARNING, "bad", () -> "bad request");
    assertThat(lines).last().isEqualTo("bad request (suppressed 17 similar before this)");
    log.log(Level.WARNING, "bad", () -> "bad request");
    assertThat(lines).last().isEqualTo("bad request");
  }
}
