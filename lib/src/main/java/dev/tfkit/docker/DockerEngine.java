package dev.tfkit.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The local Docker engine, reached through the {@code docker} command line client. The program is
 * {@code docker} on the PATH unless the {@code tfkit.docker} system property or the {@code
 * TFKIT_DOCKER} environment variable names another (e.g. {@code podman}).
 */
public final class DockerEngine {
  private DockerEngine() {}

  /** The docker client program. */
  public static String program() {
    String prop = System.getProperty("tfkit.docker");
    if (prop != null && !prop.isBlank()) {
      return prop;
    }
    String env = System.getenv("TFKIT_DOCKER");
    return env == null || env.isBlank() ? "docker" : env;
  }

  /** Whether an engine answers ({@code docker info} succeeds within 20 seconds). */
  public static boolean available() {
    return unavailableReason().isEmpty();
  }

  /**
   * Why no engine answers, or empty when one does: no docker client on the PATH, the client cannot
   * reach a daemon, or it took too long.
   */
  public static Optional<String> unavailableReason() {
    Result r = run(List.of(program(), "info", "--format", "{{.ServerVersion}}"), 20);
    if (r.exitCode == 0 && !r.output.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(r.exitCode == NOT_FOUND
        ? "no '" + program() + "' command on the PATH"
        : "'" + program() + " info' failed" + (r.output.isBlank() ? "" : ": " + lastLine(r.output)));
  }

  static final int NOT_FOUND = -2;
  static final int TIMED_OUT = -3;

  /** Exit code and combined output of a finished command. */
  record Result(int exitCode, String output) {}

  /** Runs a short command, collecting its output; never throws for a missing program or a timeout. */
  static Result run(List<String> command, long timeoutSeconds) {
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
      }, "tfkit-docker-cmd");
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

  private static String lastLine(String s) {
    String[] lines = s.strip().split("\\R");
    return lines[lines.length - 1];
  }
}
