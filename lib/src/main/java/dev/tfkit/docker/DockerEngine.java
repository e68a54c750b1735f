package dev.tfkit.docker;

import dev.tfkit.io.ShortCommand;
import java.util.List;
import java.util.Optional;

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
    ShortCommand.Result r = ShortCommand.run(List.of(program(), "info", "--format", "{{.ServerVersion}}"), 20);
    if (r.ok() && !r.output().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(r.exitCode() == ShortCommand.NOT_FOUND
        ? "no '" + program() + "' command on the PATH"
        : "'" + program() + " info' failed" + (r.output().isBlank() ? "" : ": " + lastLine(r.output())));
  }

  private static String lastLine(String s) {
    String[] lines = s.strip().split("\\R");
    return lines[lines.length - 1];
  }
}
