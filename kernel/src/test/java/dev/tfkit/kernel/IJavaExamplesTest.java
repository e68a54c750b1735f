package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
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
 * The two notebooks of {@code src/test/resources/ijava-examples} (written for IJava: printing,
 * rich display, the runtime API; a {@code %maven} library with a dependency of its own) run by
 * {@code jupyter nbconvert --execute} on the tfkit kernelspec: no error output, and the values the
 * cells compute. With {@code -Dijava.kernelspec=.../kernel.json} the same assertions run on that
 * kernel instead (how the folder's README checked them on IJava 1.3.0). Skipped, with the reason,
 * where Python's nbconvert is not installed.
 */
class IJavaExamplesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String KERNEL = "tfkit-ijava-examples";

  @TempDir static Path tmp;
  static Map<String, String> env;

  @BeforeAll
  static void kernelspec() throws Exception {
    Path jupyterPath = tmp.resolve("jupyter");
    String other = System.getProperty("ijava.kernelspec");
    if (other != null) {
      // the same assertions on another kernel (IJava's kernel.json), to check the notebooks there
      Files.createDirectories(jupyterPath.resolve("kernels").resolve(KERNEL));
      Files.copy(Path.of(other), jupyterPath.resolve("kernels").resolve(KERNEL).resolve("kernel.json"));
    } else {
      KernelSpecs.install(jupyterPath.resolve("kernels"), KERNEL, "Java (tfkit test)", TestKernels.argv(), Map.of());
    }
    env = Map.copyOf(TestKernels.isolatedJupyterEnv(tmp));
  }

  /** Executes the example notebook {@code name} and returns its cells, after checking no cell failed. */
  static JsonNode execute(String name) throws Exception {
    String python = JupyterIntegrationTest.pythonWith("nbconvert");
    assumeTrue(python != null, "python3 module nbconvert is not installed (Debian: jupyter-nbconvert)");
    Path nb = tmp.resolve(name);
    Files.copy(Path.of("src/test/resources/ijava-examples").resolve(name), nb);
    Path executed = tmp.resolve("executed-" + name);
    List<String> cmd = new ArrayList<>(List.of(python, "-m", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.kernel_name=" + KERNEL, "--ExecutePreprocessor.timeout=300",
        "--output", executed.toString(), nb.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile(tmp, "nbconvert-", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    boolean done = p.waitFor(10, TimeUnit.MINUTES);
    if (!done) p.destroyForcibly();
    assertThat(done && p.exitValue() == 0).as("nbconvert on %s:\n%s", name, Files.readString(log)).isTrue();
    JsonNode cells = JSON.readTree(Files.readString(executed)).get("cells");
    for (JsonNode c : cells) {
      JsonNode cell = c;
      if (!cell.has("outputs")) continue;
      for (JsonNode o : cell.get("outputs")) {
        assertThat(o.get("output_type").asText()).as("%s cell %s: %s", name, cell.get("id"), o).isNotEqualTo("error");
        if (o.has("name")) {
          assertThat(o.get("name").asText()).as("%s cell %s: %s", name, cell.get("id"), o).isEqualTo("stdout");
        }
      }
    }
    return cells;
  }

  @Test
  void helloWorld() throws Exception {
    JsonNode cells = execute("hello-world.ipynb");
    assertThat(stdout(cells, 1)).isEqualTo("Hello, world!\n");
    assertThat(stdout(cells, 2)).isEqualTo("20 + 22 = 42\n");
    assertThat(data(cells, 2, 0, "text/plain")).isEqualTo("Hello from a value");
    assertThat(data(cells, 3, 0, "text/html")).isEqualTo("<h3 style='color:teal'>Hello in HTML</h3>");
    assertThat(data(cells, 3, 1, "text/markdown")).isEqualTo("Hello in **Markdown**, with `code`");
    byte[] png = Base64.getMimeDecoder().decode(data(cells, 4, 0, "image/png"));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(img.getWidth()).isEqualTo(120);
    assertThat(img.getHeight()).isEqualTo(60);
    assertThat(img.getRGB(30, 30) & 0xffffff).isEqualTo(0x1f77b4);
    assertThat(img.getRGB(90, 30) & 0xffffff).isEqualTo(0xff7f0e);
    assertThat(img.getRGB(60, 5) & 0xffffff).isEqualTo(0xffffff);
    // updated in place: one output, the last state
    assertThat(rich(cells, 5)).hasSize(1);
    assertThat(data(cells, 5, 0, "text/plain")).isEqualTo("working: 3 of 3");
    assertThat(data(cells, 7, 0, "text/html")).isEqualTo("<div style='width:40px;height:20px;background:#2ca02c'></div>");
    assertThat(data(cells, 7, 0, "text/plain")).isEqualTo("swatch #2ca02c");
    assertThat(data(cells, 8, 0, "text/html")).isEqualTo("<b>rendered</b> ahead of time");
    assertThat(data(cells, 9, 0, "text/plain")).isEqualTo("55");
  }

  @Test
  void thirdPartyDependency() throws Exception {
    JsonNode cells = execute("third-party-dependency.ipynb");
    assertThat(rich(cells, 1)).isEmpty();
    assertThat(data(cells, 2, 0, "text/plain")).isEqualTo("Hello From A Maven Dependency");
    assertThat(data(cells, 3, 0, "text/plain")).isEqualTo("commons-text version 1.12.0");
    assertThat(data(cells, 4, 0, "text/html")).isEqualTo("<table><tr><th>word</th><th>edits from kitten</th></tr>"
        + "<tr><td>kitten</td><td>0</td></tr><tr><td>mitten</td><td>1</td></tr><tr><td>sitting</td><td>3</td></tr></table>");
    assertThat(data(cells, 6, 0, "text/plain")).isEqualTo("***dependency***");
  }

  private static JsonNode outputs(JsonNode cells, int i) {
    return cells.get(i).get("outputs");
  }

  private static String stdout(JsonNode cells, int i) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode o : outputs(cells, i)) {
      if (o.get("output_type").asText().equals("stream")) sb.append(text(o.get("text")));
    }
    return sb.toString();
  }

  private static ArrayNode rich(JsonNode cells, int i) {
    ArrayNode out = JSON.createArrayNode();
    for (JsonNode o : outputs(cells, i)) {
      String type = o.get("output_type").asText();
      if (type.equals("execute_result") || type.equals("display_data")) out.add(o);
    }
    return out;
  }

  private static String data(JsonNode cells, int cell, int output, String mime) {
    JsonNode rich = rich(cells, cell);
    assertThat(rich.size()).as("rich outputs of cell %d: %s", cell, outputs(cells, cell)).isGreaterThan(output);
    JsonNode data = rich.get(output).get("data");
    assertThat(data.has(mime)).as("cell %d output %d: %s", cell, output, data.properties().stream().map(Map.Entry::getKey).toList()).isTrue();
    return text(data.get(mime));
  }

  private static String text(JsonNode e) {
    if (e.isArray()) {
      StringBuilder sb = new StringBuilder();
      e.forEach(x -> sb.append(x.asText()));
      return sb.toString();
    }
    return e.asText();
  }
}
