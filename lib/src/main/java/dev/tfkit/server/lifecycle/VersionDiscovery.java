package dev.tfkit.server.lifecycle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Finds a model's versions: the subfolders of its base path whose names are non-negative integers
 * ({@code 00000123} is version 123), as TF Serving's file-system source does. Other entries are
 * ignored.
 */
public final class VersionDiscovery {
  private VersionDiscovery() {}

  /**
   * The version numbers under {@code basePath}.
   *
   * @throws IOException if the base path does not exist or cannot be listed
   */
  public static SortedSet<Long> versions(Path basePath) throws IOException {
    if (!Files.isDirectory(basePath)) {
      throw new IOException("model base path " + basePath + " is not a directory");
    }
    TreeSet<Long> out = new TreeSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(basePath)) {
      for (Path p : dirs) {
        Long v = parseVersion(p.getFileName().toString());
        if (v != null && Files.isDirectory(p)) {
          out.add(v);
        }
      }
    }
    return out;
  }

  /** The folder of {@code version} under {@code basePath}, whatever its zero padding. */
  public static Path dirOf(Path basePath, long version) throws IOException {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(basePath)) {
      for (Path p : dirs) {
        Long v = parseVersion(p.getFileName().toString());
        if (v != null && v == version) {
          return p;
        }
      }
    }
    throw new IOException("version " + version + " not found under " + basePath);
  }

  static Long parseVersion(String name) {
    if (name.isEmpty() || name.length() > 18) {
      return null;
    }
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) < '0' || name.charAt(i) > '9') {
        return null;
      }
    }
    return Long.parseLong(name);
  }
}
