package dev.tfkit.graph;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Turns part of a model into a servable SavedModel: cut at the inputs, freeze, extract what the
 * outputs need, strip training nodes, and write (with {@link SavedModelExport}) a SavedModel whose
 * {@code serving_default} predict signature is keyed by the names you give. What {@code tfkit
 * export} runs.
 *
 * <pre>{@code
 * try (ModelGraph m = ModelGraph.load(Path.of("ckpt/export.meta"))) {
 *   GraphExport.Result r = GraphExport.from(m).input("x", "Placeholder:0").output("y", "Add:0")
 *       .basePath(Path.of("models/half")).export();
 * }
 * }</pre>
 */
public final class GraphExport {
  private final ModelGraph source;
  private final Map<String, String> inputs = new LinkedHashMap<>();
  private final Map<String, String> outputs = new LinkedHashMap<>();
  private Path exportDir;
  private Path basePath;

  /** What an export wrote: the SavedModel folder, the exported graph and the size before and after. */
  public record Result(Path directory, SignatureDef signature, SizeReport sizes, GraphSummary summary) {}

  private GraphExport(ModelGraph source) {
    this.source = source;
  }

  /** Starts an export of {@code model} (which stays unchanged and open). */
  public static GraphExport from(ModelGraph model) {
    return new GraphExport(model);
  }

  /** A signature input {@code key} fed at {@code tensor} ({@code node:i}); an internal tensor is cut there. */
  public GraphExport input(String key, String tensor) {
    checkKey(key);
    if (inputs.put(key, tensor) != null) throw new IllegalArgumentException("input '" + key + "' given twice");
    return this;
  }

  /** A signature output {@code key} read from {@code tensor}. */
  public GraphExport output(String key, String tensor) {
    checkKey(key);
    if (outputs.put(key, tensor) != null) throw new IllegalArgumentException("output '" + key + "' given twice");
    return this;
  }

  /** Writes exactly this folder (which must not exist yet). */
  public GraphExport exportDir(Path dir) {
    this.exportDir = dir;
    this.basePath = null;
    return this;
  }

  /** Writes {@code base/<next version>}, the layout TF Serving watches. */
  public GraphExport basePath(Path base) {
    this.basePath = base;
    this.exportDir = null;
    return this;
  }

  private static void checkKey(String key) {
    if (key == null || !key.matches("[A-Za-z_][A-Za-z0-9_./-]*")) {
      throw new IllegalArgumentException("bad signature key '" + key + "' (letters, digits, _ . / -)");
    }
  }

  /** Runs the pipeline and writes the SavedModel (to a temp folder renamed into place). */
  public Result export() {
    if (outputs.isEmpty()) throw new IllegalArgumentException("export needs at least one --output NAME=TENSOR");
    if (exportDir == null && basePath == null) throw new IllegalArgumentException("export needs an export dir or a base path");
    for (String t : inputs.values()) source.spec(t); // unknown names fail here, with suggestions
    for (String t : outputs.values()) source.spec(t);
    ModelGraph cut = inputs.isEmpty() ? source : source.cutAt(inputs.values().toArray(new String[0]));
    Map<String, String> inTensors = new LinkedHashMap<>();
    inputs.forEach((k, t) -> inTensors.put(k, cut.cutTensorName(t)));
    Set<String> keep = new LinkedHashSet<>();
    inTensors.values().forEach(t -> keep.add(TensorName.parse(t).node()));
    outputs.values().forEach(t -> keep.add(TensorName.parse(t).node()));
    ModelGraph result;
    try (ModelGraph frozen = cut.freeze();
        ModelGraph extracted = frozen.extractSubGraph(outputs.values().toArray(new String[0]))) {
      result = extracted.removeTrainingNodes(keep.toArray(new String[0]));
    } finally {
      if (cut != source) cut.close();
    }
    try (ModelGraph g = result) {
      for (NodeDef n : g.graphDef().getNodeList()) {
        if ((GraphSurgery.REF_VARIABLE_OPS.contains(n.getOp()) || GraphSurgery.RESOURCE_VARIABLE_OPS.contains(n.getOp()))
            && !g.variables().containsKey(n.getName())) {
          throw new IllegalArgumentException("the outputs need variable '" + n.getName() + "', which has no value in the checkpoint");
        }
      }
      for (String in : inTensors.values()) {
        if (!g.nodeNames().contains(TensorName.parse(in).node())) {
          throw new IllegalArgumentException("input '" + in + "' is not needed by the outputs " + outputs.values());
        }
      }
      SignatureDef.Builder sig = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict");
      inTensors.forEach((k, t) -> sig.putInputs(k, info(g.spec(t))));
      outputs.forEach((k, t) -> sig.putOutputs(k, info(g.spec(t))));
      SignatureSpec spec = SignatureSpec.predict();
      for (Map.Entry<String, String> e : inTensors.entrySet()) spec = spec.input(e.getKey(), e.getValue());
      for (Map.Entry<String, String> e : outputs.entrySet()) spec = spec.output(e.getKey(), e.getValue());
      // Variables freezing could not replace (handles used inside If/While bodies) are exported as variables.
      SavedModelExport export = SavedModelExport.from(g.graphDef(), g.variables()).signature(SavedModelExport.DEFAULT_SIGNATURE_KEY, spec);
      Path dir = exportDir != null ? export.exportTo(exportDir) : export.exportVersion(basePath);
      return new Result(dir, sig.build(), SizeReport.of(source, g), g.summary());
    }
  }

  private static TensorInfo info(TensorSpec s) {
    return TensorInfo.newBuilder().setName(s.name()).setDtype(s.dtype()).setTensorShape(s.shapeProto()).build();
  }

}
