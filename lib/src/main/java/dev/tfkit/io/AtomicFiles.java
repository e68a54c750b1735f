package dev.tfkit.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files through a temporary sibling ({@link TempSiblings}) and a rename, so a reader (a
 * polling server, a browser, Jupyter) never sees half a file and a failed write leaves the old file
 * as it was.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes a file's content to a stream. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code file} from {@code content}; returns its absolute path. */
  public static Path write(Path file, Content content) {
    Path target = file.toAbsolutePath().normalize();
    Path dir = target.getParent();
    // Not Files.createTempFile: its 0600 mode would stick to the result; a plain new file gets the umask's.
    Path tmp = TempSiblings.tempFor(target);
    try {
      Files.createDirectories(dir);
      // What a killed writer of this file left behind (see TempSiblings).
      TempSiblings.removeStaleOf(target);
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW), 1 << 16)) {
        content.writeTo(out);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the write's own outcome is what matters
      }
    }
  }

  /** Writes {@code bytes} to {@code file}. */
  public static Path write(Path file, byte[] bytes) {
    return write(file, out -> out.write(bytes));
  }

  /** Writes {@code text} to {@code file} as UTF-8. */
  public static Path writeString(Path file, CharSequence text) {
    return write(file, text.toString().getBytes(StandardCharsets.UTF_8));
  }
}
