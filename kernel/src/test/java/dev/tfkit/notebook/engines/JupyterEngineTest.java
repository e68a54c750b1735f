package dev.tfkit.notebook.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.notebook.NotebookEngines;
import dev.tfkit.notebook.NotebookExecutionException;
import dev.tfkit.notebook.NotebookRunner;
import dev.tfkit.notebook.TestNotebooks;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.parameters.NotebookParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code jupyter} engine against a real kernel: Debian's ipykernel ({@code python3-ipykernel}),
 * started from its kernelspec and spoken to over ZeroMQ by tfkit alone.
 */
class JupyterEngineTest {
  @TempDir Path tmp;

  @BeforeAll
  static void needsIpykernel() {
    assumeTrue(TestNotebooks.hasKernel("python3"),
        "no 'python3' Jupyter kernelspec (Debian python3-ipykernel is not installed)");
  }

  private NotebookRunner.Builder runner(TestNotebooks nb) throws Exception {
    return NotebookRunner.builder(nb.write(tmp.resolve("in.ipynb")))
        .output(tmp.resolve("out.ipynb"))
        .cwd(tmp)
        .engine("jupyter", NotebookEngines.named("jupyter", null, Duration.ofSeconds(60)));
  }

  private static List<String> outputTypes(JsonNode cell) {
    List<String> t = new ArrayList<>();
    cell.path("outputs").forEach(o -> t.add(o.path("output_type").asText()));
    return t;
  }

  @Test
  void outputsAreStoredAsJupyterStoresThemAndTheNotebookIsValid() throws Exception {
    TestNotebooks nb = TestNotebooks.python()
        .code("n = 2\nword = 'a'", "parameters")
        .code("print('n is', n, type(n).__name__)\nimport sys\nprint('oops', file=sys.stderr)")
        .code("word * n")
        .code("from IPython.display import HTML, Image, display\nimport base64\n"
            + "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==')\n"
            + "display(Image(data=png))\ndisplay(HTML('<table><tr><td>1</td></tr></table>'))")
        .code("open('written.txt', 'w').write('here')");
    NotebookDocument out = runner(nb)
        .parameters(NotebookParameters.none().with("n", "3").with("word", "xy")).build().run();
    List<ObjectNode> cells = out.cellList();
    assertThat(NotebookDocument.source(cells.get(1))).isEqualTo("# Parameters\nn = 3\nword = \"xy\"\n");
    JsonNode printed = cells.get(2);
    assertThat(outputTypes(printed)).containsExactly("stream", "stream");
    assertThat(printed.path("outputs").get(0).path("text").asText()).isEqualTo("n is 3 int\n");
    assertThat(printed.path("outputs").get(1).path("name").asText()).isEqualTo("stderr");
    JsonNode result = cells.get(3).path("outputs").get(0);
    assertThat(result.path("output_type").asText()).isEqualTo("execute_result");
    assertThat(result.path("data").path("text/plain").asText()).isEqualTo("'xyxyxy'");
    assertThat(result.path("execution_count").asInt()).isEqualTo(cells.get(3).path("execution_count").asInt());
    assertThat(cells.get(3).path("execution_count").asInt()).isEqualTo(4);
    JsonNode displays = cells.get(4).path("outputs");
    assertThat(outputTypes(cells.get(4))).containsExactly("display_data", "display_data");
    assertThat(displays.get(0).path("data").has("image/png")).isTrue();
    assertThat(displays.get(1).path("data").path("text/html").asText()).contains("<table>");
    // --cwd is the kernel's working folder
    assertThat(tmp.resolve("written.txt")).hasContent("here");

    assumeTrue(TestNotebooks.pythonWith("nbformat").isPresent(), "Debian python3-nbformat is not installed");
    assertThat(TestNotebooks.nbformatErrors(tmp.resolve("out.ipynb"))).isEmpty();
  }

  @Test
  void anUpdatedDisplayIsStoredWithItsLatestData() throws Exception {
    TestNotebooks nb = TestNotebooks.python()
        .code("h = display('first', display_id=True)")
        .code("h.update('second')\nprint('updated')");
    NotebookDocument out = runner(nb).build().run();
    JsonNode shown = out.cells().get(0).path("outputs");
    assertThat(outputTypes(out.cells().get(0))).containsExactly("display_data");
    assertThat(shown.get(0).path("data").path("text/plain").asText()).isEqualTo("'second'");
    assertThat(outputTypes(out.cells().get(1))).containsExactly("stream");
  }

  @Test
  void aFailingCellIsRecordedWithTheKernelsErrorAndStopsTheRun() throws Exception {
    TestNotebooks nb = TestNotebooks.python()
        .code("print('ran')")
        .code("print('partial')\n1/0")
        .code("open('later.txt', 'w').write('x')");
    assertThatThrownBy(() -> runner(nb).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class, e -> {
          assertThat(e.ename()).isEqualTo("ZeroDivisionError");
          assertThat(e.executionCount()).isEqualTo(2);
        });
    assertThat(tmp.resolve("later.txt")).doesNotExist();
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    JsonNode failed = out.cells().get(3);
    assertThat(outputTypes(failed)).containsExactly("stream", "error");
    assertThat(failed.path("outputs").get(1).path("traceback").size()).isGreaterThan(0);
    assertThat(out.cells().get(4).path("outputs")).isEmpty();

    assumeTrue(TestNotebooks.pythonWith("nbformat").isPresent(), "Debian python3-nbformat is not installed");
    assertThat(TestNotebooks.nbformatErrors(tmp.resolve("out.ipynb"))).isEmpty();
  }

  @Test
  void theTimeoutInterruptsTheKernelAndFailsTheRun() throws Exception {
    TestNotebooks nb = TestNotebooks.python()
        .code("import time\ntime.sleep(120)")
        .code("open('later.txt', 'w').write('x')");
    assertThatThrownBy(() -> runner(nb).executionTimeout(Duration.ofSeconds(1)).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class,
            e -> assertThat(e.ename()).isEqualTo("CellTimeoutError"));
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    List<String> enames = new ArrayList<>();
    out.cells().get(2).path("outputs").forEach(o -> enames.add(o.path("ename").asText()));
    // the kernel's own KeyboardInterrupt shows SIGINT reached it; then tfkit's timeout error
    assertThat(enames).containsExactly("KeyboardInterrupt", "CellTimeoutError");
    assertThat(tmp.resolve("later.txt")).doesNotExist();
  }

  @Test
  void aKernelThatDiesIsReportedWithItsOutput() throws Exception {
    Path specDir = Files.createDirectories(tmp.resolve("kernels/broken"));
    Files.writeString(specDir.resolve("kernel.json"),
        "{\"argv\": [\"/bin/sh\", \"-c\", \"echo no such kernel here; exit 3\", \"{connection_file}\"],"
            + " \"display_name\": \"broken\", \"language\": \"python\"}");
    KernelSpec spec = KernelSpec.read(specDir);
    assertThatThrownBy(() -> JupyterEngine.start(spec, tmp, Duration.ofSeconds(30)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("kernel 'broken' died (exit code 3)")
        .hasMessageContaining("no such kernel here");
  }

  @Test
  void anUnknownKernelspecIsNamed() {
    assertThatThrownBy(() -> KernelSpec.find("no-such-kernel-xyz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no Jupyter kernelspec named 'no-such-kernel-xyz'")
        .hasMessageContaining("python3");
  }
}
