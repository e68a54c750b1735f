package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.notebook.document.NotebookDocument;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same notebook run by Jupyter's reference client ({@code jupyter nbconvert --execute}, Debian's
 * nbclient) and by {@code run-notebook} gives the same outputs, cell by cell, in the same order.
 */
class NbconvertParityTest {
  @TempDir Path tmp;

  /** Per cell: the output types (streams with their name), in order. */
  static List<List<String>> shape(NotebookDocument nb) {
    List<List<String>> cells = new ArrayList<>();
    for (JsonNode c : nb.cells()) {
      List<String> types = new ArrayList<>();
      for (JsonNode o : c.path("outputs")) {
        String t = o.path("output_type").asText();
        if (t.equals("stream")) t += ":" + o.path("name").asText();
        if (t.equals("display_data") || t.equals("execute_result")) {
          List<String> mimes = new ArrayList<>();
          o.path("data").fieldNames().forEachRemaining(mimes::add);
          mimes.sort(null);
          t += mimes;
        }
        types.add(t);
      }
      cells.add(types);
    }
    return cells;
  }

  /** Runs {@code in} through {@code python3 -m nbconvert --execute} with {@code kernel}; the executed notebook. */
  static NotebookDocument nbconvert(Path in, Path outDir, String kernel, Map<String, String> env)
      throws Exception {
    String py = TestNotebooks.pythonWith("nbconvert").orElseThrow();
    var r = TestNotebooks.runCapturing(List.of(py, "-m", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.kernel_name=" + kernel, "--ExecutePreprocessor.timeout=300",
        "--output-dir", outDir.toString(), "--output", "nbconvert", in.toString()), env);
    assertThat(r.exitCode()).as("nbconvert failed: %s", r.output()).isZero();
    return NotebookDocument.read(outDir.resolve("nbconvert.ipynb"));
  }

  @Test
  void ipykernelNotebookHasTheSameOutputsAsWithNbconvert() throws Exception {
    assumeTrue(TestNotebooks.hasKernel("python3"), "Debian python3-ipykernel is not installed");
    assumeTrue(TestNotebooks.pythonWith("nbconvert").isPresent(), "Debian jupyter-nbconvert is not installed");
    Path in = TestNotebooks.python()
        .markdown("# Parity")
        .code("import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('out again')")
        .code("")
        .code("from IPython.display import HTML, Image, Markdown, display\nimport base64\n"
            + "display(HTML('<b>bold</b>'))\n"
            + "display(Image(data=base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==')))\n"
            + "display(Markdown('*md*'))\n{'a': 1}")
        .code("from IPython.display import clear_output\nprint('gone')\nclear_output()\nprint('kept')")
        .code("x = 41\nx + 1")
        .write(tmp.resolve("parity.ipynb"));
    NotebookDocument reference = nbconvert(in, tmp, "python3", Map.of());
    NotebookDocument ours = NotebookRunner.builder(in).cwd(tmp)
        .engine("jupyter", NotebookEngines.named("jupyter", null, Duration.ofSeconds(60)))
        .build().run();
    assertThat(shape(ours)).isEqualTo(shape(reference));
    // and the shape is what the notebook asks for, not two empty lists
    assertThat(shape(ours).get(1)).contains("stream:stdout", "stream:stderr");
    assertThat(shape(ours).get(3)).containsExactly("display_data[text/html, text/plain]",
        "display_data[image/png, text/plain]", "display_data[text/markdown, text/plain]", "execute_result[text/plain]");
    assertThat(shape(ours).get(4)).containsExactly("stream:stdout");
    assertThat(ours.cells().get(4).path("outputs").get(0).path("text").asText()).isEqualTo("kept\n");
  }
}
