package dev.tfkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConsoleLoggingTest {
  private static final String FORMAT = "java.util.logging.SimpleFormatter.format";
  private String saved;
  private Level savedGrpcLevel;

  @BeforeEach
  void save() {
    saved = System.getProperty(FORMAT);
    savedGrpcLevel = Logger.getLogger(ConsoleLogging.GRPC_TCP_METRICS_LOGGER).getLevel();
    System.clearProperty(FORMAT);
    Logger.getLogger(ConsoleLogging.GRPC_TCP_METRICS_LOGGER).setLevel(null);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(FORMAT);
    } else {
      System.setProperty(FORMAT, saved);
    }
    Logger.getLogger(ConsoleLogging.GRPC_TCP_METRICS_LOGGER).setLevel(savedGrpcLevel);
  }

  private static String format(String logger, String message) {
    LogRecord r = new LogRecord(Level.INFO, message);
    r.setLoggerName(logger);
    r.setSourceClassName("dev.tfkit.server.lifecycle.ModelManager");
    r.setSourceMethodName("transition");
    return new SimpleFormatter().format(r);
  }

  @Test
  void recordsBecomeOneLineNamingLevelAndLogger() {
    assertThat(format("dev.tfkit.server", "x")).as("the JDK's default: two lines").contains("ModelManager transition\n");
    ConsoleLogging.install();
    String line = format("dev.tfkit.server", "Successfully loaded servable version {name: m version: 1}");
    assertThat(line)
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d INFO dev\\.tfkit\\.server: "
            + "Successfully loaded servable version \\{name: m version: 1\\}\\R")
        .doesNotContain("ModelManager");
  }

  @Test
  void grpcsEpollInfoLineIsQuietButItsWarningsAreNot() {
    Logger tcp = Logger.getLogger(ConsoleLogging.GRPC_TCP_METRICS_LOGGER);
    assertThat(tcp.isLoggable(Level.INFO)).isTrue();
    ConsoleLogging.install();
    assertThat(tcp.isLoggable(Level.INFO)).isFalse();
    assertThat(tcp.isLoggable(Level.WARNING)).isTrue();
    assertThat(Logger.getLogger("io.grpc").isLoggable(Level.INFO)).as("other grpc loggers keep theirs").isTrue();
  }

  @Test
  void aFormatTheUserSetIsKept() {
    System.setProperty(FORMAT, "%5$s%n");
    ConsoleLogging.install();
    assertThat(System.getProperty(FORMAT)).isEqualTo("%5$s%n");
    assertThat(format("dev.tfkit.server", "hello")).isEqualTo("hello" + System.lineSeparator());
  }
}
