package dev.tfkit.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.tfkit.rest.ExampleJson;
import dev.tfkit.rest.PredictBodies;
import dev.tfkit.rest.PredictJsonRequest;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.rest.StreamedPredictBody;
import dev.tfkit.rest.TensorJson;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.DataTypes;
import io.grpc.Context;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorInfo;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * TF Serving's REST API on whole requests: predict, classify and regress, model status and
 * metadata, the Prometheus metrics page, with TF Serving's paths, JSON shapes, error bodies
 * ({@code {"error": "..."}}) and HTTP codes. It knows nothing of HTTP connections ({@link
 * RestConnection} reads them); {@link #answer} never throws.
 */
final class RestRoutes {
  private static final Pattern PREDICT =
      Pattern.compile(
          "(?i)/v1/models/([^/:]+)(?:(?:/versions/(\\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)");
  private static final Pattern STATUS =
      Pattern.compile(
          "(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?");

  private final ServingApi api;
  private final ScheduledExecutorService deadlineTimer;
  private final Duration timeout;
  private final String metricsPath;
  private final ObjectMapper mapper = TensorJson.mapper();

  /**
   * @param deadlineTimer cancels runs whose deadline passed
   * @param timeout how long a request may run before it is answered 504 (TF Serving's {@code
   *     --rest_api_timeout_in_ms}); zero for no limit
   * @param metricsPath the Prometheus page's path, or null for none
   */
  RestRoutes(
      ServingApi api,
      ScheduledExecutorService deadlineTimer,
      Duration timeout,
      String metricsPath) {
    this.api = api;
    this.deadlineTimer = deadlineTimer;
    this.timeout = timeout;
    this.metricsPath = metricsPath;
  }

  /** The answer to {@code r}: a result, or a JSON error with TF Serving's status for it. */
  RestReply answer(RestRequest r) {
    try {
      return route(r.method(), r.path(), r.body());
    } catch (RequestException e) {
      return RestReply.error(e.code().httpStatus(), e.getMessage());
    } catch (IllegalArgumentException e) {
      return RestReply.error(400, String.valueOf(e.getMessage()));
    } catch (StackOverflowError e) {
      // A last guard: the JSON readers limit nesting well before the stack runs out.
      return RestReply.error(400, "request nesting too deep");
    } catch (OutOfMemoryError e) {
      return RestReply.error(503, "Server out of memory handling this request; retry later");
    } catch (RuntimeException | LinkageError e) {
      return RestReply.error(500, String.valueOf(e));
    }
  }

  /**
   * The model spec (default signature) of a predict, classify or regress request, or null for any
   * other request or a path whose spec is malformed (its error comes from {@link #answer}).
   */
  ModelSpec inferenceSpec(String method, String path) {
    if (!method.equals("POST")) {
      return null;
    }
    Matcher m = PREDICT.matcher(path);
    if (!m.matches()) {
      return null;
    }
    try {
      return spec(m.group(1), m.group(2), m.group(3));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private RestReply route(String method, String path, byte[] body) {
    if (metricsPath != null && path.equals(metricsPath) && method.equals("GET")) {
      return new RestReply(
          200, "text/plain; version=0.0.4", api.metrics().prometheusText().getBytes(StandardCharsets.UTF_8));
    }
    if (method.equals("POST")) {
      Matcher m = PREDICT.matcher(path);
      if (m.matches()) {
        ModelSpec spec = spec(m.group(1), m.group(2), m.group(3));
        String verb = m.group(4).toLowerCase(Locale.ROOT);
        return withTimeout(() -> json(200, call(verb, spec, body)));
      }
    } else if (method.equals("GET")) {
      Matcher m = STATUS.matcher(path);
      if (m.matches() && m.group(1) != null) {
        ModelSpec spec = spec(m.group(1), m.group(2), m.group(3));
        if (m.group(4) != null) {
          return withTimeout(() -> json(200, metadataJson(api.metadata(spec))));
        }
        return withTimeout(
            () ->
                json(
                    200,
                    print(api.status(GetModelStatusRequest.newBuilder().setModelSpec(spec).build()))));
      }
    }
    return RestReply.error(404, "Malformed request: " + method + " " + path);
  }

  private ModelSpec spec(String name, String version, String label) {
    ModelSpec.Builder b = ModelSpec.newBuilder().setName(decode(name, "model name"));
    if (version != null) {
      try {
        b.setVersion(Int64Value.of(Long.parseLong(version)));
      } catch (NumberFormatException e) {
        throw RequestException.invalidArgument(
            "Failed to convert version: " + version + " to numeric.");
      }
    }
    if (label != null) {
      b.setVersionLabel(decode(label, "model version label"));
    }
    return b.build();
  }

  private static String decode(String s, String what) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw RequestException.invalidArgument("Failed to decode " + what + ":" + s);
    }
  }

  /**
   * Runs {@code work} on the calling thread under a deadline of {@code --rest_api_timeout_in_ms}:
   * the session run gets the time left as TensorFlow's {@code RunOptions.timeout_in_ms} and is
   * cancelled when it is up (answered 504), as in TF Serving.
   */
  private RestReply withTimeout(Callable<RestReply> work) {
    Context.CancellableContext ctx =
        timeout.isZero()
            ? null
            : Context.current()
                .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS, deadlineTimer);
    try {
      return ctx == null ? work.call() : ctx.call(work);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw RequestException.internal(String.valueOf(e), e);
    } finally {
      if (ctx != null) {
        ctx.cancel(null);
      }
    }
  }

  // ---------------------------------------------------------------- predict / classify / regress

  private String call(String verb, ModelSpec spec, byte[] body) {
    if (verb.equals("predict")) {
      // Numeric tensors are streamed without a JSON tree; other bodies (and malformed JSON, whose
      // error comes before the model lookup as before) take the tree.
      StreamedPredictBody fast = StreamedPredictBody.read(body);
      return predict(spec, fast, fast == null ? TensorJson.parse(body) : null, body);
    }
    JsonNode json = TensorJson.parse(body);
    return verb.equals("classify") ? classify(spec, json) : regress(spec, json);
  }

  private String predict(ModelSpec spec, StreamedPredictBody fast, JsonNode tree, byte[] body) {
    RestFormat[] format = new RestFormat[1];
    PredictResponse resp =
        api.predict(
            spec,
            servable -> {
              Function<String, Map<String, DataType>> types =
                  sigName -> {
                    Map<String, DataType> t = new LinkedHashMap<>();
                    for (Map.Entry<String, TensorInfo> e :
                        new TreeMap<>(servable.signature(sigName).getInputsMap()).entrySet()) {
                      t.put(e.getKey(), DataTypes.base(e.getValue().getDtype()));
                    }
                    return t;
                  };
              PredictJsonRequest r = fast == null ? null : fast.toRequest(types);
              if (r == null) {
                r = PredictBodies.readPredictRequest(tree != null ? tree : TensorJson.parse(body), types);
              }
              format[0] = r.format();
              return PredictRequest.newBuilder()
                  .setModelSpec(spec.toBuilder().setSignatureName(r.signatureName()))
                  .putAllInputs(r.inputs())
                  .build();
            });
    return new String(PredictBodies.predictResponse(resp.getOutputsMap(), format[0]), StandardCharsets.UTF_8);
  }

  private String classify(ModelSpec spec, JsonNode body) {
    ClassificationRequest req =
        ClassificationRequest.newBuilder()
            .setModelSpec(spec.toBuilder().setSignatureName(signatureName(body)))
            .setInput(examples(body))
            .build();
    ClassificationResult result = api.classify(req).getResult();
    ArrayNode results = JsonNodeFactory.instance.arrayNode();
    for (Classifications c : result.getClassificationsList()) {
      ArrayNode row = results.addArray();
      for (var cls : c.getClassesList()) {
        row.addArray().add(cls.getLabel()).add(cls.getScore());
      }
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.set("results", results);
    return write(out);
  }

  private String regress(ModelSpec spec, JsonNode body) {
    RegressionRequest req =
        RegressionRequest.newBuilder()
            .setModelSpec(spec.toBuilder().setSignatureName(signatureName(body)))
            .setInput(examples(body))
            .build();
    ArrayNode results = JsonNodeFactory.instance.arrayNode();
    api.regress(req).getResult().getRegressionsList().forEach(r -> results.add(r.getValue()));
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.set("results", results);
    return write(out);
  }

  private static String signatureName(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw RequestException.invalidArgument("request body must be a JSON object");
    }
    JsonNode s = body.get("signature_name");
    if (s == null) {
      return "";
    }
    if (!s.isTextual()) {
      throw RequestException.invalidArgument("'signature_name' must be a string, got " + s);
    }
    return s.asText();
  }

  /** The {@code examples} (and optional {@code context}) of a classify/regress body. */
  static Input examples(JsonNode body) {
    try {
      return ExampleJson.readExamples(body);
    } catch (IllegalArgumentException e) {
      throw RequestException.invalidArgument(e.getMessage());
    }
  }

  // ---------------------------------------------------------------- status / metadata

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().preservingProtoFieldNames().includingDefaultValueFields();

  private static String print(MessageOrBuilder m) {
    try {
      return PRINTER.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw RequestException.internal("Failed to convert proto to json. Error: " + e.getMessage(), e);
    }
  }

  /** TF Serving's metadata JSON: the model spec, and the signature map unpacked from its Any. */
  static String metadataJson(GetModelMetadataResponse r) {
    SignatureDefMap map;
    try {
      map = r.getMetadataOrThrow("signature_def").unpack(SignatureDefMap.class);
    } catch (InvalidProtocolBufferException e) {
      throw RequestException.internal("Failed to unpack 'Any' object to 'SignatureDefMap'.", e);
    }
    String errors = "";
    if (r.containsMetadata(ServingApi.SIGNATURE_ERRORS)) {
      try {
        errors =
            ",\n\"" + ServingApi.SIGNATURE_ERRORS + "\": "
                + print(r.getMetadataOrThrow(ServingApi.SIGNATURE_ERRORS).unpack(Struct.class));
      } catch (InvalidProtocolBufferException e) {
        throw RequestException.internal("Failed to unpack 'Any' object to 'Struct'.", e);
      }
    }
    return "{\n\"model_spec\":"
        + print(r.getModelSpec())
        + ",\n\"metadata\": {\"signature_def\": "
        + print(map)
        + errors
        + "}\n}\n";
  }

  private String write(JsonNode n) {
    try {
      return mapper.writeValueAsString(n);
    } catch (IOException e) {
      throw RequestException.internal("writing JSON failed: " + e.getMessage(), e);
    }
  }

  private static RestReply json(int code, String body) {
    return RestReply.json(code, body);
  }
}
