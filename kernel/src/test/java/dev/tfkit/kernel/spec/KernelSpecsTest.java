package dev.tfkit.kernel.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.cli.TfkitCli;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelSpecsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private JsonNode read(Path dir) throws Exception {
    return JSON.readTree(Files.readString(dir.resolve("kernel.json")));
  }

  @Test
  void installWritesKernelJsonAndLogos() throws Exception {
    Path kernels = tmp.resolve("kernels");
    List<String> argv = KernelSpecs.argv("/opt/java/bin/java", "/a.jar:/b.jar", List.of("-Xmx2g"));
    Path dir = KernelSpecs.install(kernels, "java", "Java (tfkit)", argv, Map.of("IJAVA_TIMEOUT", "5000"));
    assertThat(dir).isEqualTo(kernels.resolve("java"));
    JsonNode spec = read(dir);
    JsonNode a = spec.get("argv");
    assertThat(a.get(0).asText()).isEqualTo("/opt/java/bin/java");
    assertThat(a.toString()).contains("\"-Xmx2g\"", "\"-cp\",\"/a.jar:/b.jar\"", "\"dev.tfkit.kernel.TfkitKernel\"");
    assertThat(a.get(a.size() - 1).asText()).isEqualTo("{connection_file}");
    assertThat(spec.get("language").asText()).isEqualTo("java");
    assertThat(spec.get("interrupt_mode").asText()).isEqualTo("message");
    assertThat(spec.get("env").get("IJAVA_TIMEOUT").asText()).isEqualTo("5000");
    BufferedImage logo = ImageIO.read(dir.resolve("logo-64x64.png").toFile());
    assertThat(logo.getWidth()).isEqualTo(64);
    assertThat(ImageIO.read(dir.resolve("logo-32x32.png").toFile()).getHeight()).isEqualTo(32);
  }

  @Test
  void reinstallReplacesAndLeavesNoTemporaryFolders() throws Exception {
    Path kernels = tmp.resolve("kernels");
    List<String> argv = KernelSpecs.argv("java", "/x.jar", List.of());
    KernelSpecs.install(kernels, "java", "First", argv, Map.of());
    KernelSpecs.install(kernels, "java", "Second", argv, Map.of());
    assertThat(read(kernels.resolve("java")).get("display_name").asText()).isEqualTo("Second");
    try (var s = Files.list(kernels)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("java");
    }
  }

  @Test
  void listFindsItThroughJupyterPathAndUninstallRemovesIt() throws Exception {
    Path jp = tmp.resolve("jp");
    KernelSpecs.install(jp.resolve("kernels"), "tfk", "Java T", KernelSpecs.argv("java", "/x.jar", List.of()), Map.of());
    var found = KernelSpecs.list(Map.of("JUPYTER_PATH", jp.toString(), "JUPYTER_DATA_DIR", tmp.resolve("none").toString()));
    assertThat(found).filteredOn(k -> k.name().equals("tfk")).singleElement()
        .satisfies(k -> {
          assertThat(k.tfkit()).isTrue();
          assertThat(k.displayName()).isEqualTo("Java T");
        });
    assertThat(KernelSpecs.uninstall(jp.resolve("kernels"), "tfk")).isTrue();
    assertThat(KernelSpecs.uninstall(jp.resolve("kernels"), "tfk")).isFalse();
    assertThat(jp.resolve("kernels/tfk")).doesNotExist();
  }

  @Test
  void badNamesAreRefusedByName() {
    assertThatThrownBy(() -> KernelSpecs.install(tmp, "../evil", "x", List.of("java"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'../evil'");
  }

  @Test
  void locations() {
    assertThat(KernelSpecs.prefixKernelsDir(Path.of("/opt/j"))).isEqualTo(Path.of("/opt/j/share/jupyter/kernels"));
    assertThat(KernelSpecs.sysPrefixKernelsDir(Map.of("VIRTUAL_ENV", "/venv"))).isEqualTo(Path.of("/venv/share/jupyter/kernels"));
    assertThat(KernelSpecs.userKernelsDir(Map.of("JUPYTER_DATA_DIR", "/data"))).isEqualTo(Path.of("/data/kernels"));
    assertThatThrownBy(() -> KernelSpecs.sysPrefixKernelsDir(Map.of("PATH", tmp.toString())))
        .hasMessageContaining("--sys-prefix");
  }

  @Test
  void cliInstallsAndUninstalls() throws Exception {
    var cli = TfkitCli.commandLine();
    int rc = cli.execute("kernel", "install", "--prefix", tmp.toString(), "--name", "jx", "--display-name", "Java X",
        "--no-class-data-archive"); // ClassDataArchiveTest covers the archive
    assertThat(rc).isZero();
    Path dir = tmp.resolve("share/jupyter/kernels/jx");
    assertThat(read(dir).get("display_name").asText()).isEqualTo("Java X");
    assertThat(read(dir).get("argv").toString()).doesNotContain("SharedArchiveFile");
    assertThat(dir.resolve(ClassDataArchive.FILE_NAME)).doesNotExist();
    String root = System.getProperty("tfkit.repo.root");
    if (root != null) {
      assertThat(read(dir).get("argv").toString()).contains("-Dtfkit.repo.root=" + Path.of(root).toAbsolutePath().normalize());
    }
    assertThat(TfkitCli.commandLine().execute("kernel", "uninstall", "--prefix", tmp.toString(), "--name", "jx")).isZero();
    assertThat(dir).doesNotExist();
    assertThat(TfkitCli.commandLine().execute("kernel", "uninstall", "--prefix", tmp.toString(), "--name", "jx")).isEqualTo(2);
  }
}
