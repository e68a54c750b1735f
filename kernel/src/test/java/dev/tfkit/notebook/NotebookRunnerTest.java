package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.notebook.document.NotebookDocument;
import dev.tfkit.notebook.parameters.NotebookParameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's semantics, on a scripted fake engine (fast; the real engines have their own tests). */
class NotebookRunnerTest {
  @TempDir Path tmp;
  final ScriptedEngine engine = new ScriptedEngine();
  final AtomicInteger starts = new AtomicInteger();

  private NotebookRunner.Builder runner(TestNotebooks nb) throws Exception {
    return NotebookRunner.builder(nb.write(tmp.resolve("in.ipynb")))
        .output(tmp.resolve("out.ipynb"))
        .engine("scripted", (doc, cwd) -> {
          starts.incrementAndGet();
          return engine;
        });
  }

  private static TestNotebooks sample() {
    return TestNotebooks.java()
        .markdown("# Sample")
        .code("int epochs = 10;\nString model = \"a\";", "parameters")
        .code("print first")
        .code("value 42");
  }

  private static List<String> sources(NotebookDocument nb) {
    List<String> out = new ArrayList<>();
    nb.cells().forEach(c -> out.add(NotebookDocument.source(c)));
    return out;
  }

  @Test
  void injectedCellComesRightAfterTheParametersCellAndRunsAfterIt() throws Exception {
    NotebookDocument out = runner(sample())
        .parameters(NotebookParameters.none().with("epochs", "20").with("model", "b"))
        .build().run();
    assertThat(sources(out)).containsExactly("# Sample", "int epochs = 10;\nString model = \"a\";",
        "// Parameters\nint epochs = 20;\nString model = \"b\";\n", "print first", "value 42");
    assertThat(NotebookDocument.tags(out.cells().get(2))).containsExactly("injected-parameters");
    assertThat(engine.executed.get(1)).isEqualTo("// Parameters\nint epochs = 20;\nString model = \"b\";\n");
    JsonNode params = out.metadata().path("papermill").path("parameters");
    assertThat(params.path("epochs").isInt()).isTrue();
    assertThat(params.path("epochs").asInt()).isEqualTo(20);
    assertThat(params.path("model").asText()).isEqualTo("b");
    // the file written is the notebook returned
    assertThat(NotebookDocument.read(tmp.resolve("out.ipynb")).json()).isEqualTo(out.json());
  }

  @Test
  void withoutParametersTheDefaultsRunAndNothingIsInjected() throws Exception {
    NotebookDocument out = runner(sample()).build().run();
    assertThat(sources(out)).containsExactly("# Sample", "int epochs = 10;\nString model = \"a\";",
        "print first", "value 42");
    assertThat(out.indexOfTag("injected-parameters")).isEqualTo(-1);
    assertThat(engine.executed).containsExactly("int epochs = 10;\nString model = \"a\";", "print first", "value 42");
    assertThat(out.metadata().path("papermill").path("parameters").size()).isZero();
    assertThat(out.metadata().path("papermill").path("exception").asBoolean()).isFalse();
    JsonNode printed = out.cells().get(2);
    assertThat(printed.path("outputs").get(0).path("text").asText()).isEqualTo("first\n");
    assertThat(printed.path("execution_count").asInt()).isEqualTo(2);
    assertThat(printed.path("metadata").path("papermill").path("status").asText()).isEqualTo("completed");
    assertThat(out.cells().get(3).path("outputs").get(0).path("output_type").asText()).isEqualTo("execute_result");
  }

  @Test
  void withoutAParametersCellTheParametersGoOnTop() throws Exception {
    NotebookDocument out = runner(TestNotebooks.java().code("print a").code("print b"))
        .parameters(NotebookParameters.none().with("n", "5")).build().run();
    assertThat(sources(out)).containsExactly("// Parameters\nint n = 5;\n", "print a", "print b");
  }

  @Test
  void anEarlierInjectedCellIsReplaced() throws Exception {
    TestNotebooks nb = TestNotebooks.java().code("int n = 1;", "parameters")
        .code("int n = 99;", "injected-parameters").code("print n");
    NotebookDocument out = runner(nb).parameters(NotebookParameters.none().with("n", "2")).build().run();
    assertThat(sources(out)).containsExactly("int n = 1;", "// Parameters\nint n = 2;\n", "print n");
  }

  @Test
  void aBadParameterIsRefusedBeforeAnythingRuns() throws Exception {
    assertThatThrownBy(() -> runner(sample())
        .parameters(NotebookParameters.none().with("epochs", "many")).build().run())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parameter 'epochs': expected int, got 'many'");
    assertThat(starts.get()).isZero();
    assertThat(tmp.resolve("out.ipynb")).doesNotExist();
  }

  @Test
  void aFailingCellStopsTheRunAndTheNotebookKeepsEverythingSoFar() throws Exception {
    TestNotebooks nb = TestNotebooks.java()
        .code("print before")
        .code("print partial\nfail boom")
        .code("print after");
    assertThatThrownBy(() -> runner(nb).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class, e -> {
          assertThat(e.ename()).isEqualTo("java.lang.IllegalStateException");
          assertThat(e.evalue()).isEqualTo("boom");
          assertThat(e.cellIndex()).isEqualTo(1);
          assertThat(e.getMessage()).contains("cell 2 (In [2])").contains("java.lang.IllegalStateException: boom");
        });
    assertThat(engine.executed).containsExactly("print before", "print partial\nfail boom");
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    List<ObjectNode> cells = out.cellList();
    // banner on top, anchor before the failing cell
    assertThat(NotebookDocument.tags(cells.get(0))).containsExactly(NotebookRunner.ERROR_TAG);
    assertThat(NotebookDocument.source(cells.get(0))).contains("An Exception was encountered").contains("cell 2");
    assertThat(cells.get(1).path("outputs").get(0).path("text").asText()).isEqualTo("before\n");
    assertThat(NotebookDocument.tags(cells.get(2))).containsExactly(NotebookRunner.ERROR_TAG);
    JsonNode failed = cells.get(3);
    assertThat(failed.path("outputs")).hasSize(2);
    assertThat(failed.path("outputs").get(0).path("text").asText()).isEqualTo("partial\n");
    JsonNode err = failed.path("outputs").get(1);
    assertThat(err.path("output_type").asText()).isEqualTo("error");
    assertThat(err.path("evalue").asText()).isEqualTo("boom");
    assertThat(failed.path("metadata").path("papermill").path("status").asText()).isEqualTo("failed");
    assertThat(failed.path("metadata").path("papermill").path("exception").asBoolean()).isTrue();
    JsonNode later = cells.get(4);
    assertThat(later.path("outputs")).isEmpty();
    assertThat(later.path("execution_count").isNull()).isTrue();
    assertThat(later.path("metadata").path("papermill").path("status").asText()).isEqualTo("pending");
    assertThat(out.metadata().path("papermill").path("exception").asBoolean()).isTrue();
    assertThat(engine.wasClosed).isTrue();
  }

  @Test
  void aCellRunningPastTheTimeoutIsInterruptedAndFails() throws Exception {
    TestNotebooks nb = TestNotebooks.java().code("print start").code("block").code("print after");
    assertThatThrownBy(() -> runner(nb).executionTimeout(Duration.ofMillis(200)).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class,
            e -> assertThat(e.ename()).isEqualTo("CellTimeoutError"));
    assertThat(engine.executed).containsExactly("print start", "block");
    NotebookDocument out = NotebookDocument.read(tmp.resolve("out.ipynb"));
    JsonNode outputs = out.cells().get(3).path("outputs");
    assertThat(outputs.get(outputs.size() - 1).path("ename").asText()).isEqualTo("CellTimeoutError");
  }

  @Test
  void aCellIgnoringTheInterruptIsStoppedByClosingTheEngine() throws Exception {
    TestNotebooks nb = TestNotebooks.java().code("hang").code("print after");
    assertThatThrownBy(() -> runner(nb).executionTimeout(Duration.ofMillis(100))
        .interruptGrace(Duration.ofMillis(100)).build().run())
        .isInstanceOfSatisfying(NotebookExecutionException.class,
            e -> assertThat(e.ename()).isEqualTo("CellTimeoutError"));
    assertThat(engine.wasClosed).isTrue();
    assertThat(engine.executed).containsExactly("hang");
  }

  @Test
  void prepareOnlyWritesTheParameterisedNotebookWithoutStartingAnEngine() throws Exception {
    NotebookDocument out = runner(sample()).prepareOnly(true)
        .parameters(NotebookParameters.none().with("epochs", "3")).build().run();
    assertThat(starts.get()).isZero();
    NotebookDocument written = NotebookDocument.read(tmp.resolve("out.ipynb"));
    assertThat(sources(written)).contains("// Parameters\nint epochs = 3;\n");
    assertThat(written.json()).isEqualTo(out.json());
  }

  @Test
  void progressLinesAndLiveOutputGoToTheirStreams() throws Exception {
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    runner(sample()).progress(new PrintStream(progress, true, StandardCharsets.UTF_8))
        .logOutput(new PrintStream(log, true, StandardCharsets.UTF_8)).build().run();
    String p = progress.toString(StandardCharsets.UTF_8);
    assertThat(p).contains("[1/3] cell 2 ok").contains("[3/3] cell 4 ok");
    assertThat(log.toString(StandardCharsets.UTF_8)).isEqualTo("first\n42\n");
  }

  @Test
  void theInputNotebookIsNotChangedAndWritesLeaveNoTempFiles() throws Exception {
    Path in = sample().write(tmp.resolve("in.ipynb"));
    String before = Files.readString(in);
    runner(sample()).parameters(NotebookParameters.none().with("epochs", "3")).build().run();
    assertThat(Files.readString(in)).isEqualTo(before);
    try (var files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("in.ipynb", "out.ipynb");
    }
    // readable like any file the user writes, not a temp file's owner-only mode
    assertThat(Files.getPosixFilePermissions(tmp.resolve("out.ipynb")))
        .contains(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE)
        .isEqualTo(Files.getPosixFilePermissions(in));
  }

  /** papermill's timestamp format: Python's {@code datetime.utcnow().isoformat()}. */
  private static final Pattern ISO = Pattern.compile(
      "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}");

  @Test
  void runMetadataHasPapermillsShapesSoPapermillReadersWork() throws Exception {
    // a successful run: every cell completed, notebook exception null (as papermill leaves it)
    NotebookDocument ok = runner(sample()).parameters(NotebookParameters.none().with("epochs", "3")).build().run();
    JsonNode pm = ok.metadata().path("papermill");
    assertThat(pm.path("parameters").path("epochs").isInt()).isTrue();
    assertThat(pm.path("default_parameters").isObject()).isTrue();
    assertThat(pm.path("environment_variables").isObject()).isTrue();
    assertThat(pm.path("version").isTextual()).isTrue();
    assertThat(pm.path("input_path").asText()).isEqualTo(tmp.resolve("in.ipynb").toString());
    assertThat(pm.path("output_path").asText()).isEqualTo(tmp.resolve("out.ipynb").toString());
    assertThat(pm.path("start_time").asText()).matches(ISO);
    assertThat(pm.path("end_time").asText()).matches(ISO);
    assertThat(pm.path("duration").isDouble()).isTrue();
    assertThat(pm.path("exception").isNull()).isTrue();
    assertThat(ok.metadata().path("tfkit").path("engine").asText()).isEqualTo("scripted");
    for (JsonNode cell : ok.cells()) {
      JsonNode cm = cell.path("metadata").path("papermill");
      assertThat(cm.path("status").asText()).isEqualTo("completed");
      assertThat(cm.path("start_time").asText()).matches(ISO);
      assertThat(cm.path("end_time").asText()).matches(ISO);
      assertThat(cm.path("duration").isDouble()).isTrue();
      assertThat(cm.path("exception").isBoolean()).isTrue();
      assertThat(cm.path("exception").asBoolean()).isFalse();
      assertThat(cell.path("metadata").has("tfkit")).isFalse();
    }
    // a failed run: failed cell, pending ones after it with nulls, papermill's banner tag and anchor
    Path failedOut = tmp.resolve("failed.ipynb");
    assertThatThrownBy(() -> runner(TestNotebooks.java().code("print a").code("fail boom").code("print b"))
        .output(failedOut).build().run()).isInstanceOf(NotebookExecutionException.class);
    NotebookDocument bad = NotebookDocument.read(failedOut);
    assertThat(bad.metadata().path("papermill").path("exception").asBoolean()).isTrue();
    List<ObjectNode> cells = bad.cellList();
    assertThat(NotebookDocument.tags(cells.get(0))).containsExactly("papermill-error-cell-tag");
    assertThat(NotebookDocument.source(cells.get(0))).contains("href=\"#papermill-error-cell\"");
    assertThat(NotebookDocument.source(cells.get(2))).contains("id=\"papermill-error-cell\"");
    JsonNode failed = cells.get(3).path("metadata").path("papermill");
    assertThat(failed.path("status").asText()).isEqualTo("failed");
    assertThat(failed.path("exception").asBoolean()).isTrue();
    JsonNode pending = cells.get(4).path("metadata").path("papermill");
    assertThat(pending.path("status").asText()).isEqualTo("pending");
    assertThat(pending.path("start_time").isNull()).isTrue();
    assertThat(pending.path("duration").isNull()).isTrue();
    assertThat(pending.path("exception").isNull()).isTrue();

    // A papermill-style reader in Python: nbformat's schema, then the fields as papermill's code uses them.
    String py = TestNotebooks.pythonWith("nbformat").orElse(null);
    Assumptions.assumeTrue(py != null, "Debian python3-nbformat is not installed");
    assertThat(TestNotebooks.nbformatErrors(tmp.resolve("out.ipynb"))).isEmpty();
    assertThat(TestNotebooks.nbformatErrors(failedOut)).isEmpty();
    TestNotebooks.Result r = TestNotebooks.runCapturing(List.of(py, "-c", String.join("\n",
        "import sys, datetime, nbformat",
        "for path, failed in ((sys.argv[1], False), (sys.argv[2], True)):",
        "    nb = nbformat.read(path, as_version=4)",
        "    pm = nb.metadata.papermill",
        "    start = datetime.datetime.fromisoformat(pm['start_time'])",
        "    end = datetime.datetime.fromisoformat(pm['end_time'])",
        "    assert start.tzinfo is None and end >= start, (start, end)",
        "    assert isinstance(pm['duration'], float) and abs((end - start).total_seconds() - pm['duration']) < 0.01",
        "    assert bool(pm['exception']) == failed, pm['exception']",
        "    for key in ('parameters', 'default_parameters', 'environment_variables'): assert isinstance(pm[key], dict)",
        "    statuses = [c.metadata.papermill['status'] for c in nb.cells if 'papermill' in c.metadata]",
        "    assert set(statuses) <= {'pending', 'running', 'completed', 'failed'}, statuses",
        "    assert ('failed' in statuses) == failed, statuses",
        "    for c in nb.cells:",
        "        cm = c.metadata.get('papermill')",
        "        if cm and cm['status'] != 'pending': assert isinstance(cm['duration'], float)",
        "print('papermill reader ok')"),
        tmp.resolve("out.ipynb").toString(), failedOut.toString()));
    assertThat(r.output()).contains("papermill reader ok");
  }
}
