package dev.tfkit.serving;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tensorflow.serving.Model.ModelSpec;

/**
 * A served model's signatures, as TF Serving's GetModelMetadata reports them, with a table view for
 * notebooks: one row per signature input and output.
 *
 * @param modelSpec the model spec that answered (name and version)
 * @param signatures signature defs by key, sorted by key
 */
public record ModelMetadata(ModelSpec modelSpec, Map<String, SignatureDef> signatures) {
  /** Freezes and sorts the map. */
  public ModelMetadata {
    signatures = Collections.unmodifiableMap(new TreeMap<>(signatures));
  }

  /**
   * One signature.
   *
   * @throws IllegalArgumentException naming the model and its signatures when there is none by
   *     this key
   */
  public SignatureDef signature(String key) {
    SignatureDef s = signatures.get(key);
    if (s == null) {
      throw new IllegalArgumentException(
          "model '" + modelSpec.getName() + "' has no signature '" + key + "'; its signatures: "
              + String.join(", ", signatures.keySet()));
    }
    return s;
  }

  /** A signature's inputs: key → dtype, in key order. */
  public Map<String, DataType> inputTypes(String signature) {
    return types(signature(signature).getInputsMap());
  }

  /** A signature's outputs: key → dtype, in key order. */
  public Map<String, DataType> outputTypes(String signature) {
    return types(signature(signature).getOutputsMap());
  }

  private static Map<String, DataType> types(Map<String, TensorInfo> m) {
    Map<String, DataType> out = new LinkedHashMap<>();
    new TreeMap<>(m).forEach((k, v) -> out.put(k, v.getDtype()));
    return out;
  }

  /**
   * A Tablesaw table of every signature's tensors: signature, method, direction ({@code input} /
   * {@code output}), key, graph tensor name, dtype and shape ({@code -1} for unknown dimensions).
   */
  public Table table() {
    StringColumn sig = StringColumn.create("signature");
    StringColumn method = StringColumn.create("method");
    StringColumn dir = StringColumn.create("direction");
    StringColumn key = StringColumn.create("key");
    StringColumn tensor = StringColumn.create("tensor");
    StringColumn dtype = StringColumn.create("dtype");
    StringColumn shape = StringColumn.create("shape");
    for (Map.Entry<String, SignatureDef> s : signatures.entrySet()) {
      for (String d : new String[] {"input", "output"}) {
        Map<String, TensorInfo> m =
            d.equals("input") ? s.getValue().getInputsMap() : s.getValue().getOutputsMap();
        for (Map.Entry<String, TensorInfo> t : new TreeMap<>(m).entrySet()) {
          sig.append(s.getKey());
          method.append(s.getValue().getMethodName());
          dir.append(d);
          key.append(t.getKey());
          tensor.append(t.getValue().getName());
          dtype.append(t.getValue().getDtype().name());
          shape.append(shape(t.getValue().getTensorShape()));
        }
      }
    }
    return Table.create(
        "signatures of " + modelSpec.getName()
            + (modelSpec.hasVersion() ? " v" + modelSpec.getVersion().getValue() : ""),
        sig, method, dir, key, tensor, dtype, shape);
  }

  private static String shape(TensorShapeProto s) {
    if (s.getUnknownRank()) return "?";
    return s.getDimList().stream()
        .map(d -> Long.toString(d.getSize()))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
