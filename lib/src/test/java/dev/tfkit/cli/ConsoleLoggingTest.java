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
  private static final Logger ROOT = Logger.getLogger("");
  private static final Logger TFKIT = Logger.getLogger("dev.tfkit");
  private String saved;
  private Level savedRoot;
  private Level savedTfkit;

  @BeforeEach
  void save() {
    saved = System.getProperty(FORMAT);
    savedRoot = ROOT.getLevel();
    savedTfkit = TFKIT.getLevel();
    System.clearProperty(FORMAT);
    ROOT.setLevel(Level.INFO);
    TFKIT.setLevel(null);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(FORMAT);
    } else {
      System.setProperty(FORMAT, saved);
    }
    ROOT.setLevel(savedRoot);
    TFKIT.setLevel(savedTfkit);
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
  void tfkitsInfoLinesShowOtherLibrariesOnlyFromWarningUp() {
    Logger tcp = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.TcpMetrics");
    Logger server = Logger.getLogger("dev.tfkit.server");
    assertThat(tcp.isLoggable(Level.INFO)).isTrue();
    ConsoleLogging.install();
    assertThat(tcp.isLoggable(Level.INFO)).as("grpc-netty's epoll line").isFalse();
    assertThat(tcp.isLoggable(Level.WARNING)).isTrue();
    assertThat(Logger.getLogger("io.github.spencerpark.jupyter").isLoggable(Level.INFO)).isFalse();
    assertThat(server.isLoggable(Level.INFO)).as("version loaded/unloaded lines").isTrue();
    assertThat(server.isLoggable(Level.FINE)).isFalse();
  }

  @Test
  void aFormatTheUserSetIsKept() {
    System.setProperty(FORMAT, "%5$s%n");
    ConsoleLogging.install();
    assertThat(System.getProperty(FORMAT)).isEqualTo("%5$s%n");
    assertThat(format("dev.tfkit.server", "hello")).isEqualTo("hello" + System.lineSeparator());
  }
}
