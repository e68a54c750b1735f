package dev.tfkit.testing;

import dev.tfkit.io.TempSiblings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Copies of fixtures in a test's temp folder, to change or to serve from: whole trees, and model
 * versions appearing and leaving atomically, as a model export would.
 */
public final class TestDirs {
  private TestDirs() {}

  /** Copies the tree {@code from} to {@code to} (created, files replaced); returns {@code to}. */
  public static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return to;
  }

  /** Copies a version folder to {@code base/<version>} through a temp name and a rename. */
  public static void addVersion(Path versionDir, Path base, long version) throws IOException {
    Path tmp = base.resolve(".tmp-" + version);
    copyTree(versionDir, tmp);
    Files.move(tmp, base.resolve(Long.toString(version)), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Moves a version folder aside (atomically) and deletes it. */
  public static void removeVersion(Path base, long version) throws IOException {
    Path gone = base.resolve(".gone-" + version);
    Files.move(base.resolve(Long.toString(version)), gone, StandardCopyOption.ATOMIC_MOVE);
    if (!TempSiblings.deleteTree(gone)) throw new IOException("cannot delete " + gone);
  }
}
