package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;

/** Every kind of bad input gives an IllegalArgumentException naming the file or node, never a crash. */
class BadInputTest {

  static Path frozenHalfPlusTwo(Path dir) {
    Path pb = dir.resolve("frozen.pb");
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123")); ModelGraph f = g.freeze()) {
      f.extractSubGraph("Add").writeGraphDef(pb);
    }
    return pb;
  }

  @Test
  void frozenGraphRoundTrips(@TempDir Path dir) {
    try (ModelGraph g = ModelGraph.load(frozenHalfPlusTwo(dir))) {
      assertThat(g.format()).isEqualTo(ModelFormat.GRAPH_DEF);
      CheckpointLoadTest.assertHalfPlusTwo(g, "Placeholder:0", "Add:0");
    }
  }

  @Test
  void truncatedGraphDef(@TempDir Path dir) throws Exception {
    byte[] all = Files.readAllBytes(frozenHalfPlusTwo(dir));
    Path cut = dir.resolve("truncated.pb");
    Files.write(cut, Arrays.copyOf(all, all.length * 2 / 3));
    assertThatThrownBy(() -> ModelGraph.load(cut))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated.pb");
  }

  @Test
  void garbageFile(@TempDir Path dir) throws Exception {
    byte[] junk = new byte[4096];
    new Random(42).nextBytes(junk);
    Path f = dir.resolve("junk.pb");
    Files.write(f, junk);
    assertThatThrownBy(() -> ModelGraph.load(f)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("junk.pb");
  }

  @Test
  void wrongFileType(@TempDir Path dir) throws Exception {
    Path jpg = dir.resolve("photo.pb");
    Files.write(jpg, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16, 'J', 'F', 'I', 'F'});
    assertThatThrownBy(() -> ModelGraph.load(jpg)).hasMessageContaining("photo.pb").hasMessageContaining("JPEG");
    Path txt = dir.resolve("notes.pbtxt");
    Files.writeString(txt, "this is not a graph {");
    assertThatThrownBy(() -> ModelGraph.load(txt)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("notes.pbtxt");
    Path json = dir.resolve("model.json");
    Files.writeString(json, "{\"hello\": 1}");
    assertThatThrownBy(() -> ModelGraph.load(json)).hasMessageContaining("model.json").hasMessageContaining("modelTopology");
  }

  @Test
  void metaWithoutCheckpointData(@TempDir Path dir) throws Exception {
    Files.copy(Fixtures.tfServing("bad_half_plus_two/00000123/export.meta"), dir.resolve("export.meta"));
    assertThatThrownBy(() -> ModelGraph.load(dir.resolve("export.meta")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("export.meta")
        .hasMessageContaining("checkpoint data is missing");
  }

  @Test
  void unknownNodeSuggestsClosest() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123"))) {
      assertThatThrownBy(() -> g.extractSubGraph("Ad"))
          .hasMessageContaining("node 'Ad' not found; did you mean 'Add'");
      assertThatThrownBy(() -> g.cutAt("Placeholdr:0")).hasMessageContaining("did you mean 'Placeholder'");
    }
  }

  static NodeDef node(String name, String op, String... inputs) {
    return NodeDef.newBuilder().setName(name).setOp(op).addAllInput(Arrays.asList(inputs))
        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build()).build();
  }

  @Test
  void cycleIsNamed() {
    GraphDef g = GraphDef.newBuilder().addNode(node("a", "Identity", "b")).addNode(node("b", "Identity", "a")).build();
    assertThatThrownBy(() -> ModelGraph.of(g)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cycle through node");
  }

  @Test
  void unknownOpIsNamedBeforeImport() {
    GraphDef g = GraphDef.newBuilder().addNode(node("p", "Placeholder")).addNode(node("q", "FancyTfjsOnlyOp", "p")).build();
    assertThatThrownBy(() -> ModelGraph.of(g))
        .hasMessageContaining("FancyTfjsOnlyOp unknown to the TensorFlow runtime")
        .hasMessageContaining("'q'");
  }

  @Test
  void danglingInputIsNamed() {
    GraphDef g = GraphDef.newBuilder().addNode(node("p", "Placeholder")).addNode(node("q", "Identity", "pp:0")).build();
    assertThatThrownBy(() -> ModelGraph.of(g)).hasMessageContaining("node 'q' reads node 'pp' not found; did you mean 'p'");
  }

  @Test
  void truncatedTfjsWeights(@TempDir Path dir) throws Exception {
    Path model = TfjsSyntheticTest.write(dir);
    Path bin = dir.resolve("group1-shard1of1.bin");
    byte[] all = Files.readAllBytes(bin);
    Files.write(bin, Arrays.copyOf(all, all.length - 3));
    assertThatThrownBy(() -> ModelGraph.load(model)).hasMessageContaining("model.json").hasMessageContaining("alpha");
    Files.delete(bin);
    assertThatThrownBy(() -> ModelGraph.load(model)).hasMessageContaining("group1-shard1of1.bin").hasMessageContaining("not found");
  }

  @Test
  void missingPath() {
    assertThatThrownBy(() -> ModelGraph.load(Path.of("/nonexistent/model.pb"))).hasMessageContaining("/nonexistent/model.pb");
  }

  @Test
  void tfjsConstWithoutWeight(@TempDir Path dir) throws Exception {
    Path model = TfjsSyntheticTest.write(dir);
    Files.writeString(model, Files.readString(model).replace("{\"name\": \"alpha\", \"shape\"", "{\"name\": \"unused\", \"shape\""));
    assertThatThrownBy(() -> ModelGraph.load(model))
        .hasMessageContaining("model.json")
        .hasMessageContaining("Const node 'alpha' has no value and no weight");
  }

  @Test
  void unknownOpInsideAFunctionIsNamed() {
    var fn = FunctionDef.newBuilder()
        .setSignature(OpDef.newBuilder().setName("my_fn"))
        .addNodeDef(node("inner", "NopeOp"));
    GraphDef g = GraphDef.newBuilder().addNode(node("p", "Placeholder"))
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(fn)).build();
    assertThatThrownBy(() -> ModelGraph.of(g)).hasMessageContaining("NopeOp unknown").hasMessageContaining("my_fn/inner");
  }

  /**
   * A copy of the half_plus_two SavedModel whose variable {@code a} asks for a device that is no
   * device name: TensorFlow refuses it with INVALID_ARGUMENT, which TF Java throws as an
   * IllegalArgumentException, not a TensorFlowException.
   */
  private static Path savedModelWithMalformedDevice(Path dir) throws Exception {
    Path src = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123");
    Path copy = dir.resolve("hpt/1");
    Files.createDirectories(copy.resolve("variables"));
    for (String f : new String[] {"variables/variables.index", "variables/variables.data-00000-of-00001"}) {
      Files.copy(src.resolve(f), copy.resolve(f));
    }
    SavedModel.Builder sm =
        SavedModel.parseFrom(Files.readAllBytes(src.resolve("saved_model.pb"))).toBuilder();
    GraphDef.Builder g = sm.getMetaGraphsBuilder(0).getGraphDefBuilder();
    boolean found = false;
    for (NodeDef.Builder n : g.getNodeBuilderList()) {
      if (n.getName().equals("a")) {
        n.setDevice("/device2CPU:0");
        found = true;
      }
    }
    assertThat(found).as("the fixture has a variable 'a'").isTrue();
    Files.write(copy.resolve("saved_model.pb"), sm.build().toByteArray());
    return copy;
  }

  @Test
  void tensorFlowsInvalidArgumentWhileLoadingNamesTheFolder(@TempDir Path dir) throws Exception {
    Path bad = savedModelWithMalformedDevice(dir);
    assertThatThrownBy(() -> ModelGraph.load(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(bad + ": loading the SavedModel failed: ")
        .hasMessageContaining("Malformed device specification '/device2CPU:0'");
  }

  @Test
  void tensorFlowsInvalidArgumentWhileRunningNamesTheRun() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123"))) {
      // x is float; TensorFlow itself finds the int32 feed wrong.
      assertThatThrownBy(() -> g.run(Map.of("x:0", new int[][] {{1}}), "y:0"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("running 00000123 for [y:0] failed: ")
          .hasMessageContaining("float")
          .hasMessageContaining("int32");
    }
  }
}
