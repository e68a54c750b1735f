package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.NpmPackages;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Every graph model in @vladmandic/human loads, imports into the runtime and runs on a zero input. */
class TfjsZooTest {

  @ParameterizedTest
  @ValueSource(strings = {"blazeface", "emotion", "antispoof", "liveness", "facemesh", "iris", "centernet",
      "movenet-lightning", "handlandmark-lite", "handtrack"})
  void loadsAndRuns(String model) {
    try (ModelGraph g = ModelGraph.load(NpmPackages.file("@vladmandic/human", "3.3.6", "models/" + model + ".json"))) {
      assertThat(g.summary().opCounts()).doesNotContainKeys("FusedDepthwiseConv2dNative", "Prelu");
      // fused nodes left in place are ones the runtime's CPU kernel runs as they are
      g.find("^_Fused").forEach(n -> assertThat(TfjsOps.nativeKernelCovers(n)).as(n.getName()).isTrue());
      Map<String, Object> feeds = new HashMap<>();
      for (String in : g.likelyInputs()) {
        TensorSpec s = g.spec(in + ":0");
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : s.shape()) shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d < 0 ? 1 : d));
        feeds.put(in + ":0", TensorProto.newBuilder().setDtype(s.dtype()).setTensorShape(shape)
            .addFloatVal(0.5f).addIntVal(1).build());
      }
      String out = g.signatures().isEmpty() ? g.likelyOutputs().get(0) + ":0"
          : g.signatures().get("serving_default").getOutputsMap().values().iterator().next().getName();
      TensorProto r = g.run(feeds, out).get(out);
      assertThat(r.getTensorShape().getDimCount()).isGreaterThan(0);
    }
  }
}
