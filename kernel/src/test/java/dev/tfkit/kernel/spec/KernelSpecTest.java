package dev.tfkit.kernel.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSpecTest {
  @TempDir Path tmp;

  @Test
  void readsAKernelJsonAndFillsInTheCommandLine() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("kernels/tfkit"));
    Files.writeString(dir.resolve("kernel.json"), """
        {"argv": ["java", "-jar", "{resource_dir}/k.jar", "{connection_file}"],
         "display_name": "Java (tfkit)", "language": "Java", "interrupt_mode": "message",
         "env": {"IJAVA_CLASSPATH": "${HOME}/lib", "PLAIN": "x"}}
        """);
    KernelSpec spec = KernelSpec.read(dir);
    assertThat(spec.name()).isEqualTo("tfkit");
    assertThat(spec.language()).isEqualTo("java");
    assertThat(spec.interruptMode()).isEqualTo("message");
    assertThat(spec.env()).containsEntry("IJAVA_CLASSPATH", System.getenv("HOME") + "/lib").containsEntry("PLAIN", "x");
    assertThat(spec.command(Path.of("/run/c.json")))
        .containsExactly("java", "-jar", dir + "/k.jar", "/run/c.json");
  }

  @Test
  void aKernelJsonWithoutArgvIsRefusedNamingTheFile() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("kernels/bad"));
    Files.writeString(dir.resolve("kernel.json"), "{\"display_name\": \"bad\"}");
    assertThatThrownBy(() -> KernelSpec.read(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.resolve("kernel.json").toString()).hasMessageContaining("argv");
  }
}
