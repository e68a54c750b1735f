package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/**
 * A hand-written TF.js graph model whose nodes lack attrs TensorFlow's op definitions require, the
 * way the TF.js converter leaves them out: {@code _FusedConv2D} without {@code TArgs} (White-box
 * Cartoonization's 18 convolutions), {@code ConcatV2} without {@code N}, {@code T} and {@code
 * Tidx}, {@code IdentityN} without its {@code list(type)}, and attrs that have defaults.
 */
class TfjsRequiredAttrsTest {

  static final String MODEL = """
      {"format": "graph-model", "generatedBy": "test", "convertedBy": "hand",
       "modelTopology": {"node": [
         {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
         {"name": "w", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
            "tensorShape": {"dim": [{"size": "1"}, {"size": "1"}, {"size": "1"}, {"size": "1"}]}, "floatVal": [2.0]}}}},
         {"name": "b", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT",
            "tensorShape": {"dim": [{"size": "1"}]}, "floatVal": [0.5]}}}},
         {"name": "axis", "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}, "value": {"tensor": {"dtype": "DT_INT32",
            "tensorShape": {}, "intVal": [3]}}}},
         {"name": "conv", "op": "_FusedConv2D", "input": ["x", "w", "b"],
          "attr": {"T": {"type": "DT_FLOAT"}, "num_args": {"i": "1"}, "padding": {"s": "U0FNRQ=="},
                   "strides": {"list": {"i": ["1", "1", "1", "1"]}}, "fused_ops": {"list": {"s": ["Qmlhc0FkZA=="]}}}},
         {"name": "cat", "op": "ConcatV2", "input": ["conv", "x", "axis"]},
         {"name": "both", "op": "IdentityN", "input": ["cat", "axis"]}
       ], "versions": {"producer": 1}},
       "weightsManifest": []}
      """;

  @Test
  void fillsRequiredAttrsFromInputsAndDefaults(@TempDir Path dir) throws Exception {
    Path json = Files.writeString(dir.resolve("model.json"), MODEL);
    try (ModelGraph g = ModelGraph.load(json)) {
      NodeDef conv = g.node("conv");
      assertThat(conv.getOp()).isEqualTo("_FusedConv2D");
      assertThat(conv.getAttrOrThrow("TArgs").getList().getTypeList()).containsExactly(DataType.DT_FLOAT);
      assertThat(conv.getAttrOrThrow("data_format").getS().toStringUtf8()).isEqualTo("NHWC"); // the op's default
      NodeDef cat = g.node("cat");
      assertThat(cat.getAttrOrThrow("N").getI()).isEqualTo(2);
      assertThat(cat.getAttrOrThrow("T").getType()).isEqualTo(DataType.DT_FLOAT);
      assertThat(cat.getAttrOrThrow("Tidx").getType()).isEqualTo(DataType.DT_INT32);
      assertThat(g.node("both").getAttrOrThrow("T").getList().getTypeList()).containsExactly(DataType.DT_FLOAT, DataType.DT_INT32);

      // And TensorFlow runs it: conv = 2x + 0.5, concatenated with x along the channels.
      float[][][][] x = {{{{1f}, {2f}}, {{3f}, {-1f}}}};
      var out = g.run(Map.of("x:0", x), "both:0", "both:1");
      assertThat(ModelGraph.floats(out.get("both:0"))).containsExactly(2.5f, 1f, 4.5f, 2f, 6.5f, 3f, -1.5f, -1f);
    }
  }

  @Test
  void refusesAnAttrNoInputTells(@TempDir Path dir) throws Exception {
    // Cast's DstT types its output, not an input: nothing says what it should be.
    String noDstT = MODEL.replace("{\"name\": \"both\", \"op\": \"IdentityN\", \"input\": [\"cat\", \"axis\"]}",
        "{\"name\": \"cast\", \"op\": \"Cast\", \"input\": [\"cat\"]}");
    Path json = Files.writeString(dir.resolve("model.json"), noDstT);
    assertThatThrownBy(() -> ModelGraph.load(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node 'cast' (Cast) lacks attr 'DstT'");
  }
}
