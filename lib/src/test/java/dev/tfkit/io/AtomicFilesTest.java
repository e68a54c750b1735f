package dev.tfkit.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path tmp;

  @Test
  void writesReplacesAndLeavesNoTemporaryFile() throws Exception {
    Path f = tmp.resolve("sub/a.txt");
    AtomicFiles.writeString(f, "one");
    AtomicFiles.writeString(f, "two");
    assertThat(Files.readString(f)).isEqualTo("two");
    try (var s = Files.list(f.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("a.txt");
    }
    // Readable by others like any new file (a temp file's 0600 must not stick).
    assertThat(Files.getPosixFilePermissions(f)).contains(PosixFilePermission.OTHERS_READ);
  }

  @Test
  void aFailedWriteKeepsTheOldFileAndNamesTheTarget() throws Exception {
    Path f = tmp.resolve("b.txt");
    AtomicFiles.writeString(f, "old");
    assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
          out.write("partial".getBytes());
          throw new IOException("disk full");
        }))
        .hasMessageContaining("b.txt")
        .hasMessageContaining("disk full");
    assertThat(Files.readString(f)).isEqualTo("old");
    try (var s = Files.list(tmp)) {
      assertThat(s.count()).isEqualTo(1);
    }
  }
}
