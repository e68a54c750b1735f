package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.magic.LineMagics;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IJava's magics and environment variables, with real jars built here. */
class MagicsAndEnvironmentTest {
  @TempDir Path tmp;

  /** Compiles {@code pkg.Name} returning {@code text} from {@code greet()} into a jar. */
  static Path jar(Path dir, String pkg, String name, String text) throws IOException {
    Path src = dir.resolve("src").resolve(pkg).resolve(name + ".java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, "package " + pkg + "; public class " + name
        + " { public String greet() { return \"" + text + "\"; } }");
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString());
    assertThat(rc).isZero();
    Path jar = dir.resolve(name.toLowerCase() + ".jar");
    try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os)) {
      jos.putNextEntry(new JarEntry(pkg + "/" + name + ".class"));
      jos.write(Files.readAllBytes(classes.resolve(pkg).resolve(name + ".class")));
      jos.closeEntry();
    }
    return jar;
  }

  @Test
  void classpathMagicWithAGlob() throws Exception {
    Path libs = tmp.resolve("libs");
    Files.createDirectories(libs);
    Path j = jar(tmp.resolve("a"), "alpha", "Alpha", "from alpha");
    Files.copy(j, libs.resolve("alpha-1.0.jar"));
    try (JavaEvaluator ev = JavaEvaluator.builder().build()) {
      EvalResult r = ev.eval("%classpath " + libs + "/*.jar\nnew alpha.Alpha().greet()");
      assertThat(r.error()).isEmpty();
      assertThat(r.value().get().plainText()).isEqualTo("from alpha");
      EvalResult none = ev.eval("%jars " + libs + "/*.zip");
      assertThat(none.error().get().evalue()).contains("no file matches");
    }
  }

  @Test
  void lineMagicAsAValueLikeIJavasExampleNotebook() throws Exception {
    // IJava's example: List<String> added = %jars path/*.jar (tfkit said IncompleteSourceException).
    Path libs = tmp.resolve("inline");
    Files.createDirectories(libs);
    Files.copy(jar(tmp.resolve("b"), "beta", "Beta", "from beta"), libs.resolve("beta-1.0.jar"));
    try (JavaEvaluator ev = JavaEvaluator.builder().build()) {
      assertThat(ev.isComplete("List<String> added = %jars " + libs + "/*.jar").status()).isEqualTo("complete");
      EvalResult r = ev.eval("List<String> added = %jars " + libs + "/*.jar\nadded.size() + \" \" + new beta.Beta().greet()");
      assertThat(r.error()).isEmpty();
      assertThat(r.value().get().plainText()).isEqualTo("1 from beta");
      assertThat(ev.eval("added.get(0)").value().get().plainText())
          .isEqualTo(libs.resolve("beta-1.0.jar").toAbsolutePath().toString());
      // Assignment to an existing variable, a trailing ';', and arguments with quotes.
      EvalResult again = ev.eval("added = %classpath \"" + libs + "\";\nadded");
      assertThat(again.error()).isEmpty();
      assertThat(again.value().get().plainText()).isEqualTo("[" + libs.toAbsolutePath() + "]");
      // Inside a string or a comparison it stays Java.
      assertThat(ev.eval("String s = \"x = %jars nothing\"; s").value().get().plainText()).isEqualTo("x = %jars nothing");
      // Nor inside a text block or a block comment.
      EvalResult template = ev.eval("String fmt = \"\"\"\n    width = %d\n    \"\"\";\n/* n = %jars x\n m = %jars y */\nfmt.formatted(3).strip()");
      assertThat(template.error()).as(String.valueOf(template.error())).isEmpty();
      assertThat(template.value().get().plainText()).isEqualTo("width = 3");
      // A magic on a line of its own still shows no value, as in IJava.
      assertThat(ev.eval("%jars " + libs + "/*.jar").value()).isEmpty();
      // A failing magic used as a value is the cell's error.
      EvalResult bad = ev.eval("var none = %jars " + libs + "/*.zip");
      assertThat(bad.error().get().evalue()).contains("%jars").contains("no file matches");
    }
  }

  @Test
  void mavenMagicResolvesFromTheLocalRepositoryFirst() throws Exception {
    Path repo = tmp.resolve("m2");
    Path dir = repo.resolve("org/example/hello/1.0");
    Files.createDirectories(dir);
    Files.copy(jar(tmp.resolve("h"), "hello", "Hello", "hello from maven"), dir.resolve("hello-1.0.jar"));
    Files.writeString(dir.resolve("hello-1.0.pom"), "<project><modelVersion>4.0.0</modelVersion>"
        + "<groupId>org.example</groupId><artifactId>hello</artifactId><version>1.0</version></project>");
    try (JavaEvaluator ev = JavaEvaluator.builder().mavenLocalRepository(repo).build()) {
      EvalResult r = ev.eval("%maven org.example:hello:1.0\nnew hello.Hello().greet()");
      // Used as a value, %maven gives the jars it resolved.
      EvalResult asValue = ev.eval("List<String> jars = %maven org.example:hello:1.0\njars.get(0)");
      assertThat(asValue.error()).isEmpty();
      assertThat(asValue.value().get().plainText()).endsWith("hello-1.0.jar");
      assertThat(r.error()).as(String.valueOf(r.error())).isEmpty();
      assertThat(r.value().get().plainText()).isEqualTo("hello from maven");
      EvalResult bad = ev.eval("%maven not-a-coordinate");
      assertThat(bad.error().get().ename()).isEqualTo("MagicException");
      assertThat(bad.error().get().evalue()).contains("not-a-coordinate");
    }
  }

  @Test
  void loadMagicRunsAFileAndUnknownMagicsSayWhatExists() throws Exception {
    Path script = tmp.resolve("helpers.jsh");
    Files.writeString(script, "int triple(int x) { return 3 * x; }\n");
    try (JavaEvaluator ev = JavaEvaluator.builder().build()) {
      assertThat(ev.eval("%load " + script + "\ntriple(5)").value().get().plainText()).isEqualTo("15");
      EvalResult unknown = ev.eval("%nosuch");
      assertThat(unknown.error().get().evalue()).contains("unknown magic %nosuch").contains("%maven");
    }
  }

  @Test
  void ijavaEnvironmentVariables() throws Exception {
    Path libs = tmp.resolve("envlibs");
    Files.createDirectories(libs);
    Files.copy(jar(tmp.resolve("b"), "beta", "Beta", "from beta"), libs.resolve("beta.jar"));
    Path scripts = tmp.resolve("scripts");
    Files.createDirectories(scripts);
    Files.writeString(scripts.resolve("one.jsh"), "String fromScript = \"script ran\";");
    Map<String, String> env = Map.of(
        "IJAVA_CLASSPATH", libs + "/*.jar",
        "IJAVA_STARTUP_SCRIPTS_PATH", scripts + "/*.jsh",
        "IJAVA_STARTUP_SCRIPT", "int fromInline = 7;",
        "IJAVA_COMPILER_OPTS", "-Xlint:none",
        "IJAVA_TIMEOUT", "-1");
    try (JavaEvaluator ev = JavaEvaluator.builder().environment(env).build()) {
      assertThat(ev.startupErrors()).isEmpty();
      assertThat(ev.timeout().toMillis()).isZero();
      EvalResult r = ev.eval("new beta.Beta().greet() + \", \" + fromScript + \", \" + fromInline");
      assertThat(r.value().get().plainText()).isEqualTo("from beta, script ran, 7");
    }
  }

  @Test
  void badStartupScriptIsReportedNotFatal() {
    try (JavaEvaluator ev = JavaEvaluator.builder().environment(Map.of("IJAVA_STARTUP_SCRIPT", "int broken = ;")).build()) {
      assertThat(ev.startupErrors()).hasSize(1);
      assertThat(ev.startupErrors().get(0)).contains("IJAVA_STARTUP_SCRIPT");
      assertThat(ev.eval("1 + 2").value().get().plainText()).isEqualTo("3");
    }
  }

  @Test
  void badTimeoutNamesTheVariable() {
    var b = JavaEvaluator.builder();
    Assertions.assertThatThrownBy(() -> b.environment(Map.of("IJAVA_TIMEOUT", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("IJAVA_TIMEOUT");
  }

  @Test
  void magicArgumentsKeepQuotedParts() {
    assertThat(LineMagics.split("a \"b c\" 'd e' f")).isEqualTo(List.of("a", "b c", "d e", "f"));
  }

  /** A local Maven repository holding org.example:hello:1.0, which depends on org.example:world:1.0. */
  static Path localRepoWithHelloAndWorld(Path tmp) throws IOException {
    Path repo = tmp.resolve("m2");
    Path w = repo.resolve("org/example/world/1.0");
    Files.createDirectories(w);
    Files.copy(jar(tmp.resolve("w"), "world", "World", "world jar"), w.resolve("world-1.0.jar"));
    Files.writeString(w.resolve("world-1.0.pom"), "<project><modelVersion>4.0.0</modelVersion>"
        + "<groupId>org.example</groupId><artifactId>world</artifactId><version>1.0</version></project>");
    Path h = repo.resolve("org/example/hello/1.0");
    Files.createDirectories(h);
    Files.copy(jar(tmp.resolve("h"), "hello", "Hello", "hello from the pom"), h.resolve("hello-1.0.jar"));
    Files.writeString(h.resolve("hello-1.0.pom"), "<project><modelVersion>4.0.0</modelVersion>"
        + "<groupId>org.example</groupId><artifactId>hello</artifactId><version>1.0</version>"
        + "<dependencies><dependency><groupId>org.example</groupId><artifactId>world</artifactId>"
        + "<version>1.0</version></dependency></dependencies></project>");
    return repo;
  }

  @Test
  void mavenKeepsDependenciesOfPomsWithJdkActivatedProfilesAndWarnsAboutBadPoms() throws Exception {
    // A POM with a JDK-activated profile could not be built without java.version in the resolver
    // session: its descriptor was dropped silently, and with it the dependency on 'world'.
    Path repo = localRepoWithHelloAndWorld(tmp.resolve("jdk"));
    Path app = repo.resolve("org/example/app/1.0");
    Files.createDirectories(app);
    Files.copy(jar(tmp.resolve("jdk-app"), "app", "App", "app"), app.resolve("app-1.0.jar"));
    Files.writeString(app.resolve("app-1.0.pom"), "<project><modelVersion>4.0.0</modelVersion>"
        + "<groupId>org.example</groupId><artifactId>app</artifactId><version>1.0</version>"
        + "<dependencies><dependency><groupId>org.example</groupId><artifactId>world</artifactId>"
        + "<version>1.0</version></dependency></dependencies>"
        + "<profiles><profile><id>modern</id><activation><jdk>[11,)</jdk></activation></profile></profiles></project>");
    Path broken = repo.resolve("org/example/broken/1.0");
    Files.createDirectories(broken);
    Files.copy(jar(tmp.resolve("jdk-broken"), "broken", "Broken", "broken"), broken.resolve("broken-1.0.jar"));
    Files.writeString(broken.resolve("broken-1.0.pom"), "<project><modelVersion>4.0.0</modelVersion><groupId>");
    try (JavaEvaluator ev = JavaEvaluator.builder().mavenLocalRepository(repo).build()) {
      EvalResult r = ev.eval("List<String> jars = %maven org.example:app:1.0\njars.size() + \" \" + new world.World().greet()");
      assertThat(r.error()).as(String.valueOf(r.error())).isEmpty();
      assertThat(r.value().get().plainText()).isEqualTo("2 world jar");
      assertThat(r.stderr()).isEmpty();
      EvalResult bad = ev.eval("%maven org.example:broken:1.0");
      assertThat(bad.error()).isEmpty();
      assertThat(bad.stderr()).contains("warning: the POM of org.example:broken").contains("dependencies are left out");
    }
  }

  @Test
  void loadFromPomCellMagicAddsTheDependenciesAndTheirDependencies() throws Exception {
    Path repo = localRepoWithHelloAndWorld(tmp);
    try (JavaEvaluator ev = JavaEvaluator.builder().mavenLocalRepository(repo).build()) {
      EvalResult testScoped = ev.eval("%%loadFromPOM\n<dependency><groupId>org.example</groupId>"
          + "<artifactId>hello</artifactId><version>1.0</version><scope>test</scope></dependency>");
      assertThat(testScoped.error()).isEmpty();
      assertThat(ev.eval("new hello.Hello()").error()).as("test scope is not loaded by default").isPresent();
      EvalResult r = ev.eval("\n%%loadFromPOM\n<dependencies>\n  <dependency>\n    <groupId>org.example</groupId>\n"
          + "    <artifactId>hello</artifactId>\n    <version>1.0</version>\n  </dependency>\n</dependencies>\n");
      assertThat(r.error()).as(String.valueOf(r.error())).isEmpty();
      assertThat(ev.eval("new hello.Hello().greet() + \", \" + new world.World().greet()").value().get().plainText())
          .isEqualTo("hello from the pom, world jar");
      EvalResult missing = ev.eval("%%loadFromPOM\n<dependency><groupId>org.example</groupId>"
          + "<artifactId>absent</artifactId><version>9</version></dependency>");
      assertThat(missing.error().get().ename()).isEqualTo("MagicException");
      assertThat(missing.error().get().evalue()).contains("org.example:absent");
    }
  }

  @Test
  void htmlMarkdownAndTimeCellMagics() throws Exception {
    Path script = tmp.resolve("helpers.jsh");
    Files.writeString(script, "int triple(int x) { return 3 * x; }\n");
    try (JavaEvaluator ev = JavaEvaluator.builder().build()) {
      EvalResult html = ev.eval("%%html\n<b>bold</b>\n");
      assertThat(html.displays()).hasSize(1);
      assertThat(html.displays().get(0).get("text/html")).isEqualTo("<b>bold</b>\n");
      assertThat(html.value()).isEmpty();
      EvalResult md = ev.eval("%%markdown\n# Title\n*x*");
      assertThat(md.displays().get(0).get("text/markdown")).isEqualTo("# Title\n*x*");
      // %%time runs its body like a cell: a line magic inside, Java, the last value shown
      EvalResult timed = ev.eval("\n%%time\n%load " + script + "\nint y = triple(5);\ny + 1");
      assertThat(timed.error()).as(String.valueOf(timed.error())).isEmpty();
      assertThat(timed.stdout()).matches("Wall time: [0-9.]+ (s|ms|\u00b5s|ns)\n");
      assertThat(timed.value().get().plainText()).isEqualTo("16");
      // errors in the body name cell lines (the magic's line counts)
      EvalResult failing = ev.eval("%%time\nint a = 1;\nint b = a / 0;");
      assertThat(failing.stdout()).startsWith("Wall time: ");
      assertThat(failing.error().get().ename()).isEqualTo("java.lang.ArithmeticException");
      assertThat(String.join("\n", failing.error().get().traceback())).contains("line 3");
      EvalResult compile = ev.eval("%%time\nint c = \"text\";");
      assertThat(String.join("\n", compile.error().get().traceback())).contains("line 2");
    }
  }

  @Test
  void unknownMisplacedAndNamelessCellMagicsAreClearErrors() {
    try (JavaEvaluator ev = JavaEvaluator.builder().build()) {
      EvalResult unknown = ev.eval("%%bash\nls");
      assertThat(unknown.error().get().ename()).isEqualTo("MagicException");
      assertThat(unknown.error().get().evalue()).isEqualTo(
          "unknown cell magic %%bash (known: %%html %%loadFromPOM %%markdown %%time)");
      EvalResult late = ev.eval("int x = 1;\n%%time\nx");
      assertThat(late.error().get().evalue()).contains("%%time must be on the cell's first line");
      assertThat(late.error().get().traceback().get(0)).startsWith("line 2:");
      EvalResult nameless = ev.eval("%%\n1");
      assertThat(nameless.error().get().evalue()).contains("needs a cell magic name").contains("%%time");
      assertThat(ev.eval("%lsmagic").stdout()).contains("cell magics: %%html %%loadFromPOM %%markdown %%time");
      assertThat(ev.complete("%%ti", 4).matches()).containsExactly("time");
      assertThat(ev.isComplete("%%html\n<b>").status()).isEqualTo("complete");
      assertThat(ev.isComplete("%%time\nfor (int i = 0; i < 3; i++) {").status()).isEqualTo("incomplete");
    }
  }
}
