package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.kernel.JavaEvaluator;
import dev.tfkit.kernel.spec.KernelSpecs;
import dev.tfkit.notebook.document.NotebookDocument;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cell's log records look like, in the tfkit kernel (started by Jupyter's kernel.json) and
 * in {@code run-notebook}'s in-process engine (a JVM started like {@code ./tfkit}): the same, one
 * line per record, tfkit's records from INFO up, other libraries' (grpc) from WARNING up.
 */
class CellLoggingTest {
  @TempDir Path tmp;

  private static final String CELL =
      "var server = java.util.logging.Logger.getLogger(\"dev.tfkit.server\");\n"
          + "var grpc = java.util.logging.Logger.getLogger(\"io.grpc.netty.shaded.io.grpc.netty.TcpMetrics\");\n"
          + "server.info(\"Successfully loaded servable version {name: m version: 1}\");\n"
          + "server.fine(\"fine detail\");\n"
          + "grpc.info(\"Epoll available\");\n"
          + "grpc.warning(\"grpc trouble\");\n"
          + "\"logged\"";

  private TestNotebooks.Result runNotebook(Path in, Path out, Map<String, String> env, String... extra) {
    List<String> args = new ArrayList<>(List.of(in.toString(), out.toString()));
    args.addAll(List.of(extra));
    return TestNotebooks.runNotebookCli(JavaEvaluator.EXIT_GUARD_JVM_OPTIONS, env, args.toArray(new String[0]));
  }

  /** The cell's stderr text with each line's date and time taken off. */
  private static String stderr(Path notebook) throws Exception {
    StringBuilder text = new StringBuilder();
    for (JsonNode o : NotebookDocument.read(notebook).cells().get(0).path("outputs")) {
      if (o.path("name").asText().equals("stderr")) {
        JsonNode t = o.path("text");
        if (t.isArray()) t.forEach(line -> text.append(line.asText()));
        else text.append(t.asText());
      }
    }
    return text.toString().replaceAll("(?m)^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ", "");
  }

  @Test
  void theKernelAndTheInProcessEngineLogTheSameOneLineRecords() throws Exception {
    Path jupyter = tmp.resolve("jupyter");
    KernelSpecs.install(jupyter.resolve("kernels"), "tfkit-logging", "Java (tfkit logging)",
        KernelSpecs.argv(KernelSpecs.currentJava(), System.getProperty("surefire.test.class.path",
            System.getProperty("java.class.path")), List.of("-Xmx512m")), Map.of());
    Path in = TestNotebooks.java().code(CELL).write(tmp.resolve("log.ipynb"));

    Path inProcess = tmp.resolve("inprocess.ipynb");
    TestNotebooks.Result a = runNotebook(in, inProcess, Map.of());
    assertThat(a.exitCode()).as(a.output()).isZero();
    Path kernel = tmp.resolve("kernel.ipynb");
    TestNotebooks.Result b = runNotebook(in, kernel, Map.of("JUPYTER_PATH", jupyter.toString()),
        "--engine", "jupyter", "--kernel", "tfkit-logging");
    assertThat(b.exitCode()).as(b.output()).isZero();

    String expected = "INFO dev.tfkit.server: Successfully loaded servable version {name: m version: 1}\n"
        + "WARNING io.grpc.netty.shaded.io.grpc.netty.TcpMetrics: grpc trouble\n";
    assertThat(stderr(inProcess)).isEqualTo(expected);
    assertThat(stderr(kernel)).isEqualTo(expected);
  }
}
