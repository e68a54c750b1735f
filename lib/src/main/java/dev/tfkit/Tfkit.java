package dev.tfkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Static entry points for JShell and notebooks: {@code import static dev.tfkit.Tfkit.*;} gives the
 * helpers Python users know ({@code loadModel}, {@code exportSavedModel}, {@code
 * parsedPrediction} ...) as plain Java calls over the public API.
 */
public final class Tfkit {
  private Tfkit() {}

  /** The versions tfkit was built with: tfkit, tensorflow-java, protobuf-java, grpc-java. */
  public static Map<String, String> versions() {
    Properties p = new Properties();
    try (InputStream in = Tfkit.class.getResourceAsStream("versions.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dev/tfkit/versions.properties", e);
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
    return out;
  }

  // Each capability adds its helpers below, in its own section.

  // ---- graph: load models, inspect, surgery (dev.tfkit.graph) ----

  /** Loads a model of any supported format (SavedModel, .pb/.pbtxt, TF1 checkpoint, TF.js model.json). */
  public static dev.tfkit.graph.ModelGraph loadModel(String path, String... tags) {
    return dev.tfkit.graph.ModelGraph.load(java.nio.file.Path.of(path), tags);
  }

  /** Loads a model of any supported format. */
  public static dev.tfkit.graph.ModelGraph loadModel(java.nio.file.Path path, String... tags) {
    return dev.tfkit.graph.ModelGraph.load(path, tags);
  }

  /** The minimal subgraph computing {@code outputs} (like {@code graph_util.extract_sub_graph}). */
  public static dev.tfkit.graph.ModelGraph extractSubGraph(dev.tfkit.graph.ModelGraph graph, String... outputs) {
    return graph.extractSubGraph(outputs);
  }

  /** Variables replaced by constants (like {@code graph_util.convert_variables_to_constants}). */
  public static dev.tfkit.graph.ModelGraph freezeGraph(dev.tfkit.graph.ModelGraph graph) {
    return graph.freeze();
  }

  /** Function calls replaced by their bodies, so TF2 variables can be frozen (see {@code ModelGraph.inlineFunctions}). */
  public static dev.tfkit.graph.ModelGraph inlineFunctions(dev.tfkit.graph.ModelGraph graph) {
    return graph.inlineFunctions();
  }

  /**
   * {@code inner} added to {@code outer} under {@code prefix}, its inputs fed from {@code outer}'s
   * tensors ({@code inputMap}: inner tensor → outer tensor); see {@code ModelGraph.splice}.
   */
  public static dev.tfkit.graph.ModelGraph splice(
      dev.tfkit.graph.ModelGraph outer, dev.tfkit.graph.ModelGraph inner, String prefix, java.util.Map<String, String> inputMap) {
    return outer.splice(inner, prefix, inputMap);
  }

  /** Training-only nodes dropped, Identity and CheckNumerics spliced out (like {@code graph_util.remove_training_nodes}). */
  public static dev.tfkit.graph.ModelGraph removeTrainingNodes(dev.tfkit.graph.ModelGraph graph, String... protectedNodes) {
    return graph.removeTrainingNodes(protectedNodes);
  }

  /** The graph cut at internal tensors, which become Placeholders. */
  public static dev.tfkit.graph.ModelGraph cutAt(dev.tfkit.graph.ModelGraph graph, String... tensors) {
    return graph.cutAt(tensors);
  }

  /** The node table (name, op, inputs, dtypes, shapes, constant bytes) as a Tablesaw table. */
  public static tech.tablesaw.api.Table nodeTable(dev.tfkit.graph.ModelGraph graph) {
    return graph.table();
  }

  /** Node count, op histogram, constant and variable bytes, likely inputs and outputs. */
  public static dev.tfkit.graph.GraphSummary graphSummary(dev.tfkit.graph.ModelGraph graph) {
    return graph.summary();
  }

  /**
   * Exports {@code outputs} of {@code graph} (fed at {@code inputs}; keys are signature names) as a
   * frozen SavedModel under {@code basePath/<next version>}.
   */
  public static java.nio.file.Path exportGraph(dev.tfkit.graph.ModelGraph graph, Map<String, String> inputs,
      Map<String, String> outputs, String basePath) {
    dev.tfkit.graph.GraphExport e = dev.tfkit.graph.GraphExport.from(graph);
    inputs.forEach(e::input);
    outputs.forEach(e::output);
    return e.basePath(java.nio.file.Path.of(basePath)).export().directory();
  }

  // ---- TF Serving in Docker (dev.tfkit.docker) -------------------------------------------------

  /**
   * The {@code docker run} line that {@link #serveInDocker} runs for these models (name → folder
   * holding version folders, in order); writes the models.config it mounts into a temp folder.
   */
  public static String dockerCommand(Map<String, java.nio.file.Path> models) {
    dev.tfkit.docker.DockerServing docker = dockerServing(models);
    docker.writeFiles();
    return docker.commandLine();
  }

  /**
   * Serves models with TensorFlow Serving in Docker on ports 8500 (gRPC) and 8501 (REST), returning
   * once every model is AVAILABLE; close the result to stop the container.
   */
  public static dev.tfkit.docker.RunningServing serveInDocker(Map<String, java.nio.file.Path> models) {
    return dockerServing(models).start();
  }

  private static dev.tfkit.docker.DockerServing dockerServing(Map<String, java.nio.file.Path> models) {
    java.util.List<dev.tfkit.config.ServedModel> list = new java.util.ArrayList<>();
    models.forEach((name, path) -> list.add(dev.tfkit.config.ServedModel.of(name, path)));
    return dev.tfkit.docker.DockerServing.builder(dev.tfkit.config.ServingConfig.of(list)).build();
  }

  // ---- tensors (dev.tfkit.tensor) -------------------------------------------------------------

  /**
   * A tensor value from a Java value, dtype inferred: {@code tensor(new float[][] {{1, 2}})},
   * {@code tensor(List.of("a", "b"))}, {@code tensor(image)}. See {@link
   * dev.tfkit.tensor.TensorValue#of(Object)}.
   */
  public static dev.tfkit.tensor.TensorValue tensor(Object value) {
    return dev.tfkit.tensor.TensorValue.of(value);
  }

  /**
   * A tensor value of the named dtype ({@code "float32"}, {@code "DT_HALF"}, {@code "uint8"} ...):
   * {@code tensor(new double[] {0.5, 1}, "float16")}.
   */
  public static dev.tfkit.tensor.TensorValue tensor(Object value, String dtype) {
    return dev.tfkit.tensor.TensorValue.of(value, dev.tfkit.tensor.DataTypes.parse(dtype));
  }

  /** The value of a TensorProto, e.g. one output of a PredictResponse. */
  public static dev.tfkit.tensor.TensorValue tensor(org.tensorflow.proto.TensorProto proto) {
    return dev.tfkit.tensor.TensorValue.fromProto(proto);
  }

  // ---------------------------------------------------------------- SavedModel (helper savedmodel)

  /**
   * A fluent SavedModel exporter for a GraphDef whose variables take {@code variableValues}
   * (empty for a frozen graph): add signatures, assets, warmup, then {@code exportTo} or {@code
   * exportVersion}.
   */
  public static dev.tfkit.savedmodel.SavedModelExport exportSavedModel(
      org.tensorflow.proto.GraphDef graphDef, Map<String, org.tensorflow.proto.TensorProto> variableValues) {
    return dev.tfkit.savedmodel.SavedModelExport.from(graphDef, variableValues);
  }

  /**
   * Exports a frozen GraphDef with one {@code serving_default} predict signature (input and output
   * keys to tensor names) into {@code dir} and returns the folder.
   */
  public static java.nio.file.Path exportSavedModel(
      org.tensorflow.proto.GraphDef graphDef, Map<String, String> inputs, Map<String, String> outputs, String dir) {
    dev.tfkit.savedmodel.SignatureSpec sig = dev.tfkit.savedmodel.SignatureSpec.predict();
    for (Map.Entry<String, String> e : new TreeMap<>(inputs).entrySet()) sig = sig.input(e.getKey(), e.getValue());
    for (Map.Entry<String, String> e : new TreeMap<>(outputs).entrySet()) sig = sig.output(e.getKey(), e.getValue());
    return dev.tfkit.savedmodel.SavedModelExport.from(graphDef).signature(sig).exportTo(java.nio.file.Path.of(dir));
  }

  /** What a SavedModel folder holds (print it, or call {@code .table()} for a Tablesaw table). */
  public static dev.tfkit.savedmodel.SavedModelInfo savedModelInfo(String dir) {
    return dev.tfkit.savedmodel.SavedModelInfo.read(java.nio.file.Path.of(dir));
  }

  /** Loads a SavedModel (tag serve), runs one signature on Java values and returns its outputs. */
  public static Map<String, dev.tfkit.tensor.TensorValue> runSavedModel(String dir, String signatureKey, Map<String, ?> inputs) {
    try (dev.tfkit.savedmodel.SavedModel m = dev.tfkit.savedmodel.SavedModel.load(java.nio.file.Path.of(dir));
        dev.tfkit.savedmodel.SavedModel.Outputs out = m.run(signatureKey, inputs)) {
      return out.values();
    }
  }

  // ---------------------------------------------------------------- end SavedModel
  // ---------------------------------------------------------------- serving client (helper: client)

  /**
   * One output of a prediction as a typed tensor ({@code floats()}, {@code shape()} ...), like
   * the Python client's {@code parsed_prediction}; the error names the outputs there are.
   */
  public static dev.tfkit.tensor.TensorValue parsedPrediction(
      dev.tfkit.serving.Prediction prediction, String outputKey) {
    return prediction.output(outputKey);
  }

  /** A gRPC client for {@code model} at {@code target} ({@code host:port}); close it when done. */
  public static dev.tfkit.serving.ServingModel servingModel(String target, String model) {
    return dev.tfkit.serving.ServingModel.grpc(target, model);
  }

  /** A REST client for {@code model} at {@code target} ({@code host:port} or a URL). */
  public static dev.tfkit.serving.ServingModel restServingModel(String target, String model) {
    return dev.tfkit.serving.ServingModel.rest(target, model);
  }

  // ---------------------------------------------------------------- embedded server (helper: server)

  /**
   * Serves {@code basePath}'s versions as {@code name} from this JVM over TF Serving's gRPC (8500)
   * and REST (8501) APIs on 127.0.0.1, returning once the model is loaded; close it to stop. See
   * {@link dev.tfkit.server.EmbeddedServer#builder()} for ports, configs and batching.
   */
  public static dev.tfkit.server.EmbeddedServer serve(String name, java.nio.file.Path basePath)
      throws java.io.IOException {
    return dev.tfkit.server.EmbeddedServer.builder().model(name, basePath).start();
  }

  /** Serves several models ({@code name → base path}) the same way. */
  public static dev.tfkit.server.EmbeddedServer serve(Map<String, java.nio.file.Path> models)
      throws java.io.IOException {
    dev.tfkit.server.EmbeddedServer.Builder b = dev.tfkit.server.EmbeddedServer.builder();
    models.forEach(b::model);
    return b.start();
  }
  // ---------------------------------------------------------------- end embedded server
}
