package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.KernelSpecs;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.engines.JupyterEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Java notebook run by {@code jupyter nbconvert --execute} on the tfkit kernel, and by {@code
 * run-notebook} with both engines ({@code jupyter} on the same kernelspec, {@code inprocess}),
 * gives the same output types in the same order, cell by cell.
 */
class TfkitKernelParityTest {
  static final String KERNEL = "tfkit-parity";
  @TempDir Path tmp;

  @Test
  void aTimeoutInterruptsTheTfkitKernelWithAnInterruptRequest() throws Exception {
    Path specDir = KernelSpecs.install(tmp.resolve("jupyter/kernels"), KERNEL, "Java (tfkit parity)",
        KernelSpecs.argv(KernelSpecs.currentJava(), KernelSpecs.currentClasspath(), List.of()), Map.of());
    KernelSpec spec = KernelSpec.read(specDir);
    assertThat(spec.interruptMode()).isEqualTo("message");
    Path in = new TestNotebooks(KERNEL, "java")
        .code("long n = 0;\nwhile (true) { n++; }")
        .code("System.out.println(\"after\");")
        .write(tmp.resolve("loop.ipynb"));
    Path out = tmp.resolve("loop.out.ipynb");
    Assertions.assertThatThrownBy(() -> NotebookRunner.builder(in).output(out)
            .executionTimeout(Duration.ofSeconds(2))
            .engine("jupyter", (nb, cwd) -> JupyterEngine.start(spec, cwd, Duration.ofSeconds(120)))
            .build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class,
            e -> assertThat(e.ename()).isEqualTo("CellTimeoutError"));
    NotebookDocument nb = NotebookDocument.read(out);
    List<String> outputs = NbconvertParityTest.shape(nb).get(2);
    // the kernel's own error for the stopped cell (it answered the interrupt), then the timeout
    assertThat(outputs).containsExactly("error", "error");
    assertThat(nb.cells().get(3).path("outputs")).isEmpty();
  }

  @Test
  void nbconvertAndBothEnginesGiveTheSameOutputs() throws Exception {
    assumeTrue(TestNotebooks.pythonWith("nbconvert").isPresent(), "Debian jupyter-nbconvert is not installed");
    Path jupyterPath = tmp.resolve("jupyter");
    Path specDir = KernelSpecs.install(jupyterPath.resolve("kernels"), KERNEL, "Java (tfkit parity)",
        KernelSpecs.argv(KernelSpecs.currentJava(), KernelSpecs.currentClasspath(), List.of()), Map.of());
    Map<String, String> env = Map.of(
        "JUPYTER_PATH", jupyterPath.toString(),
        "JUPYTER_DATA_DIR", tmp.resolve("data").toString(),
        "JUPYTER_RUNTIME_DIR", tmp.resolve("runtime").toString(),
        "JUPYTER_CONFIG_DIR", tmp.resolve("config").toString());
    Path in = new TestNotebooks(KERNEL, "java")
        .markdown("# Parity")
        .code("int n = 3;", "parameters")
        .code("System.out.println(\"n = \" + n);\nSystem.err.println(\"careful\");\nn * 14")
        .code("")
        .code("var img = new java.awt.image.BufferedImage(8, 6, java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
            + "display(img);\nString id = display(\"<b>bold</b>\", \"text/html\");")
        .code("import tech.tablesaw.api.*;\n"
            + "Table.create(\"t\", IntColumn.create(\"n\", 1, 2), StringColumn.create(\"s\", \"a\", \"b\"))")
        .code("String word = \"done\";")
        .write(tmp.resolve("parity.ipynb"));

    NotebookDocument reference = NbconvertParityTest.nbconvert(in, tmp, KERNEL, env);
    KernelSpec spec = KernelSpec.read(specDir);
    NotebookDocument viaJupyter = NotebookRunner.builder(in)
        .engine("jupyter", (nb, cwd) -> JupyterEngine.start(spec, cwd, Duration.ofSeconds(120)))
        .build().run();
    NotebookDocument inProcess = NotebookRunner.builder(in)
        .engine("inprocess", NotebookEngines.named("inprocess", null, Duration.ofSeconds(60)))
        .build().run();

    List<List<String>> expected = NbconvertParityTest.shape(reference);
    assertThat(NbconvertParityTest.shape(viaJupyter)).isEqualTo(expected);
    assertThat(NbconvertParityTest.shape(inProcess)).isEqualTo(expected);
    // the notebook does produce each kind, so equal shapes are not equal emptiness
    assertThat(expected.get(2)).contains("stream:stdout", "stream:stderr");
    assertThat(expected.get(2).get(expected.get(2).size() - 1)).startsWith("execute_result");
    assertThat(expected.get(4)).hasSize(2).allMatch(t -> t.startsWith("display_data"));
    assertThat(expected.get(4).get(0)).contains("image/png");
    assertThat(expected.get(5)).hasSize(1).allMatch(t -> t.contains("text/html"));
  }
}
