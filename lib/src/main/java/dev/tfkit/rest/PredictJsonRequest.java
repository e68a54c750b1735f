package dev.tfkit.rest;

import dev.tfkit.tensor.TensorValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.proto.TensorProto;

/**
 * A REST predict request body as a server reads it: the signature asked for (empty for the default
 * one), the layout the client used (the response must answer in the same one), and the input
 * tensors by name, already stacked and typed from the signature.
 *
 * @param signatureName {@code signature_name}, or {@code ""} when the body has none
 * @param format {@link RestFormat#ROW} for {@code instances}, {@link RestFormat#COLUMNAR} for {@code
 *     inputs}
 * @param inputs input tensors by signature input name, in the signature's order
 */
public record PredictJsonRequest(
    String signatureName, RestFormat format, Map<String, TensorProto> inputs) {
  /** Checks the fields and freezes the map. */
  public PredictJsonRequest {
    Objects.requireNonNull(signatureName, "signatureName");
    Objects.requireNonNull(format, "format");
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
  }

  /** The inputs as typed values. */
  public Map<String, TensorValue> inputValues() {
    Map<String, TensorValue> m = new LinkedHashMap<>();
    inputs.forEach((k, v) -> m.put(k, TensorValue.fromProto(v)));
    return m;
  }
}
