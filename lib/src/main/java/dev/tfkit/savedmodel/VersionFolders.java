package dev.tfkit.savedmodel;

import dev.tfkit.io.TempSiblings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Version folders the way TensorFlow Serving polls them: {@code BASE/<integer>}, written into a
 * temporary sibling whose name a server ignores (it starts with a dot and is not a number) and
 * renamed into place, so a polling server never sees half a version.
 */
public final class VersionFolders {
  private VersionFolders() {}

  /** The largest integer-named child of {@code base}, if any. */
  public static OptionalLong latest(Path base) {
    if (!Files.isDirectory(base)) return OptionalLong.empty();
    try (Stream<Path> s = Files.list(base)) {
      return s.map(p -> p.getFileName().toString())
          .filter(VersionFolders::isVersionName)
          .mapToLong(Long::parseLong)
          .max();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + base, e);
    }
  }

  /** The next integer version under {@code base}: one more than the largest, or 1. */
  public static long next(Path base) {
    return latest(base).orElse(0L) + 1;
  }

  /** A timestamp version (seconds since the epoch), above every existing version of {@code base}. */
  public static long timestamp(Path base) {
    long now = System.currentTimeMillis() / 1000;
    return Math.max(now, next(base));
  }

  /** True for names TensorFlow Serving treats as versions: digits only. */
  public static boolean isVersionName(String name) {
    return !name.isEmpty() && name.length() <= 18 && name.chars().allMatch(Character::isDigit);
  }

  /**
   * A fresh, empty temporary folder beside {@code target}, ignored by servers. Temporary folders
   * that earlier exports to the same base path left behind when they were killed are removed first
   * (see {@link TempSiblings}); one a live export is still writing is kept.
   */
  static Path tempSibling(Path target) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    TempSiblings.removeStale(parent);
    // A plain new folder gets the umask's mode, readable by a server running as another user (TF
    // Serving in Docker); Files.createTempDirectory would make it 0700.
    return Files.createDirectory(TempSiblings.tempFor(target));
  }

  /**
   * Moves the finished {@code temp} folder to {@code target} in one rename. An existing target is
   * refused unless {@code overwrite}; then it is moved aside first and deleted after the new one is
   * in place.
   */
  static void commit(Path temp, Path target, boolean overwrite) throws IOException {
    TempSiblings.swapIn(temp, target, overwrite ? TempSiblings.IfPresent.REPLACE : TempSiblings.IfPresent.FAIL);
  }

}
