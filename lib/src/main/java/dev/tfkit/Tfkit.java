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
}
