package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;

/** A TF.js signature that lists only outputs (as faceboxes' and mobilefacenet's do) gets the graph's Placeholders as inputs. */
class TfjsSignatureTest {
  @TempDir Path tmp;

  @Test
  void aSignatureWithoutInputsTakesThePlaceholders() throws Exception {
    Path json = Files.writeString(tmp.resolve("model.json"), """
        {"format": "graph-model", "userDefinedMetadata": {"signature": {"outputs": {"y": {"name": "y"}}}},
         "modelTopology": {"node": [
           {"name": "image/x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "3"}]}}}},
           {"name": "y", "op": "Relu", "input": ["image/x"], "attr": {"T": {"type": "DT_FLOAT"}}}
         ], "versions": {"producer": 1}},
         "weightsManifest": []}
        """);
    try (ModelGraph g = ModelGraph.load(json)) {
      SignatureDef sig = g.signatures().get("serving_default");
      assertThat(sig.getInputsMap()).containsOnlyKeys("image_x");
      assertThat(sig.getInputsOrThrow("image_x").getName()).isEqualTo("image/x:0");
      assertThat(sig.getInputsOrThrow("image_x").getDtype()).isEqualTo(DataType.DT_FLOAT);
      assertThat(sig.getInputsOrThrow("image_x").getTensorShape().getDim(1).getSize()).isEqualTo(3);
      assertThat(sig.getOutputsOrThrow("y").getName()).isEqualTo("y:0");
    }
  }
}
