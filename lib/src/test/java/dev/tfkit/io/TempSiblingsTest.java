package dev.tfkit.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TempSiblingsTest {
  @TempDir Path dir;

  @Test
  void aSiblingNamesThisProcessAndIsLiveWhileItRuns() {
    Path t = TempSiblings.tempFor(dir.resolve("7"));
    assertThat(t.getParent()).isEqualTo(dir.toAbsolutePath().normalize());
    assertThat(t.getFileName().toString())
        .startsWith(".7.tfkit-tmp-" + ProcessHandle.current().pid() + "-");
    assertThat(TempSiblings.isStale(t, Instant.now())).isFalse();
    assertThat(TempSiblings.isStale(TempSiblings.asideFor(dir.resolve("7")), Instant.now())).isFalse();
  }

  @Test
  void anEndedProcesssSiblingIsStale() throws Exception {
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-version")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String owner = TempSiblings.ownerToken(p.toHandle());
    p.waitFor();
    Path t = dir.resolve(".7.tfkit-tmp-" + owner + "-1f");
    assertThat(TempSiblings.isStale(t, Instant.now())).isTrue();
  }

  @Test
  void atomicWritesRemoveTheirOwnStaleTempsOnly() throws Exception {
    Path file = dir.resolve("index.html");
    Path staleOfFile = Files.writeString(dir.resolve(".index.html.tfkit-tmp-1-1000-aa"), "x");
    Path otherFiles = Files.writeString(dir.resolve(".other.tfkit-tmp-1-1000-aa"), "x");
    AtomicFiles.writeString(file, "done");
    assertThat(file).hasContent("done");
    assertThat(staleOfFile).doesNotExist();
    assertThat(otherFiles).exists();
    // Nothing else is touched: plain dot files and unrelated names stay.
    Path plain = Files.writeString(dir.resolve(".hidden"), "x");
    assertThat(TempSiblings.removeStale(dir)).isEqualTo(1);
    assertThat(plain).exists();
    assertThat(otherFiles).doesNotExist();
  }
}
