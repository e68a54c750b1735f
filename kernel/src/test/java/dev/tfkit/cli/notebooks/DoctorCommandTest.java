package dev.tfkit.cli.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.cli.notebooks.DoctorCommand.Check;
import dev.tfkit.cli.notebooks.DoctorCommand.Status;
import dev.tfkit.kernel.spec.ClassDataArchive;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.TensorFlow;

class DoctorCommandTest {
  @TempDir Path tmp;

  @Test
  void javaAndTensorFlowAreCheckedForReal() {
    String saved = System.getProperty("tfkit.classpath");
    System.setProperty("tfkit.classpath", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    try {
      assertThat(DoctorCommand.java().status()).isEqualTo(Status.OK);
      Check tf = DoctorCommand.tensorflow();
      assertThat(tf.detail()).startsWith(TensorFlow.version() + ", ");
      if (DoctorCommand.natives().endsWith("-gpu")) {
        // A -Pgpu build: OK with a GPU, a warning (CPU fallback) without one.
        assertThat(tf.detail()).contains("GPU natives (linux-x86_64-gpu)");
      } else {
        assertThat(tf.status()).as(tf.detail()).isEqualTo(Status.OK);
        assertThat(tf.detail()).contains("CPU natives (linux-x86_64)");
      }
    } finally {
      if (saved == null) System.clearProperty("tfkit.classpath");
      else System.setProperty("tfkit.classpath", saved);
    }
  }

  @Test
  void aPortInUseIsNamed() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int free;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        free = probe.getLocalPort();
      }
      Check c = DoctorCommand.ports(new int[] {busy.getLocalPort(), free});
      assertThat(c.status()).isEqualTo(Status.WARN);
      assertThat(c.detail()).startsWith(busy.getLocalPort() + " in use on 127.0.0.1").doesNotContain(free + " in use");
      assertThat(DoctorCommand.ports(new int[] {free}).status()).isEqualTo(Status.OK);
    }
  }

  @Test
  void aMissingNpmSaysHowToGetOne() {
    Check c = DoctorCommand.npm(tmp.resolve("no-npm").toString());
    assertThat(c.status()).isEqualTo(Status.WARN);
    assertThat(c.detail()).contains("cannot be run").contains("TFKIT_NPM");
  }

  @Test
  void modelPackagesAreFoundInTheCacheLayout() throws Exception {
    Check none = DoctorCommand.models(tmp);
    assertThat(none.status()).isEqualTo(Status.INFO);
    assertThat(none.detail()).contains("@vladmandic/human@3.3.6").contains("@vladmandic/face-api@1.7.15");
    Files.createDirectories(tmp.resolve("npm/@vladmandic+human@3.3.6/package"));
    Check one = DoctorCommand.models(tmp);
    assertThat(one.detail()).doesNotContain("human").contains("face-api");
    Files.createDirectories(tmp.resolve("npm/@vladmandic+face-api@1.7.15/package"));
    assertThat(DoctorCommand.models(tmp).status()).isEqualTo(Status.OK);
    // The default stylizer's package is optional (the demo falls back to the filter): named, never failing.
    assertThat(DoctorCommand.models(tmp).detail())
        .contains("@dannadori/white-box-cartoonization-worker-js@1.0.27 not cached yet");
    Files.createDirectories(tmp.resolve("npm/@dannadori+white-box-cartoonization-worker-js@1.0.27/package"));
    assertThat(DoctorCommand.models(tmp).detail())
        .contains("@dannadori/white-box-cartoonization-worker-js@1.0.27 cached (license CC BY-NC-SA 4.0, non-commercial)");
  }

  @Test
  void aKernelspecWhoseJarsAreGoneSaysToReinstall() throws Exception {
    Path gone = tmp.resolve("moved/tfkit-kernel.jar");
    Path specDir = KernelSpecs.install(tmp.resolve("kernels"), "java", "Java (tfkit)",
        KernelSpecs.argv("java", gone.toString(), List.of()), Map.of());
    Check stale = DoctorCommand.kernel(KernelSpec.read(specDir));
    assertThat(stale.status()).isEqualTo(Status.WARN);
    assertThat(stale.detail()).contains(gone.toString()).contains("./tfkit kernel install");
    Files.createDirectories(gone.getParent());
    Files.writeString(gone, "");
    assertThat(DoctorCommand.kernel(KernelSpec.read(specDir)).status()).isEqualTo(Status.OK);
    assertThat(DoctorCommand.kernel("no-such-kernelspec-here").status()).isEqualTo(Status.WARN);
  }

  @Test
  void aKernelspecWhoseClassDataArchiveIsGoneSaysToReinstall() throws Exception {
    Path jar = tmp.resolve("cds/tfkit-kernel.jar");
    Files.createDirectories(jar.getParent());
    Files.writeString(jar, "");
    Path archive = tmp.resolve("cds/kernels/java/" + ClassDataArchive.FILE_NAME);
    Path specDir = KernelSpecs.install(tmp.resolve("cds/kernels"), "java", "Java (tfkit)",
        ClassDataArchive.using(KernelSpecs.argv("java", jar.toString(), List.of()), archive), Map.of());
    Check check = DoctorCommand.kernel(KernelSpec.read(specDir));
    assertThat(check.status()).isEqualTo(Status.WARN);
    assertThat(check.detail()).contains(archive.toString()).contains("missing").contains("./tfkit kernel install");
  }

  @Test
  void everyCheckRunsInOrderWithItsStatusFirst() {
    List<Check> all = DoctorCommand.checks(new DoctorCommand.Settings("npm", tmp, new int[] {}, "no-such-kernelspec-here"));
    assertThat(all).extracting(Check::name)
        .containsExactly("java", "tensorflow", "ports", "npm", "models", "kernel", "docker");
    assertThat(all).allSatisfy(c -> assertThat(c.line()).startsWith("  " + c.status().name().toLowerCase()));
  }
}
