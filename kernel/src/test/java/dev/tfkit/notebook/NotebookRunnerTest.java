package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
    JsonNode params = out.metadata().path("tfkit").path("parameters");
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
    assertThat(out.metadata().path("tfkit").path("parameters").size()).isZero();
    assertThat(out.metadata().path("tfkit").path("exception").asBoolean()).isFalse();
    JsonNode printed = out.cells().get(2);
    assertThat(printed.path("outputs").get(0).path("text").asText()).isEqualTo("first\n");
    assertThat(printed.path("execution_count").asInt()).isEqualTo(2);
    assertThat(printed.path("metadata").path("tfkit").path("status").asText()).isEqualTo("completed");
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
    List<com.fasterxml.jackson.databind.node.ObjectNode> cells = out.cellList();
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
    assertThat(failed.path("metadata").path("tfkit").path("status").asText()).isEqualTo("failed");
    assertThat(failed.path("metadata").path("tfkit").path("exception").asBoolean()).isTrue();
    JsonNode later = cells.get(4);
    assertThat(later.path("outputs")).isEmpty();
    assertThat(later.path("execution_count").isNull()).isTrue();
    assertThat(later.path("metadata").path("tfkit").path("status").asText()).isEqualTo("pending");
    assertThat(out.metadata().path("tfkit").path("exception").asBoolean()).isTrue();
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
        .contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)
        .isEqualTo(Files.getPosixFilePermissions(in));
  }
}
