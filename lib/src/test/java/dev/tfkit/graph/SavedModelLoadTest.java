package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;

class SavedModelLoadTest {

  @Test
  void tf1SavedModelWithSignaturesAssetsAndVariables() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123"))) {
      assertThat(g.format()).isEqualTo(ModelFormat.SAVED_MODEL);
      assertThat(g.tags()).containsExactly("serve");
      assertThat(g.signatures()).containsKeys("serving_default", "classify_x_to_y", "regress_x2_to_y3");
      assertThat(g.assets()).contains("foo.txt");
      assertThat(g.variables()).isNotEmpty();
      SignatureDef sig = g.signatures().get("serving_default");
      String x = sig.getInputsOrThrow("x").getName();
      String y = sig.getOutputsOrThrow("y").getName();
      CheckpointLoadTest.assertHalfPlusTwo(g, x, y);
      try (ModelGraph f = g.freeze().extractSubGraph(y)) {
        for (NodeDef n : f.graphDef().getNodeList()) assertThat(CheckpointLoadTest.STATEFUL).doesNotContain(n.getOp());
        CheckpointLoadTest.assertHalfPlusTwo(f, x, y);
      }
    }
  }

  @Test
  void tf2SavedModelRunsThroughItsFunctions() {
    try (ModelGraph g = ModelGraph.load(Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu/00000123"))) {
      assertThat(g.graphDef().getLibrary().getFunctionCount()).isGreaterThan(0);
      assertThat(g.variables()).containsKeys("a", "b");
      assertThat(ModelGraph.floats(g.variables().get("a"))).containsExactly(0.5f);
      SignatureDef sig = g.signatures().get("serving_default");
      float[] y = ModelGraph.floats(g.run(Map.of(sig.getInputsOrThrow("x").getName(), new float[] {4f}),
          sig.getOutputsOrThrow("y").getName()).get(sig.getOutputsOrThrow("y").getName()));
      assertThat(y).containsExactly(4f);
    }
  }
}
