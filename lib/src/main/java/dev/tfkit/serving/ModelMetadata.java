package dev.tfkit.serving;

import dev.tfkit.tensor.SignatureTable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
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
   * A Tablesaw table of every signature's tensors: signature, method, io ({@code input} / {@code
   * output}), key, graph tensor name, dtype and shape ({@code -1} for unknown dimensions) — the
   * layout of {@link SignatureTable}, shared with {@code SavedModelInfo.table()}.
   */
  public Table table() {
    return SignatureTable.create(false)
        .add("", signatures)
        .toTable(
            "signatures of " + modelSpec.getName()
                + (modelSpec.hasVersion() ? " v" + modelSpec.getVersion().getValue() : ""));
  }

}
