package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.kernel.protocol.KernelClient;
import dev.tfkit.kernel.spec.ClassDataArchive;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's class-data archive (what {@code tfkit kernel install} makes by default): a training
 * start writes it, the kernel starts with it mapped, and a stale one is skipped without a word.
 */
class ClassDataArchiveTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @TempDir static Path tmp;
  static Path archive;
  /** The kernel's command with the test class path's folders as jars (HotSpot archives jars only). */
  static List<String> argv;

  @BeforeAll
  static void train() throws Exception {
    argv = TestKernels.argv(jarredClasspath(TestKernels.classpath(), tmp.resolve("jars")));
    archive = tmp.resolve(ClassDataArchive.FILE_NAME);
    ClassDataArchive.train(argv, archive, TIMEOUT);
  }

  /** {@code classpath} with each folder (target/classes, test-classes) packed into a jar. */
  private static String jarredClasspath(String classpath, Path jars) throws IOException {
    Files.createDirectories(jars);
    ToolProvider jar = ToolProvider.findFirst("jar").orElseThrow();
    List<String> out = new ArrayList<>();
    int i = 0;
    for (String e : classpath.split(File.pathSeparator)) {
      if (e.isEmpty()) continue;
      if (Files.isDirectory(Path.of(e))) {
        Path j = jars.resolve("folder-" + i++ + ".jar");
        int rc = jar.run(System.out, System.err, "--create", "--file", j.toString(), "-C", e, ".");
        if (rc != 0) throw new IOException("jar of " + e + " failed: " + rc);
        out.add(j.toString());
      } else {
        out.add(e);
      }
    }
    return String.join(File.pathSeparator, out);
  }

  /** The first result of "1 + 1" on a kernel started with {@code argv}, and the kernel's log. */
  private static String[] firstResultAndLog(List<String> argv) throws Exception {
    try (KernelClient k = KernelClient.start(argv, Map.of(), TIMEOUT)) {
      var reply = k.execute("1 + 1", TIMEOUT);
      String result = reply.iopub("execute_result").get(0).content().path("data").path("text/plain").asText();
      return new String[] {result, k.kernelLog()};
    }
  }

  @Test
  void theArchiveIsMappedWhenTheKernelStarts() throws Exception {
    assertThat(archive).isRegularFile();
    assertThat(Files.size(archive)).isGreaterThan(1_000_000); // the kernel's, JShell's and javac's classes
    // -Xshare:on refuses to start unless the archive maps: the kernel answering proves it does.
    List<String> strict = new ArrayList<>(ClassDataArchive.using(argv, archive));
    assertThat(strict).contains("-Xshare:auto");
    strict.replaceAll(a -> a.equals("-Xshare:auto") ? "-Xshare:on" : a);
    String[] out = firstResultAndLog(strict);
    assertThat(out[0]).isEqualTo("2");
    assertThat(out[1]).doesNotContainIgnoringCase("warning");
    // What tfkit doctor asks: usable.
    assertThat(ClassDataArchive.whyUnusable(ClassDataArchive.using(argv, archive))).isEmpty();
    assertThat(ClassDataArchive.whyUnusable(argv)).isEmpty(); // names none
  }

  @Test
  void aStaleArchiveIsSkippedSilently() throws Exception {
    // tfkit rebuilt: the same classes in jars at other paths, so the archive no longer matches.
    List<String> rebuilt = TestKernels.argv(jarredClasspath(TestKernels.classpath(), tmp.resolve("jars-rebuilt")));
    // HotSpot warns about such an archive on every start...
    Process p = new ProcessBuilder(rebuilt.get(0), "-XX:SharedArchiveFile=" + archive, "-Xshare:auto",
        "-cp", rebuilt.get(rebuilt.indexOf("-cp") + 1), "-version").redirectErrorStream(true).start();
    String plain = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    assertThat(plain).contains("[warning][cds");
    // tfkit doctor's question says so, naming the archive.
    assertThat(ClassDataArchive.whyUnusable(ClassDataArchive.using(rebuilt, archive)))
        .hasValueSatisfying(why -> assertThat(why).contains(archive.toString()).contains("no longer matches"));
    // ...and the kernelspec's options keep the kernel's start quiet, and it still answers.
    String[] out = firstResultAndLog(ClassDataArchive.using(rebuilt, archive));
    assertThat(out[0]).isEqualTo("2");
    assertThat(out[1]).doesNotContain("cds").doesNotContainIgnoringCase("warning");
  }

  @Test
  void theKernelspecNamesTheArchiveBesideItsKernelJson() throws Exception {
    Path copy = tmp.resolve("trained-copy.jsa");
    Files.copy(archive, copy);
    Path kernels = tmp.resolve("kernels");
    List<String> specArgv = ClassDataArchive.using(argv, kernels.resolve("cds").resolve(ClassDataArchive.FILE_NAME));
    Path dir = KernelSpecs.install(kernels, "cds", "Java (cds)", specArgv, Map.of(), Map.of(ClassDataArchive.FILE_NAME, copy));
    assertThat(dir.resolve(ClassDataArchive.FILE_NAME)).hasSameBinaryContentAs(archive);
    assertThat(copy).doesNotExist(); // moved in, not copied
    JsonNode spec = new ObjectMapper().readTree(dir.resolve("kernel.json").toFile());
    assertThat(spec.get("argv").get(1).asText())
        .isEqualTo("-XX:SharedArchiveFile=" + dir.resolve(ClassDataArchive.FILE_NAME).toAbsolutePath().normalize());
  }

  @Test
  void aTrainingStartThatFailsSaysSo() {
    List<String> broken = new ArrayList<>(argv);
    broken.add(1, "-XX:+NoSuchVmOptionForTfkit");
    assertThatThrownBy(() -> ClassDataArchive.train(broken, tmp.resolve("never.jsa"), TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("training start of the kernel failed")
        .hasMessageContaining("NoSuchVmOptionForTfkit");
    assertThat(tmp.resolve("never.jsa")).doesNotExist();
  }

  @Test
  void aClassPathWithAFolderIsRefusedBeforeTheTrainingStart() {
    Path folder = tmp.resolve("classes");
    assertThatThrownBy(() -> {
      Files.createDirectories(folder);
      ClassDataArchive.train(TestKernels.argv(folder.toString()), tmp.resolve("never2.jsa"), TIMEOUT);
    }).isInstanceOf(IOException.class).hasMessageContaining("class path of jars").hasMessageContaining(folder.toString());
  }
}
