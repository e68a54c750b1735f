package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.Fixtures;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.NodeDef;

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
      try (ModelGraph cut = g.cutAt("x:0").freeze().extractSubGraph("y:0")) {
        assertThat(cut.find("^ParseExample$|ParseExample")).isEmpty();
        assertThat(cut.likelyInputs()).containsExactly("x");
        for (NodeDef n : cut.graphDef().getNodeList()) assertThat(STATEFUL).doesNotContain(n.getOp());
        assertHalfPlusTwo(cut, "x:0", "y:0");
      }
    }
  }
}
