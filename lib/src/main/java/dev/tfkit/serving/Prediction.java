package dev.tfkit.serving;

import dev.tfkit.tensor.TensorValue;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictResponse;

/**
 * The answer to a predict call: which model, version and signature answered, and the output
 * tensors by key as typed {@link TensorValue}s. Immutable; the same type for gRPC and REST (a REST
 * response names no version, so its spec is the one asked for).
 */
public final class Prediction {
  private final ModelSpec modelSpec;
  private final Map<String, TensorValue> outputs;

  private Prediction(ModelSpec modelSpec, Map<String, TensorValue> outputs) {
    this.modelSpec = Objects.requireNonNull(modelSpec, "modelSpec");
    this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /** A prediction from its parts (for servers, tests and tools that build one). */
  public static Prediction of(ModelSpec modelSpec, Map<String, TensorValue> outputs) {
    return new Prediction(modelSpec, outputs);
  }

  /** A prediction from a PredictResponse, decoding each output TensorProto. */
  public static Prediction fromResponse(PredictResponse response) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (Map.Entry<String, TensorProto> e : response.getOutputsMap().entrySet()) {
      try {
        out.put(e.getKey(), TensorValue.fromProto(e.getValue()));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            "output '" + e.getKey() + "' of model '" + response.getModelSpec().getName() + "': "
                + ex.getMessage(), ex);
      }
    }
    return new Prediction(response.getModelSpec(), out);
  }

  /** The model spec the server answered with (name, version, signature). */
  public ModelSpec modelSpec() {
    return modelSpec;
  }

  /** The model name. */
  public String modelName() {
    return modelSpec.getName();
  }

  /** The version that answered, when the server said (gRPC does; REST only when asked for one). */
  public OptionalLong version() {
    return modelSpec.hasVersion()
        ? OptionalLong.of(modelSpec.getVersion().getValue())
        : OptionalLong.empty();
  }

  /** The signature that answered ({@code ""} when the server did not say). */
  public String signatureName() {
    return modelSpec.getSignatureName();
  }

  /** Every output by key, in the server's order. */
  public Map<String, TensorValue> outputs() {
    return outputs;
  }

  /** The output keys. */
  public Set<String> outputNames() {
    return outputs.keySet();
  }

  /**
   * One output.
   *
   * @throws IllegalArgumentException naming the model and the outputs it has when {@code key} is
   *     not one of them
   */
  public TensorValue output(String key) {
    TensorValue v = outputs.get(key);
    if (v == null) {
      throw new IllegalArgumentException(
          "prediction of model '" + modelName() + "' has no output '" + key + "'; its outputs: "
              + (outputs.isEmpty() ? "(none)" : String.join(", ", outputs.keySet())));
    }
    return v;
  }

  /** Output protos, numeric data in {@code tensor_content}. */
  public Map<String, TensorProto> outputProtos() {
    Map<String, TensorProto> m = new LinkedHashMap<>();
    outputs.forEach((k, v) -> m.put(k, v.toProto()));
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Prediction p && p.modelSpec.equals(modelSpec) && p.outputs.equals(outputs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelSpec, outputs);
  }

  /** E.g. {@code Prediction[half_plus_two v123 serving_default: y DT_FLOAT[2, 1]]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Prediction[").append(modelName());
    version().ifPresent(v -> sb.append(" v").append(v));
    if (!signatureName().isEmpty()) sb.append(' ').append(signatureName());
    sb.append(':');
    String sep = " ";
    for (Map.Entry<String, TensorValue> e : outputs.entrySet()) {
      sb.append(sep).append(e.getKey()).append(' ').append(e.getValue().dtype())
          .append(Arrays.toString(e.getValue().shape()));
      sep = ", ";
    }
    return sb.append(']').toString();
  }
}
