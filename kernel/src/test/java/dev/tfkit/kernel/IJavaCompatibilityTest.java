package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tfkit.io.AtomicFiles;
import dev.tfkit.kernel.protocol.JupyterMessage;
import dev.tfkit.kernel.protocol.KernelClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 17's points, cell by cell, on the tfkit kernel process over ZeroMQ, compared with what IJava
 * 1.3.0 gave for the same cells. IJava's outputs are recorded in {@code
 * src/test/resources/ijava-recorded/CASE.json} (see the README there); a test never runs IJava.
 * Each output is normalised the same way on both sides: the fixture folder becomes {@code ${TMP}},
 * identity hash codes {@code @HASH}, display ids a flag, ANSI colours are dropped.
 *
 * <p>To re-record, build IJava ({@code src/test/ijava/build-ijava.sh}) and run this test with
 * {@code -Dijava.kernelspec=/path/to/ijava/kernel.json}: {@link #recordIJava} then runs every case
 * on that kernel and rewrites the files.
 */
class IJavaCompatibilityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Pretty JSON laid out as the recordings are: two-space indents, one array element a line. */
  private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter(
          Separators.createDefaultInstance()
              .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
              .withObjectEmptySeparator("")
              .withArrayEmptySeparator(""))
      .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE));
  private static final Duration CELL_TIMEOUT = Duration.ofSeconds(120);
  static Path tmp;
  static Path localRepo;
  static KernelClient tfkit;

  /** One point of the issue: cells run in order in one kernel; {@code better} marks cells where tfkit is meant to differ. */
  record Case(String name, List<String> cells, Map<Integer, BiConsumer<JsonNode, ObjectNode>> better) {
    Case(String name, String... cells) {
      this(name, List.of(cells), Map.of());
    }

    Case better(int cell, BiConsumer<JsonNode, ObjectNode> check) {
      Map<Integer, BiConsumer<JsonNode, ObjectNode>> m = new LinkedHashMap<>(better);
      m.put(cell, check);
      return new Case(name, cells, m);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** IJava's %%loadFromPOM resolves from the POM's repositories and Maven Central only, not the local repository. */
  static final String REPOSITORY = "<repository>\n  <id>fixture</id>\n  <url>file://${TMP}/home/.m2/repository</url>\n</repository>\n";

  static final String DEPENDENCY = "<dependency>\n  <groupId>org.example</groupId>\n  <artifactId>%s</artifactId>\n"
      + "  <version>1.0</version>\n</dependency>\n";

  static List<Case> cases() {
    return List.of(
        new Case("default-imports-and-printf",
            "printf(\"%s has %d items, %.2f%n\", \"list\", new ArrayList<>(List.of(1, 2, 3)).size(), new BigDecimal(\"2.5\").doubleValue());",
            "Pattern.compile(\"a+\").matcher(\"caaat\").find() + \" \" + new ConcurrentHashMap<String, Integer>().isEmpty()"
                + " + \" \" + new StringWriter().getClass().getSimpleName() + \" \" + URI.create(\"file:/x/y\").getPath()"
                + " + \" \" + Preferences.class.getSimpleName() + \" \" + BigInteger.TWO.pow(70)"),
        new Case("values",
            "\"plain string\"",
            "int three = 3;",
            "three * 14",
            "null",
            "List.of(\"a\", \"b\")",
            "new int[] {1, 2, 3}")
            .better(5, (ijava, tf) -> {
              // IJava shows Object.toString(); tfkit shows the elements, like JShell.
              assertThat(plain(ijava)).matches("\\[I@HASH");
              assertThat(plain(tf)).isEqualTo("int[3] { 1, 2, 3 }");
            }),
        new Case("display-and-update",
            "String shown = display(\"<b>bold</b>\", \"text/html\");\nshown.isEmpty()",
            "updateDisplay(shown, \"<i>replaced</i>\", \"text/html\");",
            "display(List.of(1, 2));",
            "display(\"just text\");"),
        new Case("render-returns-display-data",
            "import io.github.spencerpark.jupyter.kernel.display.DisplayData;\n"
                + "DisplayData asHtml = render(\"<p>para</p>\", \"text/html\");\nasHtml",
            "DisplayData fortyTwo = render(6 * 7);\nfortyTwo",
            "display(asHtml);",
            "DisplayData built = new DisplayData(\"plain text\");\nbuilt.putHTML(\"<i>rich</i>\");\nbuilt")
            .better(2, (ijava, tf) -> {
              // IJava's display(Object) does not know DisplayData: it shows its toString().
              assertThat(plain(ijava)).isEqualTo("io.github.spencerpark.jupyter.kernel.display.DisplayData@HASH");
              // tfkit shows its MIME data, what IJava shows for the same DisplayData as a cell's value
              JsonNode shown = tf.get("outputs").get(0);
              assertThat(shown.get("type").asText()).isEqualTo("display_data");
              assertThat(shown.get("data").toString()).isEqualTo("{\"text/html\":\"<p>para</p>\",\"text/plain\":\"<p>para</p>\"}");
            }),
        new Case("kernel-instance-and-renderer",
            "import io.github.spencerpark.ijava.IJava;\n"
                + "import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;\n"
                + "class Temp { final double c; Temp(double c) { this.c = c; } public String toString() { return c + \" C\"; } }\n"
                + "IJava.getKernelInstance().getRenderer()\n"
                + "    .createRegistration(Temp.class)\n"
                + "    .preferring(MIMEType.TEXT_HTML)\n"
                + "    .register((t, ctx) -> ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> \"<b>\" + t.c + \" &deg;C</b>\"));",
            "new Temp(21.5)",
            "display(new Temp(3.0));",
            "io.github.spencerpark.ijava.runtime.Display.render(new Temp(4.0)).getData(MIMEType.TEXT_HTML)",
            "IJava.getKernelInstance().getClass().getSimpleName()",
            "IJava.getKernelInstance().getRenderer().render(new Temp(5.0)).getData(MIMEType.TEXT_HTML)"),
        new Case("eval",
            "eval(\"6 * 7\")",
            "io.github.spencerpark.ijava.runtime.Kernel.eval(\"String.join(\\\"-\\\", List.of(\\\"a\\\", \\\"b\\\"))\")"),
        new Case("maven-transitive",
            "%maven org.example:hello:1.0",
            "new hello.Hello().greet() + \" / \" + new world.World().greet()"),
        new Case("loadFromPOM-transitive",
            "%%loadFromPOM\n" + REPOSITORY + DEPENDENCY.formatted("greeter"),
            "new greeter.Greeter().greet() + \" / \" + new planet.Planet().greet()"),
        new Case("maven-unreadable-pom",
            "%maven org.example:broken:1.0",
            "new broken.Broken().greet()")
            .better(1, (ijava, tf) -> {
              // IJava added nothing, so the class is unknown; tfkit added the jar (not its dependencies)
              assertThat(ijava.get("ename").asText()).isEqualTo("CompilationException");
              assertThat(plain(tf)).isEqualTo("broken jar");
            })
            .better(0, (ijava, tf) -> {
              // IJava's parser prints "[Fatal Error]" lines; tfkit says which POM, as a warning.
              assertThat(tf.get("status").asText()).isEqualTo("ok");
              assertThat(tf.get("stderr").asText())
                  .contains("warning: the POM of org.example:broken:jar:1.0 is invalid, so its dependencies are left out")
                  .doesNotContain("[Fatal Error]");
            }),
        new Case("magics-as-values",
            "List<String> added = %jars ${TMP}/libs/*.jar\nadded",
            "new alpha.Alpha().greet()",
            "List<String> more = %classpath ${TMP}/more/beta.jar\nnew beta.Beta().greet()"),
        new Case("magics-from-code",
            "io.github.spencerpark.ijava.runtime.Magics.lineMagic(\"jars\", List.of(\"${TMP}/code/*.jar\"))",
            "new gamma.Gamma().greet()",
            "cellMagic(\"loadFromPOM\", List.of(), \"" + (REPOSITORY + DEPENDENCY.formatted("cellcode")).replace("\n", "\\n") + "\");\n"
                + "new cellcode.Cellcode().greet()",
            "lineMagic(\"loadFromPOM\", List.of(\"${TMP}/pom.xml\"));\nnew linecode.Linecode().greet()"),
        new Case("unresolved-declarations",
            "class UsesMissing { MissingType m; }",
            "void useBoth() { NotThere a; AlsoMissing b; }",
            "int fine = 1;\nfine",
            "useBoth();")
            .better(3, (ijava, tf) -> {
              // both refuse to run it; IJava names the snippet, tfkit the types that are missing
              assertThat(ijava.get("ename").asText()).isEqualTo("UnresolvedReferenceException");
              assertThat(ijava.get("evalue").textValue()).doesNotContain("class NotThere");
              assertThat(tf.get("ename").asText()).isEqualTo("UnresolvedReferenceException");
              assertThat(tf.get("evalue").asText()).isEqualTo(
                  "'void useBoth() { NotThere a; AlsoMissing b; }' cannot run until class NotThere, class AlsoMissing are defined");
            })
            .better(0, (ijava, tf) -> {
              // IJava 1.3.0: a CompilationException with an empty message and its own stack as traceback
              assertThat(ijava.get("ename").asText()).isEqualTo("CompilationException");
              assertThat(ijava.get("evalue").textValue()).isEmpty();
              assertThat(ijava.get("traceback").textValue()).doesNotContain("MissingType");
              assertThat(tf.get("ename").asText()).isEqualTo("CompilationException");
              assertThat(tf.get("evalue").asText()).contains("MissingType");
              assertThat(tf.get("traceback").asText()).contains("MissingType");
            }));
  }

  // ------------------------------------------------------------------------------------------

  @BeforeAll
  static void start() throws Exception {
    tmp = Files.createTempDirectory("tfkit-ijava-compat-").toRealPath();
    localRepo = fixture(tmp);
    if (System.getProperty("ijava.kernelspec") != null) return; // recording: no tfkit kernel
    List<String> argv = new ArrayList<>(TestKernels.argv());
    argv.add(1, "-Dmaven.repo.local=" + localRepo);
    tfkit = KernelClient.start(argv, Map.of(), Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    if (tfkit != null) tfkit.close();
    if (tmp != null) {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * The files the cases use: a local Maven repository (hello needs world, greeter needs planet, a
   * broken POM, cellcode, linecode) at {@code home/.m2/repository} (IJava's default under {@code
   * -Duser.home}), jars for {@code %jars}, and a pom.xml for {@code lineMagic("loadFromPOM")}.
   */
  static Path fixture(Path dir) throws IOException {
    Path repo = dir.resolve("home/.m2/repository");
    artifact(dir, repo, "world", null, false);
    artifact(dir, repo, "hello", "world", false);
    artifact(dir, repo, "planet", null, false);
    artifact(dir, repo, "greeter", "planet", false);
    artifact(dir, repo, "broken", null, true);
    artifact(dir, repo, "cellcode", null, false);
    artifact(dir, repo, "linecode", null, false);
    Files.createDirectories(dir.resolve("libs"));
    Files.copy(MagicsAndEnvironmentTest.jar(dir.resolve("build/alpha"), "alpha", "Alpha", "from alpha"), dir.resolve("libs/alpha-1.0.jar"));
    Files.createDirectories(dir.resolve("more"));
    Files.copy(MagicsAndEnvironmentTest.jar(dir.resolve("build/beta"), "beta", "Beta", "from beta"), dir.resolve("more/beta.jar"));
    Files.createDirectories(dir.resolve("code"));
    Files.copy(MagicsAndEnvironmentTest.jar(dir.resolve("build/gamma"), "gamma", "Gamma", "from gamma"), dir.resolve("code/gamma.jar"));
    Files.writeString(dir.resolve("pom.xml"), "<project><modelVersion>4.0.0</modelVersion><groupId>org.example</groupId>"
        + "<artifactId>user</artifactId><version>1</version><repositories>" + REPOSITORY.replace("${TMP}", dir.toString())
        + "</repositories><dependencies>" + DEPENDENCY.formatted("linecode") + "</dependencies></project>\n");
    return repo;
  }

  private static void artifact(Path dir, Path repo, String name, String dependsOn, boolean brokenPom) throws IOException {
    Path d = repo.resolve("org/example/" + name + "/1.0");
    Files.createDirectories(d);
    String cls = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    Files.copy(MagicsAndEnvironmentTest.jar(dir.resolve("build/" + name), name, cls, name + " jar"), d.resolve(name + "-1.0.jar"));
    String pom = brokenPom
        ? "<project><modelVersion>4.0.0</modelVersion><groupId>"
        : "<project><modelVersion>4.0.0</modelVersion><groupId>org.example</groupId><artifactId>" + name
            + "</artifactId><version>1.0</version>"
            + (dependsOn == null ? "" : "<dependencies>" + DEPENDENCY.formatted(dependsOn) + "</dependencies>")
            + "</project>";
    Files.writeString(d.resolve(name + "-1.0.pom"), pom);
  }

  // ------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void tfkitGivesWhatIJavaGave(Case c) throws Exception {
    assumeTrue(tfkit != null, "recording IJava's outputs (-Dijava.kernelspec), not testing tfkit");
    JsonNode recorded = recorded(c.name());
    JsonNode cells = recorded.get("cells");
    assertThat(cells.size()).as("cells of %s; re-record IJava's outputs after changing a case", c).isEqualTo(c.cells().size());
    for (int i = 0; i < c.cells().size(); i++) {
      JsonNode ijava = cells.get(i);
      assertThat(ijava.get("cell").asText()).as("cell %d of %s; re-record after changing a case", i, c).isEqualTo(c.cells().get(i));
      ObjectNode tf = run(tfkit, c.cells().get(i));
      if (c.better().containsKey(i)) {
        c.better().get(i).accept(ijava, tf);
      } else {
        // tracebacks are recorded for reading; their layout is each kernel's own
        assertThat(PRETTY.writeValueAsString(withoutTraceback(tf))).as("cell %d of %s:\n%s", i, c, c.cells().get(i))
            .isEqualTo(PRETTY.writeValueAsString(withoutTraceback(ijava)));
      }
    }
    assertThat(tfkit.kernelLog()).as("the kernel process's own output").doesNotContain("[Fatal Error]");
  }

  /**
   * IJava's {@code Magics.cellMagic}/{@code lineMagic} run any magic its kernel has; tfkit's run
   * every one of its own too (IJava has no %%html, %%markdown, %%time to record against).
   */
  @Test
  void everyMagicIsCallableFromCode() throws Exception {
    assumeTrue(tfkit != null, "recording IJava's outputs (-Dijava.kernelspec), not testing tfkit");
    JsonNode timed = run(tfkit, "Object timedValue = cellMagic(\"time\", List.of(), \"%jars ${TMP}/code/*.jar\\nint q = 6;\\nq * 7\");\n"
        + "timedValue + \" \" + new gamma.Gamma().greet()");
    assertThat(timed.get("status").asText()).as(timed.toString()).isEqualTo("ok");
    assertThat(timed.get("stdout").asText()).matches("Wall time: [0-9.]+ (s|ms|\u00b5s|ns)\n");
    assertThat(plain(timed)).isEqualTo("42 from gamma");
    JsonNode html = run(tfkit, "cellMagic(\"html\", List.of(), \"<b>h</b>\");\ncellMagic(\"markdown\", List.of(), \"# T\");");
    assertThat(html.get("outputs").toString()).isEqualTo("[{\"type\":\"display_data\",\"data\":{\"text/html\":\"<b>h</b>\",\"text/plain\":\"<b>h</b>\"},\"display_id\":false},"
        + "{\"type\":\"display_data\",\"data\":{\"text/markdown\":\"# T\",\"text/plain\":\"# T\"},\"display_id\":false}]");
    JsonNode unknown = run(tfkit, "cellMagic(\"bash\", List.of(), \"ls\")");
    assertThat(unknown.get("evalue").asText()).isEqualTo("%%bash: unknown cell magic %%bash (known: %%html %%loadFromPOM %%markdown %%time)");
    JsonNode failing = run(tfkit, "cellMagic(\"time\", List.of(), \"int z = 1 / 0;\")");
    assertThat(failing.get("status").asText()).isEqualTo("error");
    assertThat(failing.get("evalue").asText()).contains("ArithmeticException");
    assertThat(failing.get("stdout").asText()).startsWith("Wall time: ");
    Files.writeString(tmp.resolve("helper.jsh"), "int quadruple(int x) { return 4 * x; }\n");
    JsonNode lines = run(tfkit, "lineMagic(\"load\", List.of(\"${TMP}/helper.jsh\"));\n"
        + "List<String> viaAlias = lineMagic(\"addMavenDependency\", List.of(\"org.example:hello:1.0\"));\n"
        + "lineMagic(\"lsmagic\", List.of());\n"
        + "quadruple(2) + \" \" + viaAlias.size()");
    assertThat(lines.get("status").asText()).as(lines.toString()).isEqualTo("ok");
    assertThat(plain(lines)).isEqualTo("8 2");
    assertThat(lines.get("stdout").asText()).contains("%loadFromPOM").contains("%%time");
    JsonNode absent = run(tfkit, "lineMagic(\"loadFromPOM\", List.of(\"${TMP}/absent.xml\"))");
    assertThat(absent.get("evalue").asText()).isEqualTo("%loadFromPOM: no such POM file: ${TMP}/absent.xml");
    Files.writeString(tmp.resolve("bad.xml"), "<project><dependencies><dependency><groupId>x</groupId>");
    JsonNode bad = run(tfkit, "%loadFromPOM ${TMP}/bad.xml");
    assertThat(bad.get("ename").asText()).isEqualTo("MagicException");
    assertThat(bad.get("evalue").asText()).startsWith("%loadFromPOM: ${TMP}/bad.xml: ");
  }

  /** {@code render} gives IJava's DisplayData; tfkit's bundle view on it stays usable and follows its setters. */
  @Test
  void tfkitsViewOfRenderStaysUsable() throws Exception {
    assumeTrue(tfkit != null, "recording IJava's outputs (-Dijava.kernelspec), not testing tfkit");
    JsonNode r = run(tfkit, "var shownAs = render(6 * 7);\n"
        + "String before = shownAs.plainText() + \" \" + shownAs.has(\"text/html\");\n"
        + "shownAs.putHTML(\"<b>42</b>\");\n"
        + "before + \" | \" + shownAs.get(\"text/html\") + \" \" + shownAs.bundle().data().keySet()"
        + " + \" \" + (shownAs instanceof io.github.spencerpark.jupyter.kernel.display.DisplayData)");
    assertThat(plain(r)).as(r.toString()).isEqualTo("42 false | <b>42</b> [text/plain, text/html] true");
  }

  /** Runs every case on the kernelspec given as {@code -Dijava.kernelspec} and rewrites the recordings. */
  @Test
  void recordIJava() throws Exception {
    String spec = System.getProperty("ijava.kernelspec");
    assumeTrue(spec != null, "set -Dijava.kernelspec=.../kernel.json to re-record IJava's outputs");
    JsonNode kernelJson = JSON.readTree(Files.readString(Path.of(spec)));
    List<String> argv = new ArrayList<>();
    kernelJson.get("argv").forEach(a -> argv.add(a.asText()));
    argv.add(1, "-Duser.home=" + tmp.resolve("home"));
    Path out = Path.of(System.getProperty("ijava.record.dir", "src/test/resources/ijava-recorded"));
    Files.createDirectories(out);
    try (KernelClient ijava = KernelClient.start(argv, Map.of(), Duration.ofSeconds(90))) {
      for (Case c : cases()) {
        ObjectNode file = JSON.createObjectNode();
        file.put("case", c.name());
        file.put("kernel", System.getProperty("ijava.version", "IJava 1.3.0 (v1.3.0, c99a809)"));
        ArrayNode cells = JSON.createArrayNode();
        for (String cell : c.cells()) cells.add(run(ijava, cell));
        file.set("cells", cells);
        AtomicFiles.writeString(out.resolve(c.name() + ".json"), PRETTY.writeValueAsString(file) + "\n");
      }
    }
  }

  private static JsonNode recorded(String name) throws IOException {
    try (InputStream in = IJavaCompatibilityTest.class.getResourceAsStream("/ijava-recorded/" + name + ".json")) {
      assertThat(in).as("recorded IJava outputs for case %s", name).isNotNull();
      return JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** Runs one cell and gives its outputs, normalised. */
  static ObjectNode run(KernelClient kernel, String cell) throws Exception {
    KernelClient.Reply r = kernel.execute(cell.replace("${TMP}", tmp.toString()), CELL_TIMEOUT);
    ObjectNode o = JSON.createObjectNode();
    o.put("cell", cell);
    String status = r.content().get("status").asText();
    o.put("status", status);
    if (status.equals("error")) {
      o.put("ename", normalise(r.content().get("ename").asText()));
      o.put("evalue", normalise(r.content().get("evalue").asText()));
      StringBuilder tb = new StringBuilder();
      r.content().get("traceback").forEach(t -> tb.append(t.asText()).append('\n'));
      o.put("traceback", normalise(tb.toString()));
    }
    o.put("stdout", normalise(r.stream("stdout")));
    o.put("stderr", normalise(r.stream("stderr")));
    ArrayNode outputs = JSON.createArrayNode();
    for (JupyterMessage m : r.iopub()) {
      String type = m.type();
      if (!List.of("display_data", "execute_result", "update_display_data").contains(type)) continue;
      ObjectNode content = m.content();
      ObjectNode out = JSON.createObjectNode();
      out.put("type", type);
      ObjectNode data = JSON.createObjectNode();
      content.get("data").properties().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> data.set(e.getKey(), normalise(e.getValue())));
      out.set("data", data);
      JsonNode tr = content.has("transient") && content.get("transient").isObject() ? content.get("transient") : null;
      out.put("display_id", tr != null && tr.has("display_id"));
      outputs.add(out);
    }
    o.set("outputs", outputs);
    return o;
  }

  private static JsonNode normalise(JsonNode e) {
    return e.isTextual() ? TextNode.valueOf(normalise(e.asText())) : e;
  }

  static String normalise(String s) {
    return s.replace(tmp.toString(), "${TMP}")
        .replaceAll("\u001b\\[[0-9;]*m", "")
        .replaceAll("@[0-9a-f]{4,8}\\b", "@HASH")
        .replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "\\${UUID}")
        .replaceAll("/tmp/ijava-[a-z]+-[0-9]+\\.(xml|pom)", "\\${IJAVA_TEMP_FILE}");
  }

  private static ObjectNode withoutTraceback(JsonNode cell) {
    ObjectNode c = (ObjectNode) cell.deepCopy();
    c.remove("traceback");
    return c;
  }

  private static String plain(JsonNode cell) {
    return cell.get("outputs").get(0).get("data").get("text/plain").asText();
  }
}
