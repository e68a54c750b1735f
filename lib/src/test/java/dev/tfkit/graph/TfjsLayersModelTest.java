package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.Tfkit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TF.js layers model (Keras topology + weights) is refused saying what it is and how to convert it. */
class TfjsLayersModelTest {
  @TempDir Path tmp;

  /** What tfjs.layers' model.save and the converter's Keras path write (one Dense layer). */
  static final String LAYERS_MODEL = """
      {"format": "layers-model", "generatedBy": "keras v2.15.0", "convertedBy": "TensorFlow.js Converter v4.22.0",
       "modelTopology": {"keras_version": "2.15.0", "backend": "tensorflow",
         "model_config": {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
           {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "name": "input_1"}},
           {"class_name": "Dense", "config": {"name": "dense", "units": 1, "activation": "linear", "use_bias": true}}]}},
         "training_config": {"loss": "mse"}},
       "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
         {"name": "dense/kernel", "shape": [2, 1], "dtype": "float32"}, {"name": "dense/bias", "shape": [1], "dtype": "float32"}]}]}
      """;

  @Test
  void aLayersModelIsRefusedWithTheConverterCommand() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("keras"));
    Path json = Files.writeString(dir.resolve("model.json"), LAYERS_MODEL);
    Files.write(dir.resolve("group1-shard1of1.bin"), new byte[12]);
    assertThatThrownBy(() -> Tfkit.loadModel(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(json + ": a TF.js layers model (a Keras topology with its weights, format 'layers-model'),"
            + " which tfkit does not load")
        .hasMessageContaining("tensorflowjs_converter --input_format=tfjs_layers_model --output_format=tfjs_graph_model "
            + json + " " + dir.toAbsolutePath().resolve("graph_model"))
        .hasMessageEndingWith("and load " + dir.toAbsolutePath().resolve("graph_model/model.json"))
        .hasMessageNotContaining("\n");
    // the folder resolves to the same model.json and the same answer
    assertThatThrownBy(() -> Tfkit.loadModel(dir)).hasMessageContaining("a TF.js layers model");
  }

  @Test
  void anOlderLayersModelWithoutAFormatFieldIsRecognisedByItsKerasTopology() throws Exception {
    Path json = Files.writeString(tmp.resolve("model.json"),
        "{\"modelTopology\": {\"class_name\": \"Model\", \"config\": {\"layers\": []}, \"keras_version\": \"2.1.4\"},"
            + " \"weightsManifest\": []}");
    assertThatThrownBy(() -> ModelGraph.load(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(json + ": a TF.js layers model (a Keras topology with its weights), which tfkit does not load")
        .hasMessageContaining("--input_format=tfjs_layers_model --output_format=tfjs_graph_model");
  }
}
