package dev.tfkit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.KernelSpecs;
import dev.tfkit.notebook.engines.JupyterEngine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same walkthrough, every notebook run on the real tfkit kernel (a kernelspec like {@code tfkit
 * kernel install} writes, started as Jupyter starts it, spoken to over ZeroMQ), with the same
 * checks as the in-process run ({@link DemoTest}'s tests are inherited).
 */
class DemoOnKernelTest extends DemoTest {
  @Override
  Demo demo(Path out, Path scratch, PrintStream log) throws Exception {
    Path specs = Files.createDirectories(scratch.resolve("jupyter/kernels"));
    List<String> options = new ArrayList<>(List.of("-Xmx2g"));
    String root = System.getProperty("tfkit.repo.root");
    if (root != null) options.add("-Dtfkit.repo.root=" + root);
    KernelSpec spec = KernelSpec.read(KernelSpecs.install(specs, "java", "Java (tfkit)",
        KernelSpecs.argv(KernelSpecs.currentJava(),
            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), options),
        Map.of()));
    return new Demo(out, Demo.defaultNotebooks(), log, Duration.ofMinutes(15), "jupyter",
        (nb, cwd) -> JupyterEngine.start(spec, cwd, Duration.ofSeconds(120)));
  }

  @Test
  void theNotebooksRecordTheirEngine() throws Exception {
    for (Demo.Step s : steps) {
      assertThat(notebook(s.notebook()).path("metadata").path("tfkit").path("engine").asText())
          .as(s.notebook()).isEqualTo("jupyter");
    }
  }
}
