package dev.tfkit.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Copies fixtures into temp folders, atomically, as a model export would appear. */
final class TestDirs {
  private TestDirs() {}

  static void copyTree(Path from, Path to) throws IOException {
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
  }

  /** Copies a version folder to {@code base/<version>} through a temp name and a rename. */
  static void addVersion(Path versionDir, Path base, long version) throws IOException {
    Path tmp = base.resolve(".tmp-" + version);
    copyTree(versionDir, tmp);
    Files.move(tmp, base.resolve(Long.toString(version)), StandardCopyOption.ATOMIC_MOVE);
  }

  /** Moves a version folder aside (atomically) and deletes it. */
  static void removeVersion(Path base, long version) throws IOException {
    Path gone = base.resolve(".gone-" + version);
    Files.move(base.resolve(Long.toString(version)), gone, StandardCopyOption.ATOMIC_MOVE);
    deleteTree(gone);
  }

  static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              x -> {
                try {
                  Files.delete(x);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
