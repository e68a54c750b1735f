package dev.tfkit.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tfkit.serving.Prediction;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.rest.PredictBodies;
import dev.tfkit.tensor.TensorValue;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * What the REST client costs per predict call, beside the HTTP floor measured in the same run: the
 * same JSON request bytes POSTed with {@code java.net.http} to an echo handler on the same JDK
 * HTTP server (loopback). The server's predict handler answers precomputed JSON, so {@code
 * restModelRun − httpEchoFloor} is the client's JSON writing and reading. See
 * docs/bench-client.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RestClientBench {
  /** Three floats and one 224×224 RGB float image. */
  @Param({"3", "1x224x224x3"})
  public String shape;

  private long[] dims;
  private float[] values;
  private byte[] requestJson;
  private HttpServer server;
  private ExecutorService pool;
  private HttpClient http;
  private URI echo;
  private ServingModel model;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    String[] parts = shape.split("x");
    dims = new long[parts.length];
    int n = 1;
    for (int i = 0; i < parts.length; i++) {
      dims[i] = Long.parseLong(parts[i]);
      n *= (int) dims[i];
    }
    values = new float[n];
    Random r = new Random(42);
    for (int i = 0; i < n; i++) values[i] = r.nextFloat();
    TensorValue x = TensorValue.fromFlat(values, dims);
    requestJson = PredictBodies.predictRequestFromValues(null, Map.of("x", x), RestFormat.COLUMNAR);
    byte[] responseJson = PredictBodies.predictResponseFromValues(Map.of("y", x), RestFormat.COLUMNAR);
    byte[] metadata = ("{\"model_spec\": {\"name\": \"m\", \"version\": \"1\"}, \"metadata\":"
        + " {\"signature_def\": {\"signature_def\": {\"serving_default\": {\"outputs\":"
        + " {\"y\": {\"dtype\": \"DT_FLOAT\", \"name\": \"y:0\"}}}}}}}")
        .getBytes(StandardCharsets.UTF_8);
    // As the embedded server's REST gateway does: without TCP_NODELAY the JDK HTTP server's
    // responses wait ~40 ms for delayed ACKs (must be set before the server classes load).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    pool = Executors.newFixedThreadPool(2);
    server.setExecutor(pool);
    server.createContext("/", ex -> {
      byte[] in = ex.getRequestBody().readAllBytes();
      String path = ex.getRequestURI().getPath();
      reply(ex, path.endsWith(":predict") ? responseJson
          : path.endsWith("/metadata") ? metadata : in);
    });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    echo = URI.create(base + "/echo");
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    model = ServingModel.rest(base, "m");
  }

  private static void reply(HttpExchange ex, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
    server.stop(0);
    pool.shutdownNow();
  }

  /** The HTTP floor: the same JSON request bytes to an echo handler and back. */
  @Benchmark
  public byte[] httpEchoFloor() throws Exception {
    return http.send(HttpRequest.newBuilder(echo)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(requestJson)).build(),
        HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  /** The whole REST client: Java floats in, JSON both ways, Java floats out. */
  @Benchmark
  public float[] restModelRun() {
    Prediction p = model.run(Map.of("x", TensorValue.fromFlat(values, dims)));
    return p.output("y").floats();
  }

  /** Runs with short settings and prints medians and the ratio to the HTTP floor. */
  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    Options opts =
        new OptionsBuilder()
            .parent(cli)
            .include(RestClientBench.class.getName() + "\\.")
            .forks(cli.getForkCount().orElse(1))
            .warmupIterations(cli.getWarmupIterations().orElse(3))
            .warmupTime(cli.getWarmupTime().orElse(TimeValue.seconds(1)))
            .measurementIterations(cli.getMeasurementIterations().orElse(5))
            .measurementTime(cli.getMeasurementTime().orElse(TimeValue.seconds(1)))
            .jvmArgsAppend("-Xmx1g")
            .build();
    Collection<RunResult> results = new Runner(opts).run();
    Map<String, Map<String, Double>> byShape = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      byShape.computeIfAbsent(r.getParams().getParam("shape"), k -> new LinkedHashMap<>())
          .put(name, r.getPrimaryResult().getStatistics().getPercentile(50));
    }
    StringBuilder out = new StringBuilder("\n| shape | benchmark | median µs | × HTTP echo floor |\n");
    out.append("|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, Double>> e : byShape.entrySet()) {
      Double floor = e.getValue().get("httpEchoFloor");
      for (Map.Entry<String, Double> b : e.getValue().entrySet()) {
        out.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.2f |%n", e.getKey(), b.getKey(),
            b.getValue(), floor == null ? Double.NaN : b.getValue() / floor));
      }
    }
    System.out.println(out);
  }
}
