package dev.tfkit.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.ExampleListWithContext;
import tensorflow.serving.InputOuterClass.Input;

/**
 * TensorFlow Serving's REST JSON for {@code tf.Example}s, the body of classify and regress
 * requests: {@code {"signature_name": ..., "context": {...}, "examples": [{feature: value or list},
 * ...]}}. Integers are {@code int64_list}, other numbers {@code float_list}, strings and {@code
 * {"b64": ...}} objects {@code bytes_list}. One codec for both sides: the REST client writes these
 * bodies, the embedded server's REST gateway reads them.
 */
public final class ExampleJson {
  private ExampleJson() {}

  /**
   * The {@code examples} (and optional {@code context}) of a classify/regress body, as a server
   * reads them.
   *
   * @throws IllegalArgumentException naming the example and feature that is not what TF Serving
   *     accepts
   */
  public static Input readExamples(JsonNode body) {
    JsonNode examples = body.get("examples");
    if (examples == null || !examples.isArray()) {
      throw new IllegalArgumentException("Missing 'examples' array in the request body");
    }
    ExampleList.Builder list = ExampleList.newBuilder();
    ExampleListWithContext.Builder withContext = ExampleListWithContext.newBuilder();
    for (int i = 0; i < examples.size(); i++) {
      Example e = example(examples.get(i), "examples[" + i + "]");
      list.addExamples(e);
      withContext.addExamples(e);
    }
    JsonNode context = body.get("context");
    if (context != null) {
      withContext.setContext(example(context, "context"));
      return Input.newBuilder().setExampleListWithContext(withContext).build();
    }
    return Input.newBuilder().setExampleList(list).build();
  }

  private static Example example(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + " must be a JSON object of features");
    }
    Features.Builder f = Features.newBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      f.putFeature(e.getKey(), feature(e.getValue(), where + "." + e.getKey()));
    }
    return Example.newBuilder().setFeatures(f).build();
  }

  /** A feature from a value or list: integers → int64_list, decimals → float_list, strings → bytes. */
  private static Feature feature(JsonNode v, String where) {
    List<JsonNode> values = new ArrayList<>();
    if (v.isArray()) {
      v.forEach(values::add);
    } else {
      values.add(v);
    }
    if (values.isEmpty()) {
      throw new IllegalArgumentException(where + " is an empty list; its type cannot be told");
    }
    JsonNode first = values.get(0);
    if (first.isIntegralNumber()) {
      Int64List.Builder b = Int64List.newBuilder();
      for (JsonNode x : values) {
        if (!x.isIntegralNumber() || !x.canConvertToLong()) {
          throw new IllegalArgumentException(where + ": expected integers, got " + x);
        }
        b.addValue(x.asLong());
      }
      return Feature.newBuilder().setInt64List(b).build();
    }
    if (first.isNumber()) {
      FloatList.Builder b = FloatList.newBuilder();
      for (JsonNode x : values) {
        if (!x.isNumber()) {
          throw new IllegalArgumentException(where + ": expected numbers, got " + x);
        }
        b.addValue((float) x.asDouble());
      }
      return Feature.newBuilder().setFloatList(b).build();
    }
    BytesList.Builder b = BytesList.newBuilder();
    for (JsonNode x : values) {
      if (x.isTextual()) {
        b.addValue(ByteString.copyFromUtf8(x.asText()));
      } else if (x.isObject() && x.size() == 1 && x.get("b64") != null && x.get("b64").isTextual()) {
        try {
          b.addValue(ByteString.copyFrom(Base64.getDecoder().decode(x.get("b64").asText())));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": invalid base64: " + e.getMessage());
        }
      } else {
        throw new IllegalArgumentException(
            where + ": expected a number, a string or {\"b64\": ...}, got " + x);
      }
    }
    return Feature.newBuilder().setBytesList(b).build();
  }


  /**
   * A classify/regress request body, as a client sends it: {@code signature_name} (when not empty),
   * {@code context} (for an example list with context) and {@code examples}; features as lists of
   * numbers or strings, bytes that are not UTF-8 as {@code {"b64": ...}}.
   */
  public static byte[] examplesBody(String signature, Input input) {
    List<Example> examples;
    Example context = null;
    if (input.hasExampleListWithContext()) {
      examples = input.getExampleListWithContext().getExamplesList();
      context = input.getExampleListWithContext().getContext();
    } else {
      examples = input.getExampleList().getExamplesList();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = TensorJson.mapper().getFactory().createGenerator(out)) {
      g.writeStartObject();
      if (!signature.isEmpty()) g.writeStringField(TensorJson.SIGNATURE_NAME, signature);
      if (context != null) {
        g.writeFieldName("context");
        writeExample(g, context);
      }
      g.writeArrayFieldStart("examples");
      for (Example e : examples) writeExample(g, e);
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeExample(JsonGenerator g, Example e) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, Feature> f : e.getFeatures().getFeatureMap().entrySet()) {
      g.writeArrayFieldStart(f.getKey());
      Feature v = f.getValue();
      switch (v.getKindCase()) {
        case FLOAT_LIST:
          for (float x : v.getFloatList().getValueList()) g.writeNumber(x);
          break;
        case INT64_LIST:
          for (long x : v.getInt64List().getValueList()) g.writeNumber(x);
          break;
        case BYTES_LIST:
          for (ByteString s : v.getBytesList().getValueList()) {
            if (s.isValidUtf8()) {
              g.writeString(s.toStringUtf8());
            } else {
              g.writeStartObject();
              g.writeStringField(TensorJson.B64, Base64.getEncoder().encodeToString(s.toByteArray()));
              g.writeEndObject();
            }
          }
          break;
        default:
          break;
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }
}
