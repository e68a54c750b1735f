package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel under real Jupyter: {@code jupyter nbconvert --execute} on a notebook, and Jupyter's
 * conformance suite (jupyter_kernel_test). Skipped, with the reason, where Python's Jupyter
 * packages are not installed ({@code .ci/run} installs them).
 */
class JupyterIntegrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String KERNEL = "tfkit-test";

  @TempDir static Path tmp;
  static Map<String, String> env;

  @BeforeAll
  static void kernelspec() throws IOException {
    Path jupyterPath = tmp.resolve("jupyter");
    KernelSpecs.install(jupyterPath.resolve("kernels"), KERNEL, "Java (tfkit test)", TestKernels.argv(), Map.of());
    Map<String, String> e = TestKernels.isolatedJupyterEnv(tmp);
    e.put("TFKIT_KERNEL_NAME", KERNEL);
    env = Map.copyOf(e);
  }

  /** A python3 that has {@code module}, or null. */
  static String pythonWith(String module) {
    List<String> candidates = new ArrayList<>();
    String configured = System.getenv("TFKIT_PYTHON");
    if (configured != null) candidates.add(configured);
    candidates.add("python3");
    candidates.add("/usr/bin/python3");
    for (String py : candidates) {
      try {
        Process p = new ProcessBuilder(py, "-c", "import " + module).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return py;
      } catch (IOException | InterruptedException e) {
        // Not this one.
      }
    }
    return null;
  }

  record Run(int exit, String output) {}

  static Run run(Path dir, List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile(tmp, "run-", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Run(-1, "timed out\n" + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  @Test
  void conformanceSuitePasses() throws Exception {
    String python = pythonWith("jupyter_kernel_test");
    assumeTrue(python != null, "python3 module jupyter_kernel_test is not installed (Debian: python3-jupyter-kernel-test)");
    Path tests = Path.of("src/test/python").toAbsolutePath();
    Run r = run(tests, List.of(python, "-m", "unittest", "-v", "test_tfkit_kernel"));
    assertThat(r.exit()).as(r.output()).isEqualTo(0);
    assertThat(r.output()).contains("OK").doesNotContain("skipped 'no");
  }

  @Test
  void nbconvertExecutesANotebookWithImagesTablesAndHtml() throws Exception {
    String python = pythonWith("nbconvert");
    assumeTrue(python != null, "python3 module nbconvert is not installed (Debian: jupyter-nbconvert)");
    Path nb = tmp.resolve("integration.ipynb");
    Files.copy(Path.of("src/test/resources/notebooks/integration.ipynb"), nb);
    Run r = run(tmp, List.of(python, "-m", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.kernel_name=" + KERNEL, "--ExecutePreprocessor.timeout=300",
        "--output", "executed.ipynb", nb.toString()));
    assertThat(r.exit()).as(r.output()).isEqualTo(0);
    JsonNode out = JSON.readTree(Files.readString(tmp.resolve("executed.ipynb")));
    JsonNode cells = out.get("cells");

    JsonNode hello = outputs(cells, 2);
    assertThat(hello.get(0).get("output_type").asText()).isEqualTo("stream");
    assertThat(text(hello.get(0).get("text"))).isEqualTo("hello from java\n");
    JsonNode result = hello.get(1);
    assertThat(result.get("output_type").asText()).isEqualTo("execute_result");
    assertThat(text(result.get("data").get("text/plain"))).isEqualTo("42");

    JsonNode image = rich(cells, 3).get(0).get("data");
    byte[] png = Base64.getMimeDecoder().decode(text(image.get("image/png")));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(img.getWidth()).isEqualTo(8);
    assertThat(img.getHeight()).isEqualTo(6);
    assertThat(img.getRGB(5, 2) & 0xffffff).isEqualTo(0x00ff00);
    assertThat(img.getRGB(5, 3) & 0xffffff).isEqualTo(0);

    JsonNode table = rich(cells, 4).get(0).get("data");
    assertThat(text(table.get("text/html"))).contains("<th>n</th>", "<th>name</th>", "<td>b</td>", "3 rows");

    JsonNode badge = rich(cells, 5).get(0).get("data");
    assertThat(text(badge.get("text/html"))).isEqualTo("<span class='badge'>tfkit</span>");

    // The progress bar was updated in place: one output, showing the final state.
    JsonNode progress = rich(cells, 6);
    assertThat(progress).hasSize(1);
    assertThat(text(progress.get(0).get("data").get("text/plain"))).contains("100% 3/3");

    // Cell magics: %%html is display_data; %%time prints the wall time and keeps the value.
    JsonNode html = rich(cells, 7).get(0);
    assertThat(html.get("output_type").asText()).isEqualTo("display_data");
    assertThat(text(html.get("data").get("text/html"))).isEqualTo("<p class='note'>from a cell magic</p>");
    JsonNode timed = outputs(cells, 8);
    assertThat(text(timed.get(0).get("text"))).startsWith("Wall time: ");
    assertThat(text(rich(cells, 8).get(0).get("data").get("text/plain"))).isEqualTo("55");
  }

  private static JsonNode outputs(JsonNode cells, int i) {
    return cells.get(i).get("outputs");
  }

  /** The cell's rich outputs (execute_result, display_data), skipping stream text. */
  private static ArrayNode rich(JsonNode cells, int i) {
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode o : outputs(cells, i)) {
      String type = o.get("output_type").asText();
      if (type.equals("execute_result") || type.equals("display_data")) out.add(o);
    }
    return out;
  }

  /** Notebook text fields are a string or a list of lines. */
  private static String text(JsonNode e) {
    if (e.isArray()) {
      StringBuilder sb = new StringBuilder();
      e.forEach(x -> sb.append(x.asText()));
      return sb.toString();
    }
    return e.asText();
  }
}
