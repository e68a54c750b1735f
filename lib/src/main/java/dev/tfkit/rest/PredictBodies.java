package dev.tfkit.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.tensor.TensorValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * TensorFlow Serving's REST predict bodies: the request a client sends ({@code "instances"} in row
 * format or {@code "inputs"} in columnar format, with {@code "signature_name"}), the response a server
 * sends back ({@code "predictions"} or {@code "outputs"}) and the error body {@code {"error": ...}}.
 *
 * <p>Row format ({@code "instances"} → {@code "predictions"}): each list item is one batch row, as a
 * bare value when there is a single named tensor or as an object {@code {name: value}} per row; the
 * rows are stacked, so every named tensor shares its 0-th dimension. Columnar format ({@code
 * "inputs"} → {@code "outputs"}): each tensor whole, as a bare value when there is one, else an
 * object by name. The tensor values inside follow {@link TensorJson}. Used by the REST client and
 * the embedded server's REST gateway; all methods are static and thread-safe.
 */
public final class PredictBodies {
  private PredictBodies() {}

  /** A predict response body from typed values (see {@link #predictResponse}). */
  public static byte[] predictResponseFromValues(
      Map<String, TensorValue> outputs, RestFormat format) {
    return predictResponse(protos(outputs), format);
  }

  /** A predict request body from typed values (see {@link #predictRequest}). */
  public static byte[] predictRequestFromValues(
      String signatureName, Map<String, TensorValue> inputs, RestFormat format) {
    return predictRequest(signatureName, protos(inputs), format);
  }

  private static Map<String, TensorProto> protos(Map<String, TensorValue> values) {
    Map<String, TensorProto> m = new LinkedHashMap<>();
    values.forEach((k, v) -> m.put(k, v.toProto()));
    return m;
  }


  // ------------------------------------------------------------------------------------------
  // Predict request and response bodies
  // ------------------------------------------------------------------------------------------

  /**
   * A predict request body, as a client sends it. Inputs are always written by name (an object per
   * row, or an object of columns) so a misspelt name fails on the server instead of being bound to
   * its only input.
   *
   * @param signatureName the signature, or {@code null}/empty for the default
   * @throws IllegalArgumentException in row format, when the inputs do not share their 0-th
   *     dimension (or one is a scalar)
   */
  public static byte[] predictRequest(
      String signatureName, Map<String, TensorProto> inputs, RestFormat format) {
    if (inputs.isEmpty()) throw new IllegalArgumentException("predict request has no inputs");
    return TensorJson.bytes(
        g -> {
          g.writeStartObject();
          if (signatureName != null && !signatureName.isEmpty()) {
            g.writeStringField(TensorJson.SIGNATURE_NAME, signatureName);
          }
          g.writeFieldName(format.requestKey());
          if (format == RestFormat.ROW) {
            writeRows(g, inputs, "input", true);
          } else {
            g.writeStartObject();
            for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
              g.writeFieldName(e.getKey());
              TensorJson.write(g, e.getValue(), false, "input '" + e.getKey() + "'");
            }
            g.writeEndObject();
          }
          g.writeEndObject();
        });
  }

  /**
   * Reads a predict request body as TF Serving does, from its bytes: numeric tensors (nested lists
   * of numbers) are streamed into packed {@code tensor_content} without a JSON tree; any other body
   * goes through {@link #readPredictRequest(JsonNode, Function)}, with the same results and errors.
   *
   * @param inputTypes the signature's inputs (name → dtype, in order) for a signature name ({@code
   *     ""} for the default); may throw to report an unknown signature
   * @throws IllegalArgumentException naming what is wrong with the body
   */
  public static PredictJsonRequest readPredictRequest(
      byte[] body, Function<String, Map<String, DataType>> inputTypes) {
    StreamedPredictBody fast = StreamedPredictBody.read(body);
    PredictJsonRequest r = fast == null ? null : fast.toRequest(inputTypes);
    return r != null ? r : readPredictRequest(TensorJson.parse(body), inputTypes);
  }

  /**
   * Reads a predict request body (see {@link #readPredictRequest(byte[], Function)}, which reads
   * numeric tensors without building this tree).
   *
   * @param body the parsed body
   * @param inputTypes the signature's inputs (name → dtype, in order) for a signature name ({@code
   *     ""} for the default); may throw to report an unknown signature
   * @throws IllegalArgumentException naming what is wrong with the body
   */
  public static PredictJsonRequest readPredictRequest(
      JsonNode body, Function<String, Map<String, DataType>> inputTypes) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("predict request body must be a JSON object");
    }
    String signature = "";
    JsonNode sig = body.get(TensorJson.SIGNATURE_NAME);
    if (sig != null) {
      if (!sig.isTextual()) {
        throw new IllegalArgumentException("'signature_name' must be a string, got " + sig);
      }
      signature = sig.asText();
    }
    Map<String, DataType> types = inputTypes.apply(signature);
    if (types == null || types.isEmpty()) {
      throw new IllegalArgumentException(
          "signature '" + (signature.isEmpty() ? "serving_default" : signature) + "' has no inputs");
    }
    JsonNode instances = body.get(RestFormat.ROW.requestKey());
    JsonNode inputs = body.get(RestFormat.COLUMNAR.requestKey());
    if (instances != null && inputs != null) {
      throw new IllegalArgumentException(
          "request has both 'instances' and 'inputs': use one (row or columnar format)");
    }
    if (instances == null && inputs == null) {
      throw new IllegalArgumentException("request has neither 'inputs' nor 'instances'");
    }
    if (instances != null) {
      if (!instances.isArray()) {
        throw new IllegalArgumentException("'instances' must be a list, one item per batch row");
      }
      if (instances.isEmpty()) {
        throw new IllegalArgumentException("'instances' is an empty list");
      }
      return new PredictJsonRequest(
          signature, RestFormat.ROW, readRows(instances, types, "instances", "input", true));
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    if (isNamedObject(inputs)) {
      for (Map.Entry<String, DataType> t : types.entrySet()) {
        JsonNode v = inputs.get(t.getKey());
        if (v == null) {
          throw new IllegalArgumentException(
              "'inputs' lacks input '" + t.getKey() + "' (the signature's inputs: "
                  + String.join(", ", types.keySet()) + ")");
        }
        out.put(t.getKey(), TensorJson.fromJson(v, t.getValue(), "input '" + t.getKey() + "'"));
      }
    } else {
      if (types.size() > 1) {
        throw new IllegalArgumentException(
            "'inputs' is a bare value, but the signature has " + types.size()
                + " inputs (" + String.join(", ", types.keySet()) + "): send an object by name");
      }
      Map.Entry<String, DataType> only = types.entrySet().iterator().next();
      out.put(only.getKey(), TensorJson.fromJson(inputs, only.getValue(), "input '" + only.getKey() + "'"));
    }
    return new PredictJsonRequest(signature, RestFormat.COLUMNAR, out);
  }

  /**
   * A predict response body, as a server sends it: {@code {"predictions": ...}} or {@code
   * {"outputs": ...}}, the tensor bare when there is only one.
   *
   * @throws IllegalArgumentException in row format, when the outputs do not share their 0-th
   *     dimension
   */
  public static byte[] predictResponse(Map<String, TensorProto> outputs, RestFormat format) {
    if (outputs.isEmpty()) throw new IllegalArgumentException("predict response has no outputs");
    boolean named = outputs.size() > 1;
    return TensorJson.bytes(
        g -> {
          g.writeStartObject();
          g.writeFieldName(format.responseKey());
          if (format == RestFormat.ROW) {
            writeRows(g, outputs, "output", named);
          } else {
            if (named) g.writeStartObject();
            for (Map.Entry<String, TensorProto> e : outputs.entrySet()) {
              if (named) g.writeFieldName(e.getKey());
              TensorJson.write(g, e.getValue(), TensorJson.isBytesName(e.getKey()), "output '" + e.getKey() + "'");
            }
            if (named) g.writeEndObject();
          }
          g.writeEndObject();
        });
  }

  /**
   * Reads a predict response body, as a client does.
   *
   * @param outputTypes known outputs (name → dtype, {@code null} dtype to infer); may be empty
   * @param unnamedOutput the name to give a tensor the server wrote bare (it does when the response
   *     has a single output)
   * @throws IllegalArgumentException when the body is an error or is not a predict response
   */
  public static Map<String, TensorProto> readPredictResponse(
      JsonNode body, Map<String, DataType> outputTypes, String unnamedOutput) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("predict response must be a JSON object, got " + body);
    }
    if (body.has(TensorJson.ERROR)) throw new IllegalArgumentException(body.get(TensorJson.ERROR).asText());
    JsonNode predictions = body.get(RestFormat.ROW.responseKey());
    JsonNode outputs = body.get(RestFormat.COLUMNAR.responseKey());
    if (predictions != null) {
      if (!predictions.isArray()) {
        throw new IllegalArgumentException("'predictions' must be a list, got " + TensorJson.abbreviate(predictions));
      }
      Map<String, DataType> types = new LinkedHashMap<>(outputTypes);
      if (predictions.isEmpty()) {
        Map<String, TensorProto> empty = new LinkedHashMap<>();
        String name = types.size() == 1 ? types.keySet().iterator().next() : unnamedOutput;
        empty.put(name, TensorJson.toProto(new long[] {0}, List.of(), types.get(name), "output"));
        return empty;
      }
      if (!isNamedObject(predictions.get(0))) {
        String name = types.size() == 1 ? types.keySet().iterator().next() : unnamedOutput;
        Map<String, DataType> one = new LinkedHashMap<>();
        one.put(name, types.get(name));
        types = one;
      }
      return readRows(predictions, types, "predictions", "output", false);
    }
    if (outputs != null) {
      Map<String, TensorProto> out = new LinkedHashMap<>();
      if (isNamedObject(outputs)) {
        for (Iterator<Map.Entry<String, JsonNode>> it = outputs.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.put(
              e.getKey(),
              TensorJson.fromJson(e.getValue(), outputTypes.get(e.getKey()), "output '" + e.getKey() + "'"));
        }
      } else {
        String name =
            outputTypes.size() == 1 ? outputTypes.keySet().iterator().next() : unnamedOutput;
        out.put(name, TensorJson.fromJson(outputs, outputTypes.get(name), "output '" + name + "'"));
      }
      return out;
    }
    throw new IllegalArgumentException(
        "response has neither 'predictions' nor 'outputs': " + TensorJson.abbreviate(body));
  }

  /** An error body: {@code {"error": "<message>"}}. */
  public static byte[] errorBody(String message) {
    ObjectNode n = TensorJson.MAPPER.createObjectNode();
    n.put(TensorJson.ERROR, message == null ? "" : message);
    try {
      return TensorJson.MAPPER.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }


  // ------------------------------------------------------------------------------------------
  // Row format
  // ------------------------------------------------------------------------------------------

  private static void writeRows(
      JsonGenerator g, Map<String, TensorProto> tensors, String kind, boolean named)
      throws IOException {
    long batch = -1;
    String first = null;
    Map<String, TensorJson.ElementWriter> writers = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, TensorProto> e : tensors.entrySet()) {
      String what = kind + " '" + e.getKey() + "'";
      long[] shape = TensorJson.shapeOf(e.getValue(), what);
      if (shape.length == 0) {
        throw new IllegalArgumentException(
            what + " is a scalar: row format needs a batch (0-th) dimension; use the columnar format");
      }
      if (batch >= 0 && shape[0] != batch) {
        throw new IllegalArgumentException(
            "row format needs every " + kind + " to share the batch (0-th) dimension: '" + first
                + "' has " + batch + ", '" + e.getKey() + "' has " + shape[0]
                + "; use the columnar format");
      }
      if (batch < 0) {
        batch = shape[0];
        first = e.getKey();
      }
      shapes.put(e.getKey(), shape);
      boolean b64 = kind.equals("output") && TensorJson.isBytesName(e.getKey());
      writers.put(e.getKey(), TensorJson.ElementWriter.of(e.getValue(), shape, b64, what));
    }
    g.writeStartArray();
    for (long row = 0; row < batch; row++) {
      if (named) g.writeStartObject();
      for (Map.Entry<String, TensorJson.ElementWriter> e : writers.entrySet()) {
        long[] shape = shapes.get(e.getKey());
        long rowSize = TensorJson.product(shape, 1);
        if (named) g.writeFieldName(e.getKey());
        TensorJson.writeNested(g, e.getValue(), shape, 1, row * rowSize);
      }
      if (named) g.writeEndObject();
    }
    g.writeEndArray();
  }

  /**
   * Stacks the rows of a row-format list: each item is a bare value (single tensor named by the
   * only entry of {@code types}) or an object by name.
   */
  private static Map<String, TensorProto> readRows(
      JsonNode rows, Map<String, DataType> types, String listKey, String kind, boolean strictKeys) {
    boolean named = isNamedObject(rows.get(0));
    if (!named && types.size() > 1) {
      throw new IllegalArgumentException(
          "'" + listKey + "' items are bare values, but there are " + types.size() + " " + kind
              + "s (" + String.join(", ", types.keySet()) + "): each item must be an object by name");
    }
    Map<String, long[]> rowShapes = new LinkedHashMap<>();
    Map<String, List<JsonNode>> leaves = new LinkedHashMap<>();
    Set<String> names = new LinkedHashSet<>();
    int i = 0;
    for (JsonNode item : rows) {
      if (named != isNamedObject(item)) {
        throw new IllegalArgumentException(
            "'" + listKey + "' item " + i + " is " + (named ? "not an object" : "an object")
                + " while item 0 is " + (named ? "an object" : "a value"));
      }
      if (named) {
        Set<String> keys = new TreeSet<>();
        item.fieldNames().forEachRemaining(keys::add);
        if (strictKeys && !keys.equals(new TreeSet<>(types.keySet()))) {
          throw new IllegalArgumentException(
              "'" + listKey + "' item " + i + " has keys " + keys + ", expected the signature's "
                  + kind + "s " + new TreeSet<>(types.keySet()));
        }
        if (!strictKeys && i > 0 && !keys.equals(new TreeSet<>(names))) {
          throw new IllegalArgumentException(
              "'" + listKey + "' item " + i + " has keys " + keys + ", item 0 has " + names);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = item.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (i == 0) names.add(e.getKey());
          addRow(e.getKey(), e.getValue(), i, listKey, kind, rowShapes, leaves);
        }
      } else {
        String name = types.keySet().iterator().next();
        names.add(name);
        addRow(name, item, i, listKey, kind, rowShapes, leaves);
      }
      i++;
    }
    Map<String, TensorProto> out = new LinkedHashMap<>();
    // the signature's order when known, else the order of the first row
    List<String> order = new ArrayList<>();
    for (String n : types.keySet()) if (names.contains(n)) order.add(n);
    for (String n : names) if (!order.contains(n)) order.add(n);
    for (String name : order) {
      long[] rowShape = rowShapes.get(name);
      long[] shape = new long[rowShape.length + 1];
      shape[0] = i;
      System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
      out.put(name, TensorJson.toProto(shape, leaves.get(name), types.get(name), kind + " '" + name + "'"));
    }
    return out;
  }

  private static void addRow(
      String name,
      JsonNode value,
      int row,
      String listKey,
      String kind,
      Map<String, long[]> rowShapes,
      Map<String, List<JsonNode>> leaves) {
    String what = kind + " '" + name + "' in '" + listKey + "' item " + row;
    TensorJson.Parsed p = TensorJson.Parsed.of(value, what);
    long[] expected = rowShapes.putIfAbsent(name, p.shape);
    if (expected != null && !Arrays.equals(expected, p.shape)) {
      throw new IllegalArgumentException(
          what + " has shape " + Arrays.toString(p.shape) + ", item 0 has "
              + Arrays.toString(expected) + ": rows must have equal shapes");
    }
    leaves.computeIfAbsent(name, k -> new ArrayList<>()).addAll(p.leaves);
  }

  /** An object that names tensors (as opposed to a base64 value). */
  private static boolean isNamedObject(JsonNode n) {
    return n.isObject() && !TensorJson.isBase64Object(n);
  }

}
