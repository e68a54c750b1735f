package dev.tfkit.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How tfkit's own processes (the CLI, headless notebook runs, the Jupyter kernel) log to the
 * console: one line per record ({@code 2026-12-03 10:58:49 INFO dev.tfkit.server: Successfully
 * loaded ...}) instead of java.util.logging's two, and without grpc-netty's start-up INFO line about
 * epoll. A format the user set ({@code -Djava.util.logging.SimpleFormatter.format=...}) or a
 * logging config file is left alone.
 */
public final class ConsoleLogging {
  /** The one-line format: date, time, level, logger, message, and the stack trace if any. */
  public static final String ONE_LINE_FORMAT = "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n";

  /** grpc-netty logs "Epoll available during static init of TcpMetrics" at INFO on first use. */
  static final String GRPC_TCP_METRICS_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.TcpMetrics";

  // Held: java.util.logging keeps loggers weakly, and a collected logger forgets its level.
  private static final Logger GRPC_TCP_METRICS = Logger.getLogger(GRPC_TCP_METRICS_LOGGER);

  private ConsoleLogging() {}

  /** Sets the one-line format (unless configured) and quiets grpc's start-up INFO line. */
  public static void install() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", ONE_LINE_FORMAT);
    }
    GRPC_TCP_METRICS.setLevel(Level.WARNING);
  }
}
