package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;

/** Exports read back with TF Java's own SavedModelBundle and answer y = 0.5 x + 2. */
class GraphExportTest {

  static float[] callServingDefault(Path dir, String inKey, String outKey, float... x) {
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve");
        TFloat32 in = TFloat32.tensorOf(Shape.of(x.length), d -> {
          for (int i = 0; i < x.length; i++) d.setFloat(x[i], i);
        })) {
      var sig = b.metaGraphDef().getSignatureDefOrThrow("serving_default");
      try (Result r = b.session().runner().feed(sig.getInputsOrThrow(inKey).getName(), in)
          .fetch(sig.getOutputsOrThrow(outKey).getName()).run()) {
        TFloat32 y = (TFloat32) r.get(0);
        float[] out = new float[(int) y.size()];
        for (int i = 0; i < out.length; i++) out[i] = y.getFloat(i);
        return out;
      }
    }
  }

  @Test
  void checkpointExportAnswersHalfPlusTwo(@TempDir Path tmp) throws Exception {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123"))) {
      GraphExport.Result r = GraphExport.from(g).input("x", "Placeholder:0").output("y", "Add:0")
          .basePath(tmp.resolve("half")).export();
      assertThat(r.directory()).isEqualTo(tmp.resolve("half/1"));
      assertThat(r.summary().variableCount()).isZero();
      assertThat(r.summary().opCounts()).doesNotContainKeys("VariableV2", "Variable", "RestoreV2", "Assign", "SaveV2");
      assertThat(callServingDefault(r.directory(), "x", "y", 1f, 2f, 5f)).containsExactly(2.5f, 3f, 4.5f);
      // the next export goes to version 2
      var r2 = GraphExport.from(g).input("x", "Placeholder:0").output("y", "Add:0").basePath(tmp.resolve("half")).export();
      assertThat(r2.directory().getFileName().toString()).isEqualTo("2");
    }
  }

  @Test
  void sessionBundleCutAtInternalTensor(@TempDir Path tmp) {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("session_bundle_half_plus_two/00000123"))) {
      var r = GraphExport.from(g).input("x", "x:0").output("y", "y:0").exportDir(tmp.resolve("sb")).export();
      assertThat(r.summary().opCounts()).doesNotContainKeys("ParseExample", "Variable", "RestoreV2");
      assertThat(r.summary().likelyInputs()).containsExactly("x");
      assertThat(r.sizes().nodesAfter()).isLessThan(r.sizes().nodesBefore());
      assertThat(callServingDefault(r.directory(), "x", "y", 0f, 10f)).containsExactly(2f, 7f);
    }
  }

  @Test
  void refusesExistingDirAndUnknownTensor(@TempDir Path tmp) throws Exception {
    Files.createDirectories(tmp.resolve("taken"));
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123"))) {
      assertThatThrownBy(() -> GraphExport.from(g).input("x", "Placeholder:0").output("y", "Add:0").exportDir(tmp.resolve("taken")).export())
          .hasMessageContaining("already exists");
      assertThatThrownBy(() -> GraphExport.from(g).input("x", "Placeholder:0").output("y", "Addd:0").exportDir(tmp.resolve("n")).export())
          .hasMessageContaining("'Addd' not found; did you mean 'Add'");
      assertThat(tmp.resolve("n")).doesNotExist();
    }
  }

  @Test
  void tf2SavedModelExportIsFullyFrozen(@TempDir Path tmp) throws Exception {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu/00000123"))) {
      var r = GraphExport.from(g).input("x", "serving_default_x:0").output("y", "StatefulPartitionedCall_5:0")
          .exportDir(tmp.resolve("tf2")).export();
      assertThat(r.summary().likelyInputs()).containsExactly("serving_default_x");
      assertThat(r.summary().nodeCount()).isLessThan(g.graphDef().getNodeCount());
      // the function calls were inlined, so the variables froze: no variables, no checkpoint, no functions
      assertThat(r.summary().variableCount()).isZero();
      assertThat(r.summary().opCounts()).doesNotContainKeys("VarHandleOp", "ReadVariableOp", "StatefulPartitionedCall",
          "PartitionedCall", "RestoreV2", "SaveV2");
      try (var files = Files.list(r.directory().resolve("variables"))) {
        assertThat(files.toList()).isEmpty();
      }
      SavedModel written = SavedModel.parseFrom(Files.readAllBytes(r.directory().resolve("saved_model.pb")));
      assertThat(written.getMetaGraphs(0).getGraphDef().getLibrary().getFunctionCount()).isZero();
      assertThat(written.getMetaGraphs(0).hasSaverDef()).isFalse();
      assertThat(callServingDefault(r.directory(), "x", "y", 4f)).containsExactly(4f);
      assertThat(callServingDefault(r.directory(), "x", "y", 1f, 2f, 5f)).containsExactly(2.5f, 3f, 4.5f);
    }
  }
}
