package dev.tfkit.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The temporary siblings tfkit writes before a rename puts a file or folder in place — their
 * names, the rename itself ({@link #swapIn}), and clean-up ({@link #deleteTree}, stale leftovers): {@code .NAME.tfkit-tmp-PID-START-RANDOM} (and {@code .tfkit-old-} for a folder moved
 * aside while it is replaced). The leading dot hides them from TensorFlow Serving's version scan;
 * the owning process's id and start time let a later writer tell a leftover of a killed process
 * (stale: removed) from one a live process is still writing (kept).
 */
public final class TempSiblings {
  private static final Logger LOG = Logger.getLogger(TempSiblings.class.getName());

  /** The marker of a temporary sibling being written. */
  public static final String TEMP_MARKER = ".tfkit-tmp-";
  /** The marker of an old copy moved aside while its replacement is renamed in. */
  public static final String ASIDE_MARKER = ".tfkit-old-";
  /**
   * How old a temporary sibling without an owner in its name (written by an older tfkit) must be
   * before it counts as stale.
   */
  public static final Duration UNOWNED_STALE_AFTER = Duration.ofHours(1);

  private static final String OWNER = ownerToken(ProcessHandle.current());

  private TempSiblings() {}

  /** A temporary sibling path for {@code target}, not yet created, owned by this process. */
  public static Path tempFor(Path target) {
    return sibling(target, TEMP_MARKER);
  }

  /** A path beside {@code target} to move its old copy to while replacing it; not created. */
  public static Path asideFor(Path target) {
    return sibling(target, ASIDE_MARKER);
  }

  private static Path sibling(Path target, String marker) {
    Path abs = target.toAbsolutePath().normalize();
    String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    return abs.resolveSibling("." + abs.getFileName() + marker + OWNER + "-" + random);
  }

  /**
   * Removes the stale temporary siblings in {@code dir} (of any target): those whose owning
   * process is gone, and unowned ones older than {@link #UNOWNED_STALE_AFTER}. Returns how many
   * were removed; a sibling that cannot be removed is left for the next writer.
   */
  public static int removeStale(Path dir) {
    return removeStale(dir, "*");
  }

  /** {@link #removeStale(Path)} for the siblings of one target only. */
  public static int removeStaleOf(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    return removeStale(abs.getParent(), "." + globEscape(abs.getFileName().toString()) + "*");
  }

  private static int removeStale(Path dir, String glob) {
    if (dir == null || !Files.isDirectory(dir)) return 0;
    int removed = 0;
    Instant now = Instant.now();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
      for (Path p : entries) {
        if (isStale(p, now)) {
          deleteTree(p);
          if (!Files.exists(p)) {
            removed++;
            LOG.info("removed " + p + ", left by an interrupted write");
          }
        }
      }
    } catch (IOException e) {
      // Clean-up is a courtesy: the write itself must not fail because a listing did.
      LOG.fine("cannot look for stale temporary files in " + dir + ": " + e);
    }
    return removed;
  }

  /** Whether {@code p} is a temporary sibling nobody will finish: its owner is gone, or it is old. */
  static boolean isStale(Path p, Instant now) {
    String name = p.getFileName().toString();
    if (!name.startsWith(".")) return false;
    int at = name.lastIndexOf(TEMP_MARKER);
    int markerLength = TEMP_MARKER.length();
    if (at < 0) {
      at = name.lastIndexOf(ASIDE_MARKER);
      markerLength = ASIDE_MARKER.length();
    }
    if (at <= 0) return false;
    String[] owner = name.substring(at + markerLength).split("-");
    if (owner.length == 3) {
      try {
        return !alive(Long.parseLong(owner[0]), Long.parseLong(owner[1]));
      } catch (NumberFormatException notOwned) {
        // Fall through to the age rule.
      }
    }
    try {
      return Files.getLastModifiedTime(p).toInstant().isBefore(now.minus(UNOWNED_STALE_AFTER));
    } catch (IOException gone) {
      return false;
    }
  }

  /** Whether process {@code pid} runs and is the one that started at {@code startMillis}. */
  private static boolean alive(long pid, long startMillis) {
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) return false;
    if (startMillis == 0) return true; // the owner's start time was unknown: trust the pid
    Optional<Instant> start = p.get().info().startInstant();
    // Another process with a reused pid started at a different time. The start time is read from
    // the OS in clock ticks, so allow a second of rounding.
    return start.isEmpty() || Math.abs(start.get().toEpochMilli() - startMillis) < 1000;
  }

  static String ownerToken(ProcessHandle process) {
    long start = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return process.pid() + "-" + start;
  }

  /** What {@link #swapIn} does when the target already exists. */
  public enum IfPresent {
    /** Refuse: {@link FileAlreadyExistsException}. */
    FAIL,
    /** Move the old copy aside, move the new one in, then delete the old one. */
    REPLACE,
    /** Keep the existing copy (another process published the same thing first). */
    KEEP
  }

  /**
   * Puts the finished folder (or file) {@code temp} at {@code target} with one atomic rename, so a
   * reader sees either the old content or the whole new one, never a half-written folder. {@code
   * temp} must be on the same file system (a {@link #tempFor} sibling is). Returns whether {@code
   * temp} went into place; with {@link IfPresent#KEEP} an existing target is left and {@code temp}
   * stays for the caller to delete.
   *
   * @throws FileAlreadyExistsException with {@link IfPresent#FAIL} when {@code target} exists
   * @throws IOException when the rename cannot be atomic or fails
   */
  public static boolean swapIn(Path temp, Path target, IfPresent ifPresent) throws IOException {
    Path old = null;
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      switch (ifPresent) {
        case FAIL:
          throw new FileAlreadyExistsException(target + " already exists (overwrite not asked)");
        case KEEP:
          return false;
        case REPLACE:
          old = asideFor(target);
          Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
          break;
      }
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
      // Someone else put it there between the check and the rename.
      if (ifPresent == IfPresent.KEEP) return false;
      throw e;
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + temp + " to " + target + " atomically", e);
    }
    if (old != null) deleteTree(old);
    return true;
  }

  /**
   * Deletes a file or folder tree (links are removed, not followed); quietly leaves what cannot be
   * deleted: a leftover temporary sibling is hidden (dot name) and the next writer tries again.
   * Returns whether nothing is left at {@code p}.
   */
  public static boolean deleteTree(Path p) {
    if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return true;
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Best effort, see above.
    }
    return !Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  private static String globEscape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if ("*?[]{}\\".indexOf(c) >= 0) sb.append('\\');
      sb.append(c);
    }
    return sb.toString();
  }
}
