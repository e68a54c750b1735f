package dev.tfkit.graph;

import static dev.tfkit.testing.TestTensors.floatScalar;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

class CheckpointLoadTest {

  static final Set<String> STATEFUL = Set.of("Variable", "VariableV2", "VarHandleOp", "Assign", "AssignVariableOp",
      "RestoreV2", "Restore", "RestoreSlice", "SaveV2", "Save", "SaveSlices", "ShardedFilename", "ShardedFilespec");

  static void assertHalfPlusTwo(ModelGraph g, String in, String out) {
    float[] y = ModelGraph.floats(g.run(Map.of(in, new float[] {1f, 2f, 5f}), out).get(out));
    assertThat(y).containsExactly(2.5f, 3f, 4.5f);
  }

  @Test
  void v1SingleFileCheckpointRestoresAndRuns() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123"))) {
      assertThat(g.format()).isEqualTo(ModelFormat.CHECKPOINT);
      assertThat(g.variables()).hasSize(2);
      assertThat(g.variables().values().stream().map(ModelGraph::floats).map(f -> f[0]))
          .containsExactlyInAnyOrder(0.5f, 2.0f);
      assertHalfPlusTwo(g, "Placeholder:0", "Add:0");
    }
  }

  @Test
  void metaFileAndPrefixLoadTheSame() {
    var dir = Fixtures.tfServing("bad_half_plus_two/00000123");
    try (ModelGraph a = ModelGraph.load(dir.resolve("export.meta")); ModelGraph b = ModelGraph.load(dir.resolve("export"))) {
      assertThat(a.graphDef()).isEqualTo(b.graphDef());
      assertThat(a.variables()).isEqualTo(b.variables());
    }
  }

  @Test
  void frozenCheckpointHasNoVariableOrRestoreOps() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123"));
        ModelGraph f = g.freeze()) {
      for (NodeDef n : f.graphDef().getNodeList()) assertThat(STATEFUL).doesNotContain(n.getOp());
      assertThat(f.variables()).isEmpty();
      assertThat(f.summary().constBytes()).isGreaterThanOrEqualTo(8);
      assertHalfPlusTwo(f, "Placeholder:0", "Add:0");
    }
  }

  @Test
  void legacyShardedSessionBundleCutAtInternalTensor() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("session_bundle_half_plus_two/00000123"))) {
      assertThat(g.variables()).isNotEmpty();
      // The legacy serving_signatures, up-converted as TF Serving 1.x did.
      assertThat(g.signatures()).containsOnlyKeys("serving_default", "serving_default_from_named");
      assertThat(g.signatures().get("serving_default").getMethodName()).isEqualTo("tensorflow/serving/regress");
      assertThat(g.signatures().get("serving_default_from_named").getInputsOrThrow("x").getDtype())
          .isEqualTo(DataType.DT_FLOAT);
      try (ModelGraph cut = g.cutAt("x:0").freeze().extractSubGraph("y:0")) {
        assertThat(cut.find("^ParseExample$|ParseExample")).isEmpty();
        assertThat(cut.likelyInputs()).containsExactly("x");
        for (NodeDef n : cut.graphDef().getNodeList()) assertThat(STATEFUL).doesNotContain(n.getOp());
        assertHalfPlusTwo(cut, "x:0", "y:0");
      }
    }
  }

  @Test
  void v2CheckpointRestores(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    // SavedModelExport writes variables/variables.index + .data-00000-of-00001 (the V2 format) for a
    // tiny graph with variables a and b; the session bundle's meta graph (RestoreV2 of a and b) then
    // restores them from it.
    var scalar = AttrValue.newBuilder().setShape(TensorShapeProto.getDefaultInstance()).build();
    var f32 = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
    var tiny = GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("a").setOp("VariableV2").putAttr("dtype", f32).putAttr("shape", scalar))
        .addNode(NodeDef.newBuilder().setName("b").setOp("VariableV2").putAttr("dtype", f32).putAttr("shape", scalar))
        .addNode(NodeDef.newBuilder().setName("sum").setOp("Add").addInput("a").addInput("b").putAttr("T", f32))
        .build();
    SavedModelExport.from(tiny, Map.of("a", floatScalar(0.25f), "b", floatScalar(7f)))
        .signature(SignatureSpec.predict().output("sum", "sum:0"))
        .exportTo(tmp.resolve("sm"));
    Path prefix = tmp.resolve("sm/variables/variables");
    assertThat(Path.of(prefix + ".index")).exists();
    Files.copy(Fixtures.tfServing("session_bundle_half_plus_two/00000123/export.meta"), Path.of(prefix + ".meta"));
    try (ModelGraph v2 = ModelGraph.load(prefix)) {
      assertThat(ModelGraph.floats(v2.variables().get("a"))).containsExactly(0.25f);
      float[] y = ModelGraph.floats(v2.cutAt("x:0").run(Map.of("x:0", new float[] {4f}), "y:0").get("y:0"));
      assertThat(y).containsExactly(8f); // 0.25 * 4 + 7: the values came from the V2 files, not the fixture
    }
  }

  @Test
  void corruptCheckpointDataIsANamedError(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    var dir = Fixtures.tfServing("bad_half_plus_two/00000123");
    Files.copy(dir.resolve("export.meta"), tmp.resolve("export.meta"));
    byte[] data = Files.readAllBytes(dir.resolve("export"));
    Files.write(tmp.resolve("export"), Arrays.copyOf(data, data.length / 2));
    Assertions.assertThatThrownBy(() -> ModelGraph.load(tmp.resolve("export.meta")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("export.meta")
        .hasMessageContaining("restoring variables");
  }
}
