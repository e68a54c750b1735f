package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.tensor.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/** A hand-written TF.js graph model: float16 and uint8-quantized weights, a fused MatMul+BiasAdd+Prelu and a Prelu. */
class TfjsSyntheticTest {

  static final String MODEL = """
      {"format": "graph-model", "generatedBy": "test", "convertedBy": "hand",
       "signature": {"inputs": {"x:0": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}, {"size": "2"}]}}},
                     "outputs": {"y:0": {"name": "y:0", "dtype": "DT_FLOAT"}}},
       "modelTopology": {"node": [
         {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
         {"name": "w", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}, {"size": "2"}]}}}}},
         {"name": "bias", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
         {"name": "alpha", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
         {"name": "y", "op": "_FusedMatMul", "input": ["x", "w", "bias", "alpha"], "device": "/device:CPU:0",
          "attr": {"T": {"type": "DT_FLOAT"}, "epsilon": {"f": 0}, "num_args": {"i": "2"},
                   "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UHJlbHU="]}},
                   "transpose_a": {"b": false}, "transpose_b": {"b": false}}},
         {"name": "z", "op": "Prelu", "input": ["x", "alpha"], "attr": {"T": {"type": "DT_FLOAT"}}}
       ], "versions": {"producer": 1}},
       "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
         {"name": "w", "shape": [2, 2], "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}},
         {"name": "bias", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0, "original_dtype": "float32"}},
         {"name": "alpha", "shape": [2], "dtype": "float32"}
       ]}]}
      """;

  static Path write(Path dir) throws Exception {
    Files.writeString(dir.resolve("model.json"), MODEL);
    ByteBuffer b = ByteBuffer.allocate(4 * 2 + 2 + 2 * 4).order(ByteOrder.LITTLE_ENDIAN);
    // float16 1, -2, 0.5, 3
    b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800).putShort((short) 0x4200);
    b.put((byte) 4).put((byte) 0); // uint8 * 0.5 - 1 -> 1, -1
    b.putFloat(0.1f).putFloat(0.25f);
    Files.write(dir.resolve("group1-shard1of1.bin"), b.array());
    return dir.resolve("model.json");
  }

  @Test
  void decodesWeightsAndExpandsFusedOps(@TempDir Path dir) throws Exception {
    try (ModelGraph g = ModelGraph.load(write(dir))) {
      assertThat(g.summary().opCounts()).doesNotContainKeys("_FusedMatMul", "Prelu");
      assertThat(g.signatures().get("serving_default").getInputsMap().get("x").getName()).isEqualTo("x:0");
      Map<String, TensorProto> out = g.run(Map.of("x:0", new float[][] {{1f, -1f}, {2f, 0f}}), "y:0", "z:0");
      // x@w = [1-0.5, -2-3] = [0.5, -5]; + bias [1, -1] = [1.5, -6]; prelu alpha [0.1, 0.25] -> [1.5, -1.5]
      // x2@w = [2, -4] + bias = [3, -5] -> [3, -1.25]
      assertThat(ModelGraph.floats(out.get("y:0"))).containsExactly(1.5f, -1.5f, 3f, -1.25f);
      assertThat(ModelGraph.floats(out.get("z:0"))).containsExactly(1f, -0.25f, 2f, 0f);
    }
  }

  @Test
  void halfPrecisionDecoding() {
    assertThat(HalfFloats.halfToFloat((short) 0x3C00)).isEqualTo(1f);
    assertThat(HalfFloats.halfToFloat((short) 0xC000)).isEqualTo(-2f);
    assertThat(HalfFloats.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);
    assertThat(HalfFloats.halfToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    assertThat(HalfFloats.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(HalfFloats.halfToFloat((short) 0x3555)).isEqualTo(0.333251953125f);
  }

  @Test
  void keptAndExpandedFusionsAgree(@TempDir Path dir) throws Exception {
    // BiasAdd+Relu stays _FusedMatMul (the runtime's kernel); BiasAdd+Relu with a Prelu sibling is expanded.
    String relu = MODEL.replace("\"UHJlbHU=\"", "\"UmVsdQ==\"").replace("\"num_args\": {\"i\": \"2\"}", "\"num_args\": {\"i\": \"1\"}")
        .replace("\"input\": [\"x\", \"w\", \"bias\", \"alpha\"]", "\"input\": [\"x\", \"w\", \"bias\"]");
    write(dir);
    Files.writeString(dir.resolve("model.json"), relu);
    try (ModelGraph g = ModelGraph.load(dir.resolve("model.json"))) {
      assertThat(g.node("y").getOp()).isEqualTo("_FusedMatMul");
      float[] y = ModelGraph.floats(g.run(Map.of("x:0", new float[][] {{1f, -1f}, {2f, 0f}}), "y:0").get("y:0"));
      assertThat(y).containsExactly(1.5f, 0f, 3f, 0f); // relu([1.5, -6]), relu([3, -5])
    }
  }

  @Test
  void weightsStoredNarrowerThanDeclaredBecomeTheDeclaredDtype(@TempDir Path dir) throws Exception {
    // As the converter writes faceboxes and nanodet: a DT_DOUBLE and a DT_INT64 Const whose
    // weights are stored as float32 and int32. TensorFlow refused the graph when tfkit built the
    // Consts with the stored dtypes ("passed float ... incompatible with expected double").
    String model = """
        {"format": "graph-model", "modelTopology": {"node": [
          {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_DOUBLE"}}},
          {"name": "k", "op": "Const", "attr": {"dtype": {"type": "DT_DOUBLE"}, "value": {"tensor": {"dtype": "DT_DOUBLE", "tensorShape": {"dim": [{"size": "2"}]}}}}},
          {"name": "y", "op": "Mul", "input": ["x", "k"], "attr": {"T": {"type": "DT_DOUBLE"}}},
          {"name": "i", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT64"}}},
          {"name": "n", "op": "Const", "attr": {"dtype": {"type": "DT_INT64"}, "value": {"tensor": {"dtype": "DT_INT64", "tensorShape": {"dim": [{"size": "2"}]}}}}},
          {"name": "z", "op": "AddV2", "input": ["i", "n"], "attr": {"T": {"type": "DT_INT64"}}}
        ], "versions": {"producer": 1}},
        "weightsManifest": [{"paths": ["w.bin"], "weights": [
          {"name": "k", "shape": [2], "dtype": "float32"},
          {"name": "n", "shape": [2], "dtype": "int32"}
        ]}]}
        """;
    Files.writeString(dir.resolve("model.json"), model);
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(0.5f).putFloat(-3f).putInt(7).putInt(-2);
    Files.write(dir.resolve("w.bin"), b.array());
    try (ModelGraph g = ModelGraph.load(dir.resolve("model.json"))) {
      assertThat(g.node("k").getAttrOrThrow("value").getTensor().getDtype()).isEqualTo(DataType.DT_DOUBLE);
      var out = g.runValues(Map.of("x:0", new double[] {2, 4}, "i:0", new long[] {1L << 40, 5}), "y:0", "z:0");
      assertThat(out.get("y:0").doubles()).containsExactly(1.0, -12.0);
      assertThat(out.get("z:0").longs()).containsExactly((1L << 40) + 7, 3L);
    }
  }
}
