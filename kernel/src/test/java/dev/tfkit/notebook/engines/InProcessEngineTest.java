package dev.tfkit.notebook.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.notebook.NotebookEngines;
import dev.tfkit.notebook.NotebookExecutionException;
import dev.tfkit.notebook.NotebookRunner;
import dev.tfkit.notebook.TestNotebooks;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.parameters.NotebookParameters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default {@code inprocess} engine: Java notebooks on the kernel's JShell evaluator in this JVM. */
class InProcessEngineTest {
  @TempDir Path tmp;

  private NotebookRunner.Builder runner(TestNotebooks nb) throws Exception {
    return NotebookRunner.builder(nb.write(tmp.resolve("in.ipynb")))
        .output(tmp.resolve("out.ipynb"))
        .engine("inprocess", NotebookEngines.named("inprocess", null, Duration.ofSeconds(60)));
  }

  private static List<String> types(JsonNode cell) {
    List<String> t = new ArrayList<>();
    cell.path("outputs").forEach(o -> t.add(o.path("output_type").asText()));
    return t;
  }

  @Test
  void injectedParametersKeepTheirDeclaredJavaTypes() throws Exception {
    TestNotebooks nb = TestNotebooks.java()
        .code("int epochs = 10;\nlong seed = 1L;\nList<Double> rates = List.of(0.1);\nString name = \"a\";", "parameters")
        .code("((Object) epochs).getClass().getSimpleName() + \" \" + ((Object) seed).getClass().getSimpleName()"
            + " + \" \" + rates.get(1).getClass().getSimpleName() + \" \" + name.length() + \" \" + (epochs + seed)");
    NotebookDocument out = runner(nb).parameters(NotebookParameters.none()
        .with("epochs", "20").with("seed", "5").with("rates", "[1, 2]").with("name", "007")).build().run();
    JsonNode result = out.cells().get(2).path("outputs").get(0);
    assertThat(result.path("output_type").asText()).isEqualTo("execute_result");
    assertThat(result.path("data").path("text/plain").asText()).isEqualTo("Integer Long Double 3 25");
  }

  @Test
  void outputsOfAJavaNotebookAreStoredAsJupyterStoresThem() throws Exception {
    TestNotebooks nb = TestNotebooks.java()
        .code("System.out.println(\"out\");\nSystem.err.println(\"err\");\n6 * 7")
        .code("var img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
            + "display(img);");
    NotebookDocument out = runner(nb).build().run();
    assertThat(types(out.cells().get(0))).containsExactly("stream", "stream", "execute_result");
    assertThat(out.cells().get(0).path("outputs").get(2).path("data").path("text/plain").asText()).isEqualTo("42");
    assertThat(out.cells().get(0).path("execution_count").asInt()).isEqualTo(1);
    JsonNode shown = out.cells().get(1).path("outputs").get(0);
    assertThat(shown.path("output_type").asText()).isEqualTo("display_data");
    assertThat(shown.path("data").has("image/png")).isTrue();

    assumeTrue(TestNotebooks.pythonWith("nbformat").isPresent(), "Debian python3-nbformat is not installed");
    assertThat(TestNotebooks.nbformatErrors(tmp.resolve("out.ipynb"))).isEmpty();
  }

  @Test
  void aFailingJavaCellStopsTheRun() throws Exception {
    TestNotebooks nb = TestNotebooks.java()
        .code("System.out.println(\"before\");")
        .code("int z = 0;\nSystem.out.println(10 / z);")
        .code("System.out.println(\"after\");");
    assertThatThrownBy(() -> runner(nb).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class, e -> {
          assertThat(e.ename()).isEqualTo("java.lang.ArithmeticException");
          assertThat(e.evalue()).isEqualTo("/ by zero");
        });
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    assertThat(types(out.cells().get(1))).containsExactly("stream");
    assertThat(types(out.cells().get(3))).containsExactly("error");
    assertThat(out.cells().get(4).path("outputs")).isEmpty();

    assumeTrue(TestNotebooks.pythonWith("nbformat").isPresent(), "Debian python3-nbformat is not installed");
    assertThat(TestNotebooks.nbformatErrors(tmp.resolve("out.ipynb"))).isEmpty();
  }

  @Test
  void aJavaCellPastTheTimeoutIsStopped() throws Exception {
    TestNotebooks nb = TestNotebooks.java()
        .code("long n = 0;\nwhile (true) { n++; }")
        .code("System.out.println(\"after\");");
    assertThatThrownBy(() -> runner(nb).executionTimeout(Duration.ofSeconds(1)).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class,
            e -> assertThat(e.ename()).isEqualTo("CellTimeoutError"));
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    // banner, anchor, the stopped cell, the cell after it
    assertThat(types(out.cells().get(2))).endsWith("error");
    assertThat(out.cells().get(2).path("outputs").get(types(out.cells().get(2)).size() - 1).path("ename").asText())
        .isEqualTo("CellTimeoutError");
    assertThat(out.cells().get(3).path("outputs")).isEmpty();
  }

  @Test
  void aWorkingFolderOtherThanTheJvmsIsRefused() throws Exception {
    assertThatThrownBy(() -> runner(TestNotebooks.java().code("1")).cwd(tmp).build().run())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--cwd " + tmp).hasMessageContaining("--engine jupyter");
  }
}
