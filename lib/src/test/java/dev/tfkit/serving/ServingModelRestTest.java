package dev.tfkit.serving;

import dev.tfkit.rest.PredictBodies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tfkit.io.Ports;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.rest.TensorJson;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/** The REST client's logic against a tiny JDK HTTP server that answers like TF Serving. */
class ServingModelRestTest {
  /** A canned exchange: status and body, or a handler that computes them. */
  interface Handler {
    Reply handle(String method, String path, String body) throws Exception;
  }

  record Reply(int status, String body) {}

  record Seen(String method, String path, String body) {}

  private HttpServer server;
  private ExecutorService pool;
  private String target;
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);

  private static final String METADATA =
      "{\"model_spec\": {\"name\": \"half\", \"signature_name\": \"\", \"version\": \"123\"},"
          + " \"metadata\": {\"signature_def\": {\"signature_def\": {\"serving_default\": {"
          + " \"inputs\": {\"x\": {\"dtype\": \"DT_FLOAT\", \"tensor_shape\": {\"dim\": ["
          + "{\"size\": \"-1\", \"name\": \"\"}, {\"size\": \"1\", \"name\": \"\"}],"
          + " \"unknown_rank\": false}, \"name\": \"x:0\"}},"
          + " \"outputs\": {\"y\": {\"dtype\": \"DT_DOUBLE\", \"tensor_shape\": {\"dim\": ["
          + "{\"size\": \"-1\", \"name\": \"\"}, {\"size\": \"1\", \"name\": \"\"}],"
          + " \"unknown_rank\": false}, \"name\": \"y:0\"}},"
          + " \"method_name\": \"tensorflow/serving/predict\"}}}}}";

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    pool = Executors.newCachedThreadPool();
    server.setExecutor(pool);
    server.createContext("/", this::serve);
    server.start();
    target = "127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
    pool.shutdownNow();
  }

  private void serve(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String path = ex.getRequestURI().getRawPath();
    seen.add(new Seen(ex.getRequestMethod(), path, body));
    Reply r;
    Handler h = routes.get(ex.getRequestMethod() + " " + path);
    try {
      r = h == null ? new Reply(404, "{\"error\": \"no route " + path + "\"}")
          : h.handle(ex.getRequestMethod(), path, body);
    } catch (Exception e) {
      r = new Reply(500, "{\"error\": \"" + e + "\"}");
    }
    byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(r.status(), out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  private long count(String method, String path) {
    return seen.stream().filter(s -> s.method().equals(method) && s.path().equals(path)).count();
  }

  private void halfPlusTwo(String path) {
    routes.put("POST " + path, (m, p, body) -> {
      // read like TF Serving: input types from the signature
      var req = PredictBodies.readPredictRequest(TensorJson.parse(body),
          sig -> Map.of("x", DataType.DT_FLOAT));
      var x = req.inputs().get("x").getFloatValList();
      StringBuilder rows = new StringBuilder();
      for (int i = 0; i < x.size(); i++) {
        rows.append(i == 0 ? "" : ", ").append("[").append(x.get(i) * 0.5 + 2).append("]");
      }
      String key = req.format() == RestFormat.ROW ? "predictions" : "outputs";
      return new Reply(200, "{\"" + key + "\": [" + rows + "]}");
    });
  }

  @Test
  void predictUsesTheVersionPathAndTheSignaturesDtypes() {
    routes.put("GET /v1/models/half/versions/123/metadata", (m, p, b) -> new Reply(200, METADATA));
    halfPlusTwo("/v1/models/half/versions/123:predict");
    ServingModel m = ServingModel.rest(target, "half").version(123);
    Prediction p = m.run(Map.of("x", new float[][] {{2f}, {4f}}));
    // DT_DOUBLE comes only from the metadata: the JSON says nothing of types
    assertThat(p.output("y").dtype()).isEqualTo(DataType.DT_DOUBLE);
    assertThat(p.output("y").doubles()).containsExactly(3.0, 4.0);
    assertThat(p.output("y").shape()).containsExactly(2, 1);
    assertThat(p.version()).hasValue(123);
    assertThat(TensorJson.parse(seen.get(seen.size() - 1).body()))
        .isEqualTo(TensorJson.parse("{\"inputs\": {\"x\": [[2.0], [4.0]]}}"));
    m.run(Map.of("x", new float[][] {{6f}}));
    assertThat(count("GET", "/v1/models/half/versions/123/metadata")).isEqualTo(1); // cached
  }

  @Test
  void rowFormatAndVersionLabels() {
    routes.put("GET /v1/models/half/labels/stable/metadata", (m, p, b) -> new Reply(200, METADATA));
    halfPlusTwo("/v1/models/half/labels/stable:predict");
    Prediction p = ServingModel.rest(target, "half").versionLabel("stable")
        .restFormat(RestFormat.ROW).signature("serving_default")
        .run(Map.of("x", new float[][] {{2f}, {4f}}));
    assertThat(p.output("y").doubles()).containsExactly(3.0, 4.0);
    JsonNode sent = TensorJson.parse(seen.get(seen.size() - 1).body());
    assertThat(sent).isEqualTo(TensorJson.parse("{\"signature_name\": \"serving_default\","
        + " \"instances\": [{\"x\": [2.0]}, {\"x\": [4.0]}]}"));
  }

  @Test
  void withoutMetadataTheDtypeIsInferredAndTheFilterNamesTheOutput() {
    halfPlusTwo("/v1/models/half:predict");
    Prediction p = ServingModel.rest(target, "half").outputs("y")
        .run(Map.of("x", new float[][] {{2f}}));
    assertThat(p.output("y").dtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(p.output("y").floats()).containsExactly(3f);
  }

  @Test
  void httpErrorsBecomeNamedServingExceptions() {
    routes.put("POST /v1/models/half/versions/9:predict", (m, p, b) -> new Reply(404,
        "{ \"error\": \"Servable not found for request: Specific(half, 9)\" }"));
    ServingException nf = catchThrowableOfType(ServingException.class,
        () -> ServingModel.rest(target, "half").version(9).run(Map.of("x", 1f)));
    assertThat(nf.code()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(nf).hasMessageContaining("model 'half' version 9 not found at http://" + target)
        .hasMessageContaining("Specific(half, 9)");

    routes.put("POST /v1/models/half:predict", (m, p, b) -> new Reply(400,
        "{\"error\": \"Missing named input: x in 'inputs' object.\"}"));
    ServingException bad = catchThrowableOfType(ServingException.class,
        () -> ServingModel.rest(target, "half").run(Map.of("X", 1f)));
    assertThat(bad.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bad.serverMessage()).isEqualTo("Missing named input: x in 'inputs' object.");
    assertThat(count("POST", "/v1/models/half:predict")).isEqualTo(1);
  }

  @Test
  void unavailableIsRetried() {
    AtomicInteger left = new AtomicInteger(2);
    routes.put("POST /v1/models/half:predict", (m, p, b) -> left.getAndDecrement() > 0
        ? new Reply(503, "{\"error\": \"warming up\"}")
        : new Reply(200, "{\"outputs\": {\"y\": [1.0], \"z\": [2]}}"));
    Prediction p = ServingModel.rest(target, "half")
        .retry(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), 2))
        .run(Map.of("x", 1f));
    assertThat(p.output("y").floats()).containsExactly(1f);
    assertThat(p.output("z").longs()).containsExactly(2L);
    assertThat(count("POST", "/v1/models/half:predict")).isEqualTo(3);
  }

  @Test
  void deadlineExceededNamesTheDeadline() {
    routes.put("POST /v1/models/half:predict", (m, p, b) -> {
      release.await(30, TimeUnit.SECONDS);
      return new Reply(200, "{\"outputs\": [1.0]}");
    });
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> ServingModel.rest(target, "half").deadline(Duration.ofMillis(300))
            .run(Map.of("x", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(e).hasMessageContaining("300 ms").hasMessageContaining("'half'");
  }

  @Test
  void refusedConnectionIsUnavailableNamingTheTarget() throws IOException {
    int port = Ports.freeLoopbackPort();
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> ServingModel.rest("127.0.0.1:" + port, "half").retry(RetryPolicy.none())
            .run(Map.of("x", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e).hasMessageContaining("server at http://127.0.0.1:" + port + " is unavailable");
  }

  @Test
  void statusMetadataClassifyAndRegress() {
    routes.put("GET /v1/models/half", (m, p, b) -> new Reply(200,
        "{\"model_version_status\": [{\"version\": \"123\", \"state\": \"AVAILABLE\","
            + " \"status\": {\"error_code\": \"OK\", \"error_message\": \"\"}}]}"));
    assertThat(ServingModel.rest(target, "half").status())
        .containsExactly(new VersionStatus(123, "AVAILABLE", "OK", ""));

    routes.put("GET /v1/models/half/metadata", (m, p, b) -> new Reply(200, METADATA));
    ModelMetadata md = ServingModel.rest(target, "half").metadata();
    assertThat(md.modelSpec().getVersion().getValue()).isEqualTo(123);
    assertThat(md.outputTypes("serving_default")).containsExactly(Map.entry("y", DataType.DT_DOUBLE));

    routes.put("POST /v1/models/half:classify", (m, p, b) -> new Reply(200,
        "{\"results\": [[[\"cat\", 0.75], [\"dog\", 0.25]]]}"));
    Classifications c = ServingModel.rest(target, "half").signature("cls")
        .classify(List.of(Map.of("word", "kitten", "n", 3L, "w", 0.5f)));
    assertThat(c.classes().get(0)).containsExactly(new ClassScore("cat", 0.75f),
        new ClassScore("dog", 0.25f));
    assertThat(TensorJson.parse(seen.get(seen.size() - 1).body())).isEqualTo(TensorJson.parse(
        "{\"signature_name\": \"cls\", \"examples\": [{\"word\": [\"kitten\"], \"n\": [3],"
            + " \"w\": [0.5]}]}"));

    routes.put("POST /v1/models/half:regress", (m, p, b) -> new Reply(200,
        "{\"results\": [3.5, 4.0]}"));
    Regressions r = ServingModel.rest(target, "half").regress(Map.of("c", "ctx"),
        List.of(Map.of("x", 1.0), Map.of("x", 2.0)));
    assertThat(r.values()).containsExactly(3.5f, 4.0f);
    assertThat(TensorJson.parse(seen.get(seen.size() - 1).body())).isEqualTo(TensorJson.parse(
        "{\"context\": {\"c\": [\"ctx\"]}, \"examples\": [{\"x\": [1.0]}, {\"x\": [2.0]}]}"));
  }

  @Test
  void grpcOnlyCallsSayToUseGrpc() {
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> ServingModel.rest(target, "half").reloadConfig(ModelServerConfig.getDefaultInstance()));
    assertThat(e.code()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(e).hasMessageContaining("ServingModel.grpc");
    assertThat(seen).isEmpty();
  }
}
