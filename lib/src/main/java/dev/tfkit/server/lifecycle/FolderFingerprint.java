package dev.tfkit.server.lifecycle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A cheap summary of a version folder — each file's relative path, size and modification time —
 * that tells the manager when a folder whose load failed has changed and deserves another try (a
 * copy that was still running, a file fixed by hand).
 */
final class FolderFingerprint {
  /** Folders with more entries than this are summarised by their first entries only. */
  private static final int MAX_ENTRIES = 10_000;

  private FolderFingerprint() {}

  /** The folder's fingerprint; an unreadable folder has one of its own, stable while it stays so. */
  static long of(Path dir) {
    List<String> entries = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.limit(MAX_ENTRIES).forEach(p -> entries.add(describe(dir, p)));
    } catch (IOException | RuntimeException e) {
      entries.add("unreadable " + e);
    }
    Collections.sort(entries);
    CRC32C crc = new CRC32C();
    long mixed = entries.size();
    for (String s : entries) {
      crc.update(s.getBytes(StandardCharsets.UTF_8));
      crc.update('\n');
      mixed = mixed * 31 + s.hashCode();
    }
    return (crc.getValue() << 32) ^ mixed;
  }

  private static String describe(Path dir, Path p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return dir.relativize(p) + " " + a.size() + " " + a.lastModifiedTime().toMillis() + (a.isDirectory() ? "/" : "");
    } catch (IOException e) {
      return dir.relativize(p) + " ?";
    }
  }
}
