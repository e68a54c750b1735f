package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tfkit.Tfkit;
import dev.tfkit.cli.TfkitCli;
import dev.tfkit.notebook.document.NotebookDocument;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tfkit run-notebook} end to end: exit codes, messages, files written. */
class RunNotebookCommandTest {
  @TempDir Path tmp;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int tfkit(String... args) {
    CommandLine cl = TfkitCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private static TestNotebooks javaSample() {
    return TestNotebooks.java()
        .code("int epochs = 10;\nList<Double> rates = List.of(0.1);", "parameters")
        .code("System.out.println(epochs);");
  }

  @Test
  void prepareOnlyWritesTheParameterisedNotebookFromFileAndCommandLineValues() throws Exception {
    Path in = javaSample().write(tmp.resolve("train.ipynb"));
    Path yaml = tmp.resolve("params.yaml");
    Files.writeString(yaml, "epochs: 5\nrates: [0.5, 1]\nlabel: first\n");
    int code = tfkit("run-notebook", in.toString(), tmp.resolve("ready.ipynb").toString(),
        "-f", yaml.toString(), "-p", "label", "second", "--prepare-only");
    assertThat(code).as(err.toString()).isZero();
    NotebookDocument nb = NotebookDocument.read(tmp.resolve("ready.ipynb"));
    assertThat(NotebookDocument.source(nb.cells().get(1))).isEqualTo(
        "// Parameters\nint epochs = 5;\nList<Double> rates = List.of(0.5, 1.0);\nString label = \"second\";\n");
  }

  @Test
  void aValueOfTheWrongTypeExitsWith2BeforeAnythingRuns() throws Exception {
    Path in = javaSample().write(tmp.resolve("train.ipynb"));
    int code = tfkit("run-notebook", in.toString(), tmp.resolve("out.ipynb").toString(), "-p", "epochs", "ten");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("tfkit run-notebook: parameter 'epochs': expected int, got 'ten'");
    assertThat(tmp.resolve("out.ipynb")).doesNotExist();
  }

  @Test
  void theKernelspecsLanguageDecidesHowParametersAreWritten() throws Exception {
    assumeTrue(TestNotebooks.hasKernel("python3"), "Debian python3-ipykernel is not installed");
    // the notebook names the java kernel; run on python3, its parameters must be Python
    Path in = TestNotebooks.java().code("n = 1", "parameters").write(tmp.resolve("any.ipynb"));
    int code = tfkit("run-notebook", in.toString(), tmp.resolve("p.ipynb").toString(), "--engine", "jupyter",
        "--kernel", "python3", "-p", "n", "2", "--prepare-only");
    assertThat(code).as(err.toString()).isZero();
    assertThat(NotebookDocument.source(NotebookDocument.read(tmp.resolve("p.ipynb")).cells().get(1)))
        .isEqualTo("# Parameters\nn = 2\n");
  }

  @Test
  void anUnknownKernelIsRefusedNamingTheInstalledOnes() throws Exception {
    Path in = javaSample().write(tmp.resolve("train.ipynb"));
    int code = tfkit("run-notebook", in.toString(), "--engine", "jupyter", "--kernel", "no-such-kernel");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("no Jupyter kernelspec named 'no-such-kernel'");
  }

  @Test
  void aFailingNotebookExitsNonZeroNamingTheExceptionAndKeepsItsOutputBesideTheInput() throws Exception {
    assumeTrue(TestNotebooks.hasKernel("python3"), "Debian python3-ipykernel is not installed");
    Path in = TestNotebooks.python().code("print('one')").code("raise KeyError('missing')").code("print('three')")
        .write(tmp.resolve("fails.ipynb"));
    Path html = tmp.resolve("fails.html");
    int code = tfkit("run-notebook", in.toString(), "--engine", "jupyter", "--html", html.toString(), "--log-output");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("tfkit run-notebook: cell 2 (In [2]) failed: KeyError: 'missing'");
    assertThat(err.toString()).contains("[1/3] cell 1 ok").contains("[2/3] cell 2 FAILED");
    assertThat(out.toString()).contains("one\n").contains("KeyError").doesNotContain("three");
    NotebookDocument nb = NotebookDocument.read(tmp.resolve("fails.out.ipynb"));
    assertThat(nb.metadata().path("papermill").path("exception").asBoolean()).isTrue();
    assertThat(Files.readString(html)).contains("An Exception was encountered").contains("KeyError");
  }

  @Test
  void allRunsEveryNotebookInNameOrderAndWritesAnIndex() throws Exception {
    assumeTrue(TestNotebooks.hasKernel("python3"), "Debian python3-ipykernel is not installed");
    Path dir = Files.createDirectory(tmp.resolve("nbs"));
    TestNotebooks.python().code("x = 1", "parameters").code("open('order.txt', 'a').write('b%d' % x)")
        .write(dir.resolve("b.ipynb"));
    TestNotebooks.python().code("open('order.txt', 'a').write('a')").write(dir.resolve("a.ipynb"));
    TestNotebooks.python().code("1/0").write(dir.resolve("c.ipynb"));
    Path outDir = tmp.resolve("out");
    int code = tfkit("run-notebook", "--all", dir.toString(), "--out", outDir.toString(), "--engine", "jupyter",
        "--cwd", tmp.toString(), "-p", "x", "7");
    assertThat(code).isEqualTo(1);
    assertThat(tmp.resolve("order.txt")).hasContent("ab7");
    assertThat(err.toString()).contains("2 of 3 notebooks completed").contains("c.ipynb");
    for (String f : new String[] {"a.ipynb", "a.html", "b.ipynb", "b.html", "c.ipynb", "c.html", "index.html"}) {
      assertThat(outDir.resolve(f)).exists();
    }
    String index = Files.readString(outDir.resolve("index.html"));
    assertThat(index.indexOf("a.html")).isLessThan(index.indexOf("b.html"));
    assertThat(index).contains("2 of 3 notebooks completed");
    assertThat(rowOf(index, "c.ipynb")).contains("<span class=\"status-failed\">failed</span>").contains("ZeroDivisionError");
    assertThat(rowOf(index, "a.ipynb")).contains("<span class=\"status-completed\">ok</span>")
        .contains("<a href=\"a.ipynb\">a.ipynb</a>");
  }

  @Test
  void allWritesAnIndexWithTitlesStatusLinksAndTheFirstImage() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("java-nbs"));
    TestNotebooks.java().markdown("# Draw a <small> square\n\nIt is red.")
        .code("var img = new java.awt.image.BufferedImage(320, 200, java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
            + "var g = img.createGraphics(); g.setColor(java.awt.Color.RED); g.fillRect(0, 0, 320, 200); g.dispose();\nimg")
        .write(dir.resolve("draw.ipynb"));
    TestNotebooks.java().markdown("## Divide").code("int zero = 0;\nSystem.out.println(1 / zero);")
        .write(dir.resolve("divide.ipynb"));
    Path outDir = tmp.resolve("java-out");
    int code = tfkit("run-notebook", "--all", dir.toString(), "--out", outDir.toString(), "--engine", "inprocess");
    assertThat(code).as(err.toString()).isEqualTo(1);
    String index = Files.readString(outDir.resolve("index.html"));
    String divide = rowOf(index, "divide.ipynb");
    String draw = rowOf(index, "draw.ipynb");
    assertThat(divide).contains("<a href=\"divide.html\">Divide</a>").contains("<span class=\"status-failed\">failed</span>")
        .contains("java.lang.ArithmeticException: / by zero")
        .contains("<a href=\"divide.ipynb\">divide.ipynb</a>");
    assertThat(draw).contains("<a href=\"draw.html\">Draw a  square</a>").contains("<span class=\"status-completed\">ok</span>")
        .contains("<a href=\"draw.ipynb\">draw.ipynb</a>").contains("<a href=\"draw.html\">draw.html</a>");
    assertThat(divide).doesNotContain("<img");
    Matcher m = Pattern.compile("base64,([A-Za-z0-9+/=]+)\"").matcher(draw);
    assertThat(m.find()).isTrue();
    BufferedImage thumb =
        ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
    assertThat(thumb.getWidth()).isEqualTo(160);
    assertThat(thumb.getHeight()).isEqualTo(100);
    assertThat(thumb.getRGB(80, 50) & 0xffffff).isEqualTo(0xff0000);
    assertThat(index).contains("1 of 2 notebooks completed")
        .containsPattern("Run \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} \\S+ with tfkit "
            + Pattern.quote(Tfkit.versions().get("tfkit")));
  }

  /** The index table row of the notebook file {@code name}. */
  private static String rowOf(String index, String name) {
    for (String row : index.split("<tr>")) {
      if (row.contains("<div class=\"file\">" + name + "</div>")) return row;
    }
    throw new AssertionError("no row for " + name + " in " + index);
  }
}
