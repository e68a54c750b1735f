package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.display.MimeBundle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JavaEvaluatorTest {
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
  void lastExpressionIsTheValue() {
    EvalResult r = ev.eval("int a = 6;\nint b = 7;\na * b");
    assertThat(r.error()).isEmpty();
    assertThat(r.value()).get().extracting(MimeBundle::plainText).isEqualTo("42");
  }

  @Test
  void cellsWrittenForIJavaCompileWithItsStartupImportsAndPrintf() {
    // What these cells give in IJava 1.3.0, whose startup snippet imports java.io, java.math,
    // java.net, java.util.concurrent, java.util.prefs and java.util.regex and defines printf.
    assertThat(ev.eval("new BigInteger(\"2\").pow(100)").value().get().plainText())
        .isEqualTo("1267650600228229401496703205376");
    assertThat(ev.eval("Pattern.matches(\"a+b\", \"aaab\")").value().get().plainText()).isEqualTo("true");
    assertThat(ev.eval("new File(\"a/b.txt\").getName()").value().get().plainText()).isEqualTo("b.txt");
    assertThat(ev.eval("var m = new ConcurrentHashMap<String, Integer>(); m.merge(\"k\", 2, Integer::sum); m")
        .value().get().plainText()).isEqualTo("{k=2}");
    assertThat(ev.eval("URI.create(\"http://localhost:8501/v1\").getPort()").value().get().plainText()).isEqualTo("8501");
    assertThat(ev.eval("Preferences.class.getSimpleName()").value().get().plainText()).isEqualTo("Preferences");
    EvalResult p = ev.eval("printf(\"%d-%s%n\", 7, \"x\");");
    assertThat(p.error()).isEmpty();
    assertThat(p.stdout()).isEqualTo("7-x\n");
    // tfkit's own imports are still there beside IJava's.
    assertThat(ev.eval("Files.class.getPackageName()").value().get().plainText()).isEqualTo("java.nio.file");
  }

  @Test
  void statementsHaveNoValue() {
    EvalResult r = ev.eval("int q = 5;");
    assertThat(r.ok()).isTrue();
    assertThat(r.value()).isEmpty();
  }

  @Test
  void stringsShowWithoutQuotesLikeIJava() {
    assertThat(ev.eval("\"hello\" + 1").value().get().plainText()).isEqualTo("hello1");
  }

  @Test
  void stdoutAndStderrStreamInOrder() {
    List<CellOutput> seen = new ArrayList<>();
    EvalResult r = ev.eval("System.out.println(\"one\");\nSystem.err.println(\"two\");\nSystem.out.print(\"three\");", seen::add);
    assertThat(r.stdout()).isEqualTo("one\nthree");
    assertThat(r.stderr()).isEqualTo("two\n");
    assertThat(seen).isEqualTo(r.outputs());
    assertThat(r.outputs().get(0)).isEqualTo(new CellOutput.Stream("stdout", "one\n"));
    assertThat(r.outputs().get(1)).isEqualTo(new CellOutput.Stream("stderr", "two\n"));
  }

  @Test
  void compileErrorNamesLineColumnAndCode() {
    EvalResult r = ev.eval("int ok = 1;\nint bad = \"text\";");
    assertThat(r.error()).isPresent();
    EvalError e = r.error().get();
    assertThat(e.ename()).isEqualTo("CompilationException");
    assertThat(e.evalue()).contains("incompatible types");
    assertThat(e.traceback().get(0)).startsWith("line 2, column 11:");
    assertThat(e.traceback().get(1)).isEqualTo("    int bad = \"text\";");
    assertThat(e.traceback().get(2)).isEqualTo("              ^^^^^^");
  }

  @Test
  void declarationUsingAMissingTypeIsAnErrorNamingIt() {
    // IJava: CompilationException with "Unresolved dependencies: - class MissingType"; tfkit used to
    // accept the cell silently and fail only where X was used.
    EvalResult r = ev.eval("int before = 1;\nclass Holder { MissingType m; OtherMissing o; }");
    EvalError e = r.error().orElseThrow();
    assertThat(e.ename()).isEqualTo("CompilationException");
    assertThat(e.evalue()).startsWith("Unresolved dependencies:").contains("MissingType").contains("OtherMissing");
    assertThat(e.traceback().get(0)).startsWith("line 2: class 'Holder'");
    assertThat(e.traceback()).contains("Unresolved dependencies:");
    assertThat(e.text()).contains("   - class MissingType");
    // A type declared later in the same cell resolves the forward reference: no error.
    EvalResult fwd = ev.eval("class UsesLater { DefinedLater d; }\nclass DefinedLater {}\nnew UsesLater().d == null");
    assertThat(fwd.error()).isEmpty();
    assertThat(fwd.value().get().plainText()).isEqualTo("true");
  }

  @Test
  void runtimeErrorHasExceptionMessageAndCellLine() {
    EvalResult r = ev.eval("int zero = 0;\nint divide(int x) {\n  return x / zero;\n}\ndivide(4)");
    EvalError e = r.error().orElseThrow();
    assertThat(e.ename()).isEqualTo("java.lang.ArithmeticException");
    assertThat(e.evalue()).isEqualTo("/ by zero");
    assertThat(e.traceback().get(0)).isEqualTo("java.lang.ArithmeticException: / by zero");
    assertThat(e.traceback().get(1)).matches("    at divide\\(cell \\d+, line 3\\)");
    assertThat(e.traceback().get(2)).matches("    at <cell>\\(cell \\d+, line 5\\)");
    // JShell's and reflection's frames are trimmed away.
    assertThat(e.text()).doesNotContain("jdk.internal").doesNotContain("jdk.jshell");
  }

  @Test
  void errorStopsTheCellAtThatStatement() {
    EvalResult r = ev.eval("System.out.println(\"before\");\nthrow new IllegalStateException(\"boom\");\nSystem.out.println(\"after\");");
    assertThat(r.stdout()).isEqualTo("before\n");
    assertThat(r.error().get().ename()).isEqualTo("java.lang.IllegalStateException");
    assertThat(r.outputs().get(r.outputs().size() - 1)).isInstanceOf(CellOutput.Error.class);
  }

  @Test
  void imageValueRendersAsPng() throws Exception {
    EvalResult r = ev.eval("var img = new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_INT_RGB);\nimg.setRGB(1, 1, 0xff0000);\nimg");
    MimeBundle b = r.value().orElseThrow();
    byte[] png = Base64.getDecoder().decode(b.get("image/png"));
    BufferedImage back = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(back.getWidth()).isEqualTo(3);
    assertThat(back.getRGB(1, 1) & 0xffffff).isEqualTo(0xff0000);
    assertThat(b.plainText()).isEqualTo("BufferedImage 3x2");
  }

  @Test
  void displayAndUpdateDisplayShareAnId() {
    EvalResult r = ev.eval("String id = display(\"first\");\nupdateDisplay(id, \"second\");");
    assertThat(r.ok()).isTrue();
    List<CellOutput> outs = r.outputs();
    assertThat(outs).hasSize(2);
    var d1 = (CellOutput.Display) outs.get(0);
    var d2 = (CellOutput.Display) outs.get(1);
    assertThat(d1.update()).isFalse();
    assertThat(d2.update()).isTrue();
    assertThat(d1.bundle().plainText()).isEqualTo("first");
    assertThat(d2.bundle().plainText()).isEqualTo("second");
    assertThat(d1.bundle().displayId()).isPresent().isEqualTo(d2.bundle().displayId());
  }

  @Test
  void toHtmlConventionRendersHtml() {
    EvalResult r = ev.eval("record Card(String name) { public String toHtml() { return \"<b>\" + name + \"</b>\"; } }\nnew Card(\"x\")");
    MimeBundle b = r.value().orElseThrow();
    assertThat(b.get("text/html")).isEqualTo("<b>x</b>");
    assertThat(b.plainText()).isEqualTo("Card[name=x]");
  }

  @Test
  void failingRendererKeepsTheValueAsText() {
    EvalResult r = ev.eval(
        "class Odd { public String toString() { return \"odd value\"; } }\n"
            + "registerRenderer(Odd.class, (v, out) -> { throw new RuntimeException(\"renderer broke\"); });\n"
            + "new Odd()");
    assertThat(r.ok()).isTrue();
    assertThat(r.value().get().plainText()).isEqualTo("odd value");
    assertThat(r.stderr()).contains("renderer broke");
  }

  @Test
  void evalFromACellReturnsTheObject() {
    EvalResult r = ev.eval("Object v = eval(\"21 * 2\");\nv.getClass().getSimpleName() + \"=\" + v");
    assertThat(r.value().get().plainText()).isEqualTo("Integer=42");
  }

  @Test
  void systemExitIsAnErrorNotTheEnd() {
    EvalResult r = ev.eval("System.exit(3);");
    assertThat(r.error().get().ename()).isEqualTo("java.lang.SecurityException");
    assertThat(r.error().get().evalue()).contains("System.exit(3)");
    assertThat(ev.eval("1 + 1").value().get().plainText()).isEqualTo("2");
  }

  @Test
  void hugeOutputIsTruncatedWithANote() {
    try (JavaEvaluator small = JavaEvaluator.builder().maxOutputChars(1000).build()) {
      EvalResult r = small.eval("for (int i = 0; i < 500; i++) System.out.println(\"line \" + i);");
      assertThat(r.stdout()).hasSize(1000);
      assertThat(r.stderr()).contains("[output truncated:").contains("more characters not shown");
    }
  }

  @Test
  void incompleteCodeIsAnError() {
    EvalResult r = ev.eval("for (int i = 0; i < 3; i++) {");
    assertThat(r.error().get().ename()).isEqualTo("IncompleteSourceException");
  }

  @Test
  void isCompleteAnswersLikeJupyterExpects() {
    assertThat(ev.isComplete("int x = 1;").status()).isEqualTo("complete");
    assertThat(ev.isComplete("for (int i = 0; i < 3; i++) {").status()).isEqualTo("incomplete");
    assertThat(ev.isComplete("for (int i = 0; i < 3; i++) {").indent()).isEqualTo("    ");
  }

  @Test
  void completionFindsMethods() {
    ev.eval("String s = \"abc\";");
    String code = "int n = 1;\ns.toUpper";
    var c = ev.complete(code, code.length());
    assertThat(c.matches()).contains("toUpperCase(");
    assertThat(code.substring(c.start(), c.end())).isEqualTo("toUpper");
  }

  @Test
  void inspectionShowsSignatures() {
    String code = "Math.max";
    var doc = ev.inspect(code, 6, false);
    assertThat(doc).isPresent();
    assertThat(doc.get().plainText()).contains("max(int", "max(double");
  }

  @Test
  void defaultImportsAreThere() {
    EvalResult r = ev.eval("List<Path> l = new ArrayList<>(); l.add(Paths.get(\"a\")); versions().containsKey(\"tfkit\")");
    assertThat(r.error()).isEmpty();
    assertThat(r.value().get().plainText()).isEqualTo("true");
  }

  @Test
  void interruptStopsABusyLoopAndTheEvaluatorStaysUsable() throws Exception {
    Thread stopper = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      ev.interrupt();
    });
    stopper.start();
    EvalResult r = ev.eval("long n = 0; while (true) { n++; }");
    stopper.join();
    assertThat(r.error().get().ename()).isEqualTo("EvaluationInterruptedException");
    assertThat(ev.eval("40 + 2").value().get().plainText()).isEqualTo("42");
  }

  @Test
  void timeoutStopsALongStatement() {
    try (JavaEvaluator t = JavaEvaluator.builder().environment(Map.of("IJAVA_TIMEOUT", "200")).build()) {
      EvalResult r = t.eval("while (true) { Thread.onSpinWait(); }");
      assertThat(r.error().get().ename()).isEqualTo("EvaluationTimeoutException");
      assertThat(t.eval("\"still\" + \" here\"").value().get().plainText()).isEqualTo("still here");
    }
  }

  @Test
  void progressBarUpdatesOneDisplayInPlace() {
    EvalResult r = ev.eval("try (var p = progress(\"items\", 4)) { for (int i = 0; i < 4; i++) p.step(); }");
    assertThat(r.ok()).isTrue();
    List<CellOutput.Display> shown = r.outputs().stream().map(o -> (CellOutput.Display) o).toList();
    assertThat(shown.get(0).update()).isFalse();
    assertThat(shown.get(0).bundle().plainText()).contains("0% 0/4");
    assertThat(shown.subList(1, shown.size())).allMatch(CellOutput.Display::update);
    assertThat(shown.get(shown.size() - 1).bundle().plainText()).contains("100% 4/4");
    assertThat(shown.get(shown.size() - 1).bundle().get("text/html")).contains("<progress value=\"4\" max=\"4\"");
    assertThat(shown).extracting(d -> d.bundle().displayId()).containsOnly(shown.get(0).bundle().displayId());
    // Throttled: four quick steps do not produce four updates plus the final one.
    assertThat(shown.size()).isLessThanOrEqualTo(3);
  }

  @Test
  void displayTextAsAnotherMimeType() {
    EvalResult r = ev.eval("display(\"<b>bold</b>\", \"text/html\");");
    MimeBundle b = r.displays().get(0);
    assertThat(b.get("text/html")).isEqualTo("<b>bold</b>");
  }

  @Test
  void systemInReadsLinesFromTheListener() {
    List<String> prompts = new ArrayList<>();
    EvalListener answering = new EvalListener() {
      @Override
      public void output(CellOutput output) {}

      @Override
      public String requestInput(String prompt, boolean password) {
        prompts.add(prompt);
        return "21";
      }
    };
    EvalResult r = ev.eval("System.out.print(\"number? \");\nint n = new java.util.Scanner(System.in).nextInt();\nn * 2", answering);
    assertThat(r.value().get().plainText()).isEqualTo("42");
    assertThat(prompts).hasSize(1);
    assertThat(r.stdout()).isEqualTo("number? ");
    // Without an answer, System.in is at its end.
    assertThat(ev.eval("System.in.read()").value().get().plainText()).isEqualTo("-1");
  }
}
