package dev.tfkit.serving;

import dev.tfkit.rest.ExampleJson;
import dev.tfkit.rest.PredictBodies;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.rest.StreamedPredictBody;
import dev.tfkit.rest.TensorJson;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Classification.ClassificationResponse;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.GetModelMetadata.GetModelMetadataRequest;
import tensorflow.serving.GetModelMetadata.GetModelMetadataResponse;
import tensorflow.serving.GetModelMetadata.SignatureDefMap;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;
import tensorflow.serving.RegressionOuterClass.RegressionResponse;
import tensorflow.serving.RegressionOuterClass.RegressionResult;

/**
 * The REST transport: TF Serving's calls over its REST API ({@code /v1/models/...}) with {@code
 * java.net.http} and Jackson. Output dtypes come from the model's metadata, fetched once per model
 * version and signature and cached, so that REST gives the same typed tensors as gRPC.
 */
final class RestTransport implements Transport {
  private static final String PREDICT = PredictionServiceGrpc.getPredictMethod().getFullMethodName();
  private static final String CLASSIFY =
      PredictionServiceGrpc.getClassifyMethod().getFullMethodName();
  private static final String REGRESS = PredictionServiceGrpc.getRegressMethod().getFullMethodName();
  private static final String METADATA =
      PredictionServiceGrpc.getGetModelMetadataMethod().getFullMethodName();
  private static final String STATUS = ModelServiceGrpc.getGetModelStatusMethod().getFullMethodName();
  private static final String DEFAULT_SIGNATURE = "serving_default";

  private final String target;
  private final URI base;
  private final HttpClient http;
  private final int maxInbound;
  /** Output dtypes by model/version/signature: the metadata never changes for a version. */
  private final Map<String, Map<String, DataType>> outputTypes = new ConcurrentHashMap<>();

  private RestTransport(String target, URI base, HttpClient http, int maxInbound) {
    this.target = target;
    this.base = base;
    this.http = http;
    this.maxInbound = maxInbound;
  }

  /** A client for {@code host:port} ({@code http://}, or {@code https://} with TLS) or a URL. */
  static RestTransport open(String target, ConnectionOptions o) {
    if (o.alts() != null) {
      throw new IllegalArgumentException(
          "ALTS is gRPC only: TF Serving's REST API (and tfkit's) is plain HTTP with"
              + " --use_alts_credentials; use ServingModel.grpc for " + target);
    }
    String url = target.contains("://") ? target : (o.tls() != null ? "https://" : "http://") + target;
    while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
    URI base;
    try {
      base = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("REST target '" + target + "' is not host:port or a URL", e);
    }
    if (base.getHost() == null
        || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
      throw new IllegalArgumentException(
          "REST target '" + target + "' must be host:port or an http(s):// URL");
    }
    HttpClient.Builder b =
        HttpClient.newBuilder()
            // TF Serving's REST server speaks HTTP/1.1; an h2c upgrade attempt only costs time.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(o.connectTimeout());
    if (base.getScheme().equals("https")) {
      b.sslContext((o.tls() == null ? Tls.systemTrust() : o.tls()).sslContext());
    }
    return new RestTransport(target, base, b.build(), o.maxInboundMessageSize());
  }

  @Override
  public String target() {
    return base.toString();
  }

  @Override
  public boolean isRest() {
    return true;
  }

  @Override
  public void shutdown() {
    // java.net.http.HttpClient (Java 17) has no close: its threads end when it is unreachable.
  }

  // ------------------------------------------------------------------------------------------
  // dispatch
  // ------------------------------------------------------------------------------------------

  @Override
  public <Q extends Message, R extends Message> R call(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format) {
    try {
      return callAsync(method, request, deadline, format).get();
    } catch (ExecutionException e) {
      // a request the codec cannot write is the caller's error, not the server's
      if (e.getCause() instanceof IllegalArgumentException iae) throw iae;
      throw asStatus(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public <Q extends Message, R extends Message> CompletableFuture<R> callAsync(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline, RestFormat format) {
    try {
      String m = method.getFullMethodName();
      CompletableFuture<? extends Message> f;
      if (m.equals(PREDICT)) f = predict((PredictRequest) request, deadline, format);
      else if (m.equals(CLASSIFY)) f = classify((ClassificationRequest) request, deadline);
      else if (m.equals(REGRESS)) f = regress((RegressionRequest) request, deadline);
      else if (m.equals(METADATA)) f = metadata((GetModelMetadataRequest) request, deadline);
      else if (m.equals(STATUS)) f = status((GetModelStatusRequest) request, deadline);
      else {
        throw Status.UNIMPLEMENTED
            .withDescription(
                "TF Serving's REST API has no " + method.getBareMethodName()
                    + " call; use ServingModel.grpc")
            .asRuntimeException();
      }
      return (CompletableFuture<R>) f;
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(asStatus(e));
    }
  }

  // ------------------------------------------------------------------------------------------
  // calls
  // ------------------------------------------------------------------------------------------

  private CompletableFuture<PredictResponse> predict(
      PredictRequest req, Deadline deadline, RestFormat format) {
    ModelSpec spec = req.getModelSpec();
    String signature = spec.getSignatureName().isEmpty() ? DEFAULT_SIGNATURE : spec.getSignatureName();
    byte[] body = PredictBodies.predictRequest(spec.getSignatureName(), req.getInputsMap(), format);
    return outputTypes(spec, signature, deadline)
        .thenCompose(
            types -> {
              HttpRequest request = post(path(spec, ":predict"), body, deadline);
              return sendRaw(request)
                    .thenApply(
                        resp -> {
                          List<String> filter = req.getOutputFilterList();
                          String unnamed = filter.size() == 1 ? filter.get(0) : "output";
                          Map<String, TensorProto> outs = null;
                          // Numeric outputs are streamed into packed tensors; anything else (and
                          // every error) is read through the JSON tree.
                          if (resp.statusCode() == 200 && resp.body().length <= maxInbound) {
                            StreamedPredictBody fast = StreamedPredictBody.readResponse(resp.body());
                            outs = fast == null ? null : fast.toOutputs(types, unnamed);
                          }
                          try {
                            if (outs == null) {
                              outs = PredictBodies.readPredictResponse(decode(request, resp), types, unnamed);
                            }
                          } catch (IllegalArgumentException e) {
                            throw Status.INTERNAL
                                .withDescription("unreadable predict response: " + e.getMessage())
                                .asRuntimeException();
                          }
                          PredictResponse.Builder r = PredictResponse.newBuilder().setModelSpec(spec);
                          // TF Serving's REST API has no output filter: filter here.
                          outs.forEach(
                              (k, v) -> {
                                if (filter.isEmpty() || filter.contains(k)) r.putOutputs(k, v);
                              });
                          return r.build();
                        });
            });
  }

  private CompletableFuture<ClassificationResponse> classify(
      ClassificationRequest req, Deadline deadline) {
    byte[] body = ExampleJson.examplesBody(req.getModelSpec().getSignatureName(), req.getInput());
    return send(post(path(req.getModelSpec(), ":classify"), body, deadline))
        .thenApply(
            json -> {
              ClassificationResult.Builder result = ClassificationResult.newBuilder();
              for (JsonNode example : results(json)) {
                Classifications.Builder c = Classifications.newBuilder();
                for (JsonNode pair : example) {
                  c.addClassesBuilder()
                      .setLabel(pair.path(0).asText())
                      .setScore((float) pair.path(1).asDouble());
                }
                result.addClassifications(c);
              }
              return ClassificationResponse.newBuilder()
                  .setModelSpec(req.getModelSpec())
                  .setResult(result)
                  .build();
            });
  }

  private CompletableFuture<RegressionResponse> regress(RegressionRequest req, Deadline deadline) {
    byte[] body = ExampleJson.examplesBody(req.getModelSpec().getSignatureName(), req.getInput());
    return send(post(path(req.getModelSpec(), ":regress"), body, deadline))
        .thenApply(
            json -> {
              RegressionResult.Builder result = RegressionResult.newBuilder();
              for (JsonNode v : results(json)) {
                result.addRegressionsBuilder().setValue((float) v.asDouble());
              }
              return RegressionResponse.newBuilder()
                  .setModelSpec(req.getModelSpec())
                  .setResult(result)
                  .build();
            });
  }

  private CompletableFuture<GetModelMetadataResponse> metadata(
      GetModelMetadataRequest req, Deadline deadline) {
    return send(get(path(req.getModelSpec(), "/metadata"), deadline))
        .thenApply(json -> metadataResponse(json, req.getModelSpec()));
  }

  private CompletableFuture<GetModelStatusResponse> status(
      GetModelStatusRequest req, Deadline deadline) {
    return send(get(path(req.getModelSpec(), ""), deadline))
        .thenApply(
            json -> {
              GetModelStatusResponse.Builder b = GetModelStatusResponse.newBuilder();
              merge(json, b, "model status");
              return b.build();
            });
  }

  /** The output dtypes of a signature, from the (cached) metadata; empty when it cannot be had. */
  private CompletableFuture<Map<String, DataType>> outputTypes(
      ModelSpec spec, String signature, Deadline deadline) {
    String key = spec.getName() + "|" + spec.getVersion().getValue() + "|" + spec.getVersionLabel()
        + "|" + signature;
    Map<String, DataType> cached = outputTypes.get(key);
    if (cached != null) return CompletableFuture.completedFuture(cached);
    return send(get(path(spec, "/metadata"), deadline))
        .handle(
            (json, err) -> {
              if (err != null) return Map.<String, DataType>of(); // infer from the JSON instead
              SignatureDefMap sigs = signatureDefs(metadataResponse(json, spec));
              SignatureDef def = sigs.getSignatureDefMap().get(signature);
              if (def == null) return Map.<String, DataType>of();
              Map<String, DataType> types = new LinkedHashMap<>();
              for (Map.Entry<String, TensorInfo> e : def.getOutputsMap().entrySet()) {
                types.put(e.getKey(), e.getValue().getDtype());
              }
              outputTypes.put(key, types);
              return types;
            });
  }

  // ------------------------------------------------------------------------------------------
  // JSON bodies
  // ------------------------------------------------------------------------------------------

  /** The {@code results} list of a classify/regress body (the docs once said {@code result}). */
  private static JsonNode results(JsonNode json) {
    JsonNode r = json.has("results") ? json.get("results") : json.get("result");
    if (r == null || !r.isArray()) {
      throw Status.INTERNAL
          .withDescription("response has no 'results' list: " + abbreviate(json))
          .asRuntimeException();
    }
    return r;
  }

  private static GetModelMetadataResponse metadataResponse(JsonNode json, ModelSpec asked) {
    GetModelMetadataResponse.Builder b = GetModelMetadataResponse.newBuilder();
    if (json.has("model_spec")) {
      ModelSpec.Builder spec = ModelSpec.newBuilder();
      merge(json.get("model_spec"), spec, "model_spec");
      b.setModelSpec(spec);
    } else {
      b.setModelSpec(asked);
    }
    JsonNode defs = json.path("metadata").path("signature_def");
    if (!defs.isMissingNode()) {
      SignatureDefMap.Builder map = SignatureDefMap.newBuilder();
      merge(defs, map, "signature_def");
      b.putMetadata("signature_def", Any.pack(map.build()));
    }
    return b.build();
  }

  static SignatureDefMap signatureDefs(GetModelMetadataResponse r) {
    Any any = r.getMetadataMap().get("signature_def");
    if (any == null) return SignatureDefMap.getDefaultInstance();
    try {
      return any.unpack(SignatureDefMap.class);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("metadata 'signature_def' is not a SignatureDefMap: " + e.getMessage())
          .asRuntimeException();
    }
  }

  private static void merge(JsonNode json, Message.Builder b, String what) {
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(json.toString(), b);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL
          .withDescription("unreadable " + what + " JSON: " + e.getMessage())
          .asRuntimeException();
    }
  }

  // ------------------------------------------------------------------------------------------
  // HTTP
  // ------------------------------------------------------------------------------------------

  private String path(ModelSpec spec, String suffix) {
    StringBuilder p = new StringBuilder("/v1/models/").append(segment(spec.getName()));
    if (spec.hasVersion()) p.append("/versions/").append(spec.getVersion().getValue());
    else if (!spec.getVersionLabel().isEmpty()) {
      p.append("/labels/").append(segment(spec.getVersionLabel()));
    }
    return p.append(suffix).toString();
  }

  /** Percent-encodes a path segment (URLEncoder is for forms: it writes spaces as '+'). */
  private static String segment(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(String.format("%02X", c));
      }
    }
    return sb.toString();
  }

  private HttpRequest.Builder request(String path, Deadline deadline) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
    if (deadline != null) {
      long nanos = deadline.timeRemaining(TimeUnit.NANOSECONDS);
      if (nanos <= 0) {
        throw Status.DEADLINE_EXCEEDED
            .withDescription("deadline passed before the request was sent")
            .asRuntimeException();
      }
      b.timeout(Duration.ofNanos(nanos));
    }
    return b;
  }

  private HttpRequest get(String path, Deadline deadline) {
    return request(path, deadline).GET().build();
  }

  private HttpRequest post(String path, byte[] body, Deadline deadline) {
    return request(path, deadline)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  /** Sends a request; a 200 gives the parsed body, anything else a StatusRuntimeException. */
  private CompletableFuture<JsonNode> send(HttpRequest request) {
    return sendRaw(request).thenApply(resp -> decode(request, resp));
  }

  /** The response as it came, or the transport failure as a gRPC status. */
  private CompletableFuture<HttpResponse<byte[]>> sendRaw(HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .handle(
            (resp, err) -> {
              if (err != null) throw asStatus(err);
              return resp;
            });
  }

  private JsonNode decode(HttpRequest request, HttpResponse<byte[]> resp) {
    byte[] body = resp.body();
    if (body.length > maxInbound) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "response of " + body.length + " bytes exceeds maxInboundMessageSize " + maxInbound)
          .asRuntimeException();
    }
    JsonNode json = null;
    String parseError = null;
    try {
      json = TensorJson.parse(body);
    } catch (IllegalArgumentException e) {
      parseError = e.getMessage();
    }
    if (resp.statusCode() == 200 && json != null && json.isObject()) return json;
    String message;
    if (json != null && json.has(TensorJson.ERROR)) {
      message = json.get(TensorJson.ERROR).asText();
    } else if (resp.statusCode() == 200) {
      message = "unreadable response body (" + (parseError == null ? "not an object" : parseError) + ")";
    } else {
      String text = new String(body, StandardCharsets.UTF_8);
      message = "HTTP " + resp.statusCode() + " from " + request.method() + " " + request.uri().getPath()
          + (text.isBlank() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
    }
    throw status(resp.statusCode()).withDescription(message).asRuntimeException();
  }

  /** The gRPC code TF Serving's REST server maps to this HTTP status. */
  static Status status(int http) {
    switch (http) {
      case 200:
        return Status.INTERNAL; // a 200 that is not a JSON object
      case 400:
        return Status.INVALID_ARGUMENT;
      case 401:
        return Status.UNAUTHENTICATED;
      case 403:
        return Status.PERMISSION_DENIED;
      case 404:
        return Status.NOT_FOUND;
      case 408:
      case 504:
        return Status.DEADLINE_EXCEEDED;
      case 409:
        return Status.ABORTED;
      case 413:
      case 429:
        return Status.RESOURCE_EXHAUSTED;
      case 499:
        return Status.CANCELLED;
      case 501:
        return Status.UNIMPLEMENTED;
      case 502:
      case 503:
        return Status.UNAVAILABLE;
      default:
        return http >= 500 ? Status.INTERNAL : Status.UNKNOWN;
    }
  }

  /** Any failure of an exchange as a StatusRuntimeException. */
  static StatusRuntimeException asStatus(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException s) return s;
    if (t instanceof HttpConnectTimeoutException) {
      return Status.UNAVAILABLE.withDescription("connect timed out").withCause(t).asRuntimeException();
    }
    if (t instanceof HttpTimeoutException) {
      return Status.DEADLINE_EXCEEDED.withDescription("request timed out").withCause(t)
          .asRuntimeException();
    }
    if (t instanceof ConnectException) {
      return Status.UNAVAILABLE.withDescription("connection refused").withCause(t).asRuntimeException();
    }
    if (t instanceof IOException) {
      return Status.UNAVAILABLE.withDescription("connection failed: " + t).withCause(t)
          .asRuntimeException();
    }
    return Status.INTERNAL.withDescription(String.valueOf(t)).withCause(t).asRuntimeException();
  }

  private static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
