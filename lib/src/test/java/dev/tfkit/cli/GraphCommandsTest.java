package dev.tfkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.io.ShortCommand;
import dev.tfkit.zoo.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;

/** {@code tfkit show} and {@code tfkit export} through the real command line. */
class GraphCommandsTest {
  record Run(int code, String out, String err) {}

  static synchronized Run tfkit(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      var cl = TfkitCli.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Run(code, buf.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void showSavedModelLikeSavedModelCli() {
    Run r = tfkit("show", Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123").toString());
    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:")
        .contains("signature_def['serving_default']:")
        .contains("inputs['x'] tensor_info:")
        .contains("name: x:0")
        .contains("Method name is: tensorflow/serving/predict")
        .contains("foo.txt");
  }

  @Test
  void showCheckpointWithNodeTable() {
    Run r = tfkit("show", Fixtures.tfServing("bad_half_plus_two/00000123").toString(), "--nodes", "^(Add|Mul)$");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("format: CHECKPOINT").contains("likely inputs: [Placeholder]").contains("variables (restored)")
        .containsPattern("Add\\s+\\|\\s+Add");
  }

  @Test
  void showDrawsTheGraphAroundANodeAsSvg(@TempDir Path tmp) throws Exception {
    var dot = ShortCommand.run(List.of("dot", "-V"), 30);
    Assumptions.assumeTrue(dot.ok(), () -> "skipped: Graphviz dot cannot run (" + dot.output() + ")");
    Path svg = tmp.resolve("around.svg");
    Run r = tfkit("show", Fixtures.tfServing("bad_half_plus_two/00000123").toString(), "--svg", svg.toString(), "--around", "Add",
        "--hops", "1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("wrote " + svg + ": the graph 1 hops around Add");
    assertThat(Files.readString(svg)).startsWith("<svg").contains(">Add</text>").contains(">Mul</text>");
  }

  @Test
  void exportThenServeWithBundle(@TempDir Path tmp) {
    Run r = tfkit("export", Fixtures.tfServing("bad_half_plus_two/00000123").toString(),
        "--input", "x=Placeholder:0", "--output", "y=Add:0", "--base_path", tmp.resolve("m").toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("exported " + tmp.resolve("m/1"));
    assertThat(Files.isRegularFile(tmp.resolve("m/1/saved_model.pb"))).isTrue();
    try (SavedModelBundle b = SavedModelBundle.load(tmp.resolve("m/1").toString(), "serve")) {
      assertThat(b.metaGraphDef().getSignatureDefOrThrow("serving_default").getInputsMap()).containsKey("x");
    }
  }

  @Test
  void badInputsExitNonZeroWithNamedError(@TempDir Path tmp) throws Exception {
    Path junk = tmp.resolve("junk.pb");
    Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7});
    Run r = tfkit("show", junk.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("tfkit show: ").contains("junk.pb");
    Run e = tfkit("export", Fixtures.tfServing("bad_half_plus_two/00000123").toString(),
        "--input", "x=Placeholder:0", "--output", "y=Ad:0", "--export_dir", tmp.resolve("o").toString());
    assertThat(e.code()).isEqualTo(2);
    assertThat(e.err()).contains("node 'Ad' not found; did you mean 'Add'");
  }
}
