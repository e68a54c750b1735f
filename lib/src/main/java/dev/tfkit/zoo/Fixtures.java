package dev.tfkit.zoo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the repository root and the shared test models ({@code ../shared/fixtures} beside it) —
 * the one place that knows where they are, so nothing else uses an absolute path.
 */
public final class Fixtures {
  private Fixtures() {}

  /**
   * The tfkit repository root: the {@code tfkit.repo.root} system property if set (Maven sets it
   * for tests), else the nearest folder at or above the working directory that holds the {@code
   * tfkit} launcher and a {@code pom.xml}.
   */
  public static Path repoRoot() {
    String prop = System.getProperty("tfkit.repo.root");
    if (prop != null && !prop.isBlank()) {
      return Paths.get(prop).toAbsolutePath().normalize();
    }
    Path dir = Paths.get("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("tfkit")) && Files.isRegularFile(d.resolve("pom.xml"))) {
        return d;
      }
    }
    throw new IllegalStateException(
        "cannot find the tfkit repository root above " + dir + " (set -Dtfkit.repo.root=DIR)");
  }

  /** {@code ../shared/fixtures} beside the repository root; {@code TFKIT_FIXTURES} overrides. */
  public static Path root() {
    String env = System.getenv("TFKIT_FIXTURES");
    if (env != null && !env.isBlank()) {
      Path p = Paths.get(env);
      if (!Files.isDirectory(p)) throw new IllegalStateException("TFKIT_FIXTURES is not a folder: " + p);
      return p;
    }
    Path root = repoRoot();
    Path p = root.resolve("../shared/fixtures").normalize();
    // A git worktree lies deeper than the main checkout: look for shared/ beside each ancestor.
    for (Path d = root.getParent(); d != null && !Files.isDirectory(p); d = d.getParent()) {
      p = d.resolve("shared/fixtures");
    }
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("fixtures folder not found: " + root.resolve("../shared/fixtures").normalize());
    }
    return p;
  }

  /** A folder or file under {@code fixtures/tfserving}, e.g. {@code tfServing("bad_half_plus_two")}. */
  public static Path tfServing(String relative) {
    Path p = root().resolve("tfserving").resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalStateException("fixture not found: " + p);
    }
    return p;
  }
}
