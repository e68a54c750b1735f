package dev.tfkit.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How tfkit's own processes (the CLI, headless notebook runs, the Jupyter kernel) log to the
 * console: one line per record ({@code 2026-12-03 10:58:49 INFO dev.tfkit.server: Successfully
 * loaded ...}) instead of java.util.logging's two; tfkit's own records from INFO up (the server's
 * version loaded/unloaded lines), other libraries' from WARNING up (grpc-netty's epoll line, the
 * kernel library's message traffic). The kernel and headless runs thus print the same in a cell. A
 * format the user set ({@code -Djava.util.logging.SimpleFormatter.format=...}) or a logging config
 * file or class is left alone.
 */
public final class ConsoleLogging {
  /** The one-line format: date, time, level, logger, message, and the stack trace if any. */
  public static final String ONE_LINE_FORMAT = "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n";

  // Held: java.util.logging keeps loggers weakly, and a collected logger forgets its level.
  private static final Logger TFKIT = Logger.getLogger("dev.tfkit");

  private ConsoleLogging() {}

  /** Sets the one-line format and the levels above, unless logging was configured. */
  public static void install() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", ONE_LINE_FORMAT);
    }
    Logger.getLogger("").setLevel(Level.WARNING);
    TFKIT.setLevel(Level.INFO);
  }
}
