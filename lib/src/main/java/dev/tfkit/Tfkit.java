package dev.tfkit;

import dev.tfkit.config.ServedModel;
import dev.tfkit.config.ServingConfig;
import dev.tfkit.docker.DockerServing;
import dev.tfkit.docker.RunningServing;
import dev.tfkit.graph.GraphExport;
import dev.tfkit.graph.GraphSummary;
import dev.tfkit.graph.ModelGraph;
import dev.tfkit.io.BuildVersions;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.serving.Prediction;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.TensorProto;

/**
 * Static entry points for JShell and notebooks: {@code import static dev.tfkit.Tfkit.*;} gives the
 * helpers Python users know ({@code loadModel}, {@code exportSavedModel}, {@code
 * parsedPrediction} ...) as plain Java calls over the public API.
 */
public final class Tfkit {
  private Tfkit() {}

  /** The versions tfkit was built with: tfkit, tensorflow-java, protobuf-java, grpc-java. */
  public static Map<String, String> versions() {
    return BuildVersions.all();
  }


  // Each capability adds its helpers below, in its own section.

  // ---- graph: load models, inspect, surgery (dev.tfkit.graph) ----

  /** Loads a model of any supported format (SavedModel, .pb/.pbtxt, TF1 checkpoint, TF.js model.json). */
  public static ModelGraph loadModel(String path, String... tags) {
    return ModelGraph.load(Path.of(path), tags);
  }

  /** Loads a model of any supported format. */
  public static ModelGraph loadModel(Path path, String... tags) {
    return ModelGraph.load(path, tags);
  }

  /** The minimal subgraph computing {@code outputs} (like {@code graph_util.extract_sub_graph}). */
  public static ModelGraph extractSubGraph(ModelGraph graph, String... outputs) {
    return graph.extractSubGraph(outputs);
  }

  /** Variables replaced by constants (like {@code graph_util.convert_variables_to_constants}). */
  public static ModelGraph freezeGraph(ModelGraph graph) {
    return graph.freeze();
  }

  /** Function calls replaced by their bodies, so TF2 variables can be frozen (see {@code ModelGraph.inlineFunctions}). */
  public static ModelGraph inlineFunctions(ModelGraph graph) {
    return graph.inlineFunctions();
  }

  /**
   * {@code inner} added to {@code outer} under {@code prefix}, its inputs fed from {@code outer}'s
   * tensors ({@code inputMap}: inner tensor → outer tensor); see {@code ModelGraph.splice}.
   */
  public static ModelGraph splice(
      ModelGraph outer, ModelGraph inner, String prefix, Map<String, String> inputMap) {
    return outer.splice(inner, prefix, inputMap);
  }

  /** Training-only nodes dropped, Identity and CheckNumerics spliced out (like {@code graph_util.remove_training_nodes}). */
  public static ModelGraph removeTrainingNodes(ModelGraph graph, String... protectedNodes) {
    return graph.removeTrainingNodes(protectedNodes);
  }

  /** The graph cut at internal tensors, which become Placeholders. */
  public static ModelGraph cutAt(ModelGraph graph, String... tensors) {
    return graph.cutAt(tensors);
  }

  /** The node table (name, op, inputs, dtypes, shapes, constant bytes) as a Tablesaw table. */
  public static tech.tablesaw.api.Table nodeTable(ModelGraph graph) {
    return graph.table();
  }

  /** Node count, op histogram, constant and variable bytes, likely inputs and outputs. */
  public static GraphSummary graphSummary(ModelGraph graph) {
    return graph.summary();
  }

  /**
   * Exports {@code outputs} of {@code graph} (fed at {@code inputs}; keys are signature names) as a
   * frozen SavedModel under {@code basePath/<next version>}.
   */
  public static Path exportGraph(ModelGraph graph, Map<String, String> inputs,
      Map<String, String> outputs, String basePath) {
    GraphExport e = GraphExport.from(graph);
    inputs.forEach(e::input);
    outputs.forEach(e::output);
    return e.basePath(Path.of(basePath)).export().directory();
  }

  // ---- TF Serving in Docker (dev.tfkit.docker) ----

  /**
   * The {@code docker run} line that {@link #serveInDocker} runs for these models (name → folder
   * holding version folders, in order); writes the models.config it mounts into a temp folder.
   */
  public static String dockerCommand(Map<String, Path> models) {
    DockerServing docker = dockerServing(models);
    docker.writeFiles();
    return docker.commandLine();
  }

  /**
   * Serves models with TensorFlow Serving in Docker on ports 8500 (gRPC) and 8501 (REST), returning
   * once every model is AVAILABLE; close the result to stop the container.
   */
  public static RunningServing serveInDocker(Map<String, Path> models) {
    return dockerServing(models).start();
  }

  private static DockerServing dockerServing(Map<String, Path> models) {
    List<ServedModel> list = new ArrayList<>();
    models.forEach((name, path) -> list.add(ServedModel.of(name, path)));
    return DockerServing.builder(ServingConfig.of(list)).build();
  }

  // ---- tensors (dev.tfkit.tensor) ----

  /**
   * A tensor value from a Java value, dtype inferred: {@code tensor(new float[][] {{1, 2}})},
   * {@code tensor(List.of("a", "b"))}, {@code tensor(image)}. See {@link
   * dev.tfkit.tensor.TensorValue#of(Object)}.
   */
  public static TensorValue tensor(Object value) {
    return TensorValue.of(value);
  }

  /**
   * A tensor value of the named dtype ({@code "float32"}, {@code "DT_HALF"}, {@code "uint8"} ...):
   * {@code tensor(new double[] {0.5, 1}, "float16")}.
   */
  public static TensorValue tensor(Object value, String dtype) {
    return TensorValue.of(value, DataTypes.parse(dtype));
  }

  /** The value of a TensorProto, e.g. one output of a PredictResponse. */
  public static TensorValue tensor(TensorProto proto) {
    return TensorValue.fromProto(proto);
  }

  // ---- SavedModel export, info and run (dev.tfkit.savedmodel) ----

  /**
   * A fluent SavedModel exporter for a GraphDef whose variables take {@code variableValues}
   * (empty for a frozen graph): add signatures, assets, warmup, then {@code exportTo} or {@code
   * exportVersion}.
   */
  public static SavedModelExport exportSavedModel(
      GraphDef graphDef, Map<String, TensorProto> variableValues) {
    return SavedModelExport.from(graphDef, variableValues);
  }

  /**
   * Exports a frozen GraphDef with one {@code serving_default} predict signature (input and output
   * keys to tensor names) into {@code dir} and returns the folder.
   */
  public static Path exportSavedModel(
      GraphDef graphDef, Map<String, String> inputs, Map<String, String> outputs, String dir) {
    SignatureSpec sig = SignatureSpec.predict();
    for (Map.Entry<String, String> e : new TreeMap<>(inputs).entrySet()) sig = sig.input(e.getKey(), e.getValue());
    for (Map.Entry<String, String> e : new TreeMap<>(outputs).entrySet()) sig = sig.output(e.getKey(), e.getValue());
    return SavedModelExport.from(graphDef).signature(sig).exportTo(Path.of(dir));
  }

  /** What a SavedModel folder holds (print it, or call {@code .table()} for a Tablesaw table). */
  public static SavedModelInfo savedModelInfo(String dir) {
    return SavedModelInfo.read(Path.of(dir));
  }

  /** Loads a SavedModel (tag serve), runs one signature on Java values and returns its outputs. */
  public static Map<String, TensorValue> runSavedModel(String dir, String signatureKey, Map<String, ?> inputs) {
    try (SavedModel m = SavedModel.load(Path.of(dir));
        SavedModel.Outputs out = m.run(signatureKey, inputs)) {
      return out.values();
    }
  }


  // ---- client (dev.tfkit.serving) ----

  /**
   * One output of a prediction as a typed tensor ({@code floats()}, {@code shape()} ...), like
   * the Python client's {@code parsed_prediction}; the error names the outputs there are.
   */
  public static TensorValue parsedPrediction(
      Prediction prediction, String outputKey) {
    return prediction.output(outputKey);
  }

  /** A gRPC client for {@code model} at {@code target} ({@code host:port}); close it when done. */
  public static ServingModel servingModel(String target, String model) {
    return ServingModel.grpc(target, model);
  }

  /** A REST client for {@code model} at {@code target} ({@code host:port} or a URL). */
  public static ServingModel restServingModel(String target, String model) {
    return ServingModel.rest(target, model);
  }

  // ---- embedded server (dev.tfkit.server) ----

  /**
   * Serves {@code basePath}'s versions as {@code name} from this JVM over TF Serving's gRPC (8500)
   * and REST (8501) APIs on 127.0.0.1, returning once the model is loaded; close it to stop. See
   * {@link dev.tfkit.server.EmbeddedServer#builder()} for ports, configs and batching.
   */
  public static EmbeddedServer serve(String name, Path basePath)
      throws IOException {
    return EmbeddedServer.builder().model(name, basePath).start();
  }

  /** Serves several models ({@code name → base path}) the same way. */
  public static EmbeddedServer serve(Map<String, Path> models)
      throws IOException {
    EmbeddedServer.Builder b = EmbeddedServer.builder();
    models.forEach(b::model);
    return b.start();
  }
}
