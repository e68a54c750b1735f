package dev.tfkit.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short external command ({@code docker info}, {@code npm --version}, {@code nvidia-smi
 * -L}) and collects its output, never throwing for a missing program, a hang or an interrupt: the
 * result's exit code says which.
 */
public final class ShortCommand {
  /** Exit code of a program that could not be started (not installed, not executable). */
  public static final int NOT_FOUND = -2;
  /** Exit code of a command that outlived its timeout (it was killed) or was interrupted. */
  public static final int TIMED_OUT = -3;

  private ShortCommand() {}

  /** Exit code and combined output (stdout and stderr, trimmed) of a finished command. */
  public record Result(int exitCode, String output) {
    /** Whether it ran and exited 0. */
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command} with no input, for at most {@code timeoutSeconds}. */
  public static Result run(List<String> command, long timeoutSeconds) {
    Process p;
    try {
      p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(NOT_FOUND, e.getMessage() == null ? "" : e.getMessage());
    }
    try {
      p.getOutputStream().close();
      // Read on another thread so a chatty command cannot block on a full pipe before the timeout.
      String[] out = {""};
      Thread reader = new Thread(() -> {
        try (InputStream in = p.getInputStream()) {
          out[0] = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException ignored) {
          // the exit code tells what happened
        }
      }, "tfkit-short-cmd");
      reader.setDaemon(true);
      reader.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(TIMED_OUT, String.join(" ", command) + " timed out after " + timeoutSeconds + " s");
      }
      reader.join(2000); // join makes the reader's write visible here
      return new Result(p.exitValue(), out[0].trim());
    } catch (IOException e) {
      return new Result(NOT_FOUND, e.getMessage());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(TIMED_OUT, "interrupted");
    }
  }
}
