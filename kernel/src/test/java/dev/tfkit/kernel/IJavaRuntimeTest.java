package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.display.MimeBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cells written for IJava's runtime API (io.github.spencerpark.ijava...) give IJava's rich output. */
class IJavaRuntimeTest {
  static JavaEvaluator ev;

  @BeforeAll
  static void start() {
    ev = JavaEvaluator.builder().build();
  }

  @AfterAll
  static void stop() {
    ev.close();
  }

  @Test
  void aReturnedDisplayDataShowsAsRichOutput() {
    // Used to show as "DisplayData@7a78d237".
    EvalResult r = ev.eval("""
        import io.github.spencerpark.jupyter.kernel.display.DisplayData;
        DisplayData d = new DisplayData("plain text");
        d.putHTML("<i>rich</i>");
        d""");
    assertThat(r.error()).isEmpty();
    MimeBundle b = r.value().orElseThrow();
    assertThat(b.get("text/html")).isEqualTo("<i>rich</i>");
    assertThat(b.plainText()).isEqualTo("plain text");
  }

  @Test
  void rendererRegisteredThroughIJavasKernelInstanceShowsValues() {
    EvalResult r = ev.eval("""
        import io.github.spencerpark.ijava.IJava;
        import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;
        record Temp(double celsius) {}
        IJava.getKernelInstance().getRenderer()
            .createRegistration(Temp.class)
            .preferring(MIMEType.TEXT_HTML)
            .register((t, ctx) -> ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> "<b>" + t.celsius() + " &deg;C</b>"));
        new Temp(21.5)""");
    assertThat(r.error()).isEmpty();
    assertThat(r.value().orElseThrow().get("text/html")).isEqualTo("<b>21.5 &deg;C</b>");
    // display(...) and IJava's Display.render use the registration too.
    EvalResult shown = ev.eval("display(new Temp(3.0));");
    assertThat(shown.displays().get(0).get("text/html")).isEqualTo("<b>3.0 &deg;C</b>");
    EvalResult rendered = ev.eval("""
        import io.github.spencerpark.ijava.runtime.*;
        Display.render(new Temp(4.0)).getData(MIMEType.TEXT_HTML)""");
    assertThat(rendered.value().orElseThrow().plainText()).isEqualTo("<b>4.0 &deg;C</b>");
  }

  @Test
  void ijavasRuntimeClassesDelegateToTheNotebook() {
    EvalResult r = ev.eval("""
        import io.github.spencerpark.ijava.runtime.*;
        String id = Display.display("<b>x</b>", "text/html");
        Display.updateDisplay(id, "<b>y</b>", "text/html");
        Object v = Kernel.eval("6 * 7");
        String.valueOf(v) + " " + (Kernel.getKernelInstance() != null)""");
    assertThat(r.error()).isEmpty();
    assertThat(r.value().orElseThrow().plainText()).isEqualTo("42 true");
    assertThat(r.displays().get(0).get("text/html")).isEqualTo("<b>x</b>");
    CellOutput.Display update = r.outputs().stream()
        .filter(o -> o instanceof CellOutput.Display d && d.update()).map(o -> (CellOutput.Display) o).findFirst().orElseThrow();
    assertThat(update.bundle().get("text/html")).isEqualTo("<b>y</b>");
    assertThat(update.bundle().displayId()).isEqualTo(r.displays().get(0).displayId());
    // IJava's Display.render(o, types...) keeps only those types.
    EvalResult as = ev.eval("Display.render(\"<p>t</p>\", \"text/html\").getData(io.github.spencerpark.jupyter.kernel.display.mime.MIMEType.TEXT_HTML)");
    assertThat(as.value().orElseThrow().plainText()).isEqualTo("<p>t</p>");
  }

  @Test
  void magicsCalledAsFunctions(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("classes"));
    EvalResult r = ev.eval("import io.github.spencerpark.ijava.runtime.*;\n"
        + "List<String> added = Magics.lineMagic(\"classpath\", List.of(\"" + dir + "\"));\n"
        + "Magics.cellMagic(\"html\", List.of(), \"<h1>hi</h1>\");\n"
        + "added");
    assertThat(r.error()).isEmpty();
    assertThat(r.value().orElseThrow().plainText()).isEqualTo("[" + dir.toAbsolutePath() + "]");
    assertThat(r.displays().get(0).get("text/html")).isEqualTo("<h1>hi</h1>");
    // The unqualified names of IJava's startup (static imports) work too.
    assertThat(ev.eval("lineMagic(\"classpath\", List.of(\"" + dir + "\"))").value().orElseThrow().plainText())
        .isEqualTo("[" + dir.toAbsolutePath() + "]");
  }

  @Test
  void ijavasStartupStaticImportsRepeatedInACellAreNotAmbiguous() {
    // IJava's startup has these; with tfkit's CellFunctions.* beside them, display(...) was ambiguous.
    EvalResult r = ev.eval("""
        import static io.github.spencerpark.ijava.runtime.Display.*;
        import static io.github.spencerpark.ijava.runtime.Kernel.*;
        import static io.github.spencerpark.ijava.runtime.Magics.*;
        String shownId = display("shown");
        getKernelInstance() != null && eval("1 + 1").equals(2)""");
    assertThat(r.error()).isEmpty();
    assertThat(r.value().orElseThrow().plainText()).isEqualTo("true");
    assertThat(r.displays().get(0).plainText()).isEqualTo("shown");
  }
}
