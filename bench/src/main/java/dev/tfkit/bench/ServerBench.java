package dev.tfkit.bench;

import dev.tfkit.cli.ConsoleLogging;
import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.lifecycle.ServableRequest;
import dev.tfkit.server.tensorflow.SavedModelServable;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * Throughput and latency percentiles of the embedded server for half_plus_two, with 1 and 16
 * concurrent clients, over gRPC and REST, beside two baselines measured in the same run: the
 * in-process call of the loaded SavedModel (the model's own cost, no transport) and a gRPC echo of
 * the same request bytes (the transport's floor).
 *
 * <p>A load-generator harness rather than JMH: what matters here is many clients at once, and
 * JMH's per-call modes do not report throughput and percentiles together. Each scenario warms up,
 * then every client calls in a loop for a fixed time, recording each call's latency. Run with
 * {@code bench/run dev.tfkit.bench.ServerBench [seconds]}; results in docs/bench-server.md.
 */
public final class ServerBench {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      RawBytesCalls.MARSHALLER;

  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Echo/Echo")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  /** One measured scenario. */
  record Result(String name, int clients, long calls, double seconds, long p50Nanos, long p99Nanos) {
    double throughput() {
      return calls / seconds;
    }
  }

  private ServerBench() {}

  public static void main(String[] args) throws Exception {
    ConsoleLogging.install();
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    Logger.getLogger("dev.tfkit.server").setLevel(Level.WARNING);
    TensorProto x =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(3))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addFloatVal(1f)
            .addFloatVal(2f)
            .addFloatVal(5f)
            .build();
    PredictRequest request =
        PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two"))
            .putInputs("x", x)
            .build();
    byte[] requestBytes = request.toByteArray();
    String restBody = "{\"instances\": [[1.0], [2.0], [5.0]]}";

    Server echo =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerServiceDefinition.builder("bench.Echo")
                    .addMethod(
                        ECHO,
                        ServerCalls.asyncUnaryCall(
                            (req, out) -> {
                              out.onNext(req);
                              out.onCompleted();
                            }))
                    .build())
            .build()
            .start();
    List<Result> results = new ArrayList<>();
    try (EmbeddedServer server =
            EmbeddedServer.builder()
                .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                .grpcPort(0)
                .restPort(0)
                .fileSystemPollWait(Duration.ZERO)
                .restTimeout(Duration.ofMillis(Long.getLong("bench.restTimeoutMs", 30000)))
                .start();
        EmbeddedServer workersOnly =
            EmbeddedServer.builder()
                .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
                .grpcPort(0)
                .noRest()
                .fileSystemPollWait(Duration.ZERO)
                .inlineRunThreshold(Duration.ZERO)
                .start();
        SavedModelServable inProcess =
            SavedModelServable.load(Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123"))) {
      ManagedChannel echoChannel =
          NettyChannelBuilder.forAddress("127.0.0.1", echo.getPort()).usePlaintext().build();
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(server.grpcTarget()).usePlaintext().build();
      var stub = PredictionServiceGrpc.newBlockingStub(channel);
      ManagedChannel workersChannel =
          NettyChannelBuilder.forTarget(workersOnly.grpcTarget()).usePlaintext().build();
      var workersStub = PredictionServiceGrpc.newBlockingStub(workersChannel);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest post =
          HttpRequest.newBuilder(URI.create(server.restUrl() + "/v1/models/half_plus_two:predict"))
              .POST(HttpRequest.BodyPublishers.ofString(restBody))
              .build();
      Map<String, Callable<Object>> scenarios = new LinkedHashMap<>();
      scenarios.put(
          "in-process SavedModel call",
          () -> inProcess.predict("", request.getInputsMap(), List.of()));
      scenarios.put(
          "gRPC echo (same bytes)",
          () -> ClientCalls.blockingUnaryCall(echoChannel, ECHO, CallOptions.DEFAULT, requestBytes));
      scenarios.put("gRPC Predict", () -> stub.predict(request));
      // Contrast: every request handed to a worker thread (grpc-java's usual placement).
      scenarios.put("gRPC Predict, no inline runs", () -> workersStub.predict(request));
      // REST through a minimal keep-alive HTTP/1.1 client (one connection per client thread, as
      // wrk does), and through the JDK's HttpClient for contrast.
      URI rest = URI.create(server.restUrl());
      byte[] restRequest = KeepAliveHttpClient.post("/v1/models/half_plus_two:predict", restBody);
      List<KeepAliveHttpClient> connections = Collections.synchronizedList(new ArrayList<>());
      ThreadLocal<KeepAliveHttpClient> connection =
          ThreadLocal.withInitial(
              () -> {
                try {
                  KeepAliveHttpClient c = new KeepAliveHttpClient(rest);
                  connections.add(c);
                  return c;
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      scenarios.put(
          "REST predict",
          () -> {
            KeepAliveHttpClient.Response r = connection.get().send(restRequest);
            if (r.status() != 200) {
              throw new IllegalStateException(new String(r.body(), StandardCharsets.UTF_8));
            }
            return r;
          });
      scenarios.put(
          "REST predict, JDK HttpClient",
          () -> {
            HttpResponse<String> r = http.send(post, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              throw new IllegalStateException(r.body());
            }
            return r;
          });
      var servedStats =
          server.models().peek(ServableRequest.latest("half_plus_two")).orElseThrow().runStats("");
      for (int clients : new int[] {1, 16}) {
        for (Map.Entry<String, Callable<Object>> s : scenarios.entrySet()) {
          measure(s.getKey(), clients, s.getValue(), Math.min(2, seconds / 2));
          long inlineBefore = servedStats.inlineRuns();
          Result r = measure(s.getKey(), clients, s.getValue(), seconds);
          long inline = servedStats.inlineRuns() - inlineBefore;
          results.add(r);
          System.err.printf(Locale.ROOT, "%-28s %2d clients: %9.0f calls/s%s%n", r.name(), clients, r.throughput(),
              s.getKey().equals("gRPC Predict")
                  ? String.format(Locale.ROOT, " (%.0f %% of them run inline)", 100.0 * inline / r.calls())
                  : "");
        }
      }
      echoChannel.shutdownNow();
      channel.shutdownNow();
      workersChannel.shutdownNow();
      for (KeepAliveHttpClient c : connections) {
        c.close();
      }
    } finally {
      echo.shutdownNow();
    }
    System.out.println(table(results));
  }

  static Result measure(String name, int clients, Callable<Object> call, double seconds)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch start = new CountDownLatch(1);
      List<Future<long[]>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        futures.add(
            pool.submit(
                () -> {
                  long[] lat = new long[1 << 16];
                  int n = 0;
                  start.await();
                  while (!stop.get()) {
                    long t0 = System.nanoTime();
                    call.call();
                    long dt = System.nanoTime() - t0;
                    if (n == lat.length) {
                      lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = dt;
                  }
                  return Arrays.copyOf(lat, n);
                }));
      }
      long t0 = System.nanoTime();
      start.countDown();
      Thread.sleep((long) (seconds * 1000));
      stop.set(true);
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : futures) {
        all.add(f.get(60, TimeUnit.SECONDS));
      }
      double elapsed = (System.nanoTime() - t0) / 1e9;
      long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      return new Result(
          name,
          clients,
          merged.length,
          elapsed,
          merged[(int) (merged.length * 0.50)],
          merged[Math.min(merged.length - 1, (int) (merged.length * 0.99))]);
    } finally {
      pool.shutdownNow();
    }
  }

  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| scenario | clients | calls/s | p50 µs | p99 µs | throughput / echo |\n");
    sb.append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (Result r : results) {
      Result echo = find(results, "gRPC echo (same bytes)", r.clients());
      sb.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.0f | %.0f | %.0f | %.2f |%n",
              r.name(),
              r.clients(),
              r.throughput(),
              r.p50Nanos() / 1e3,
              r.p99Nanos() / 1e3,
              r.throughput() / echo.throughput()));
    }
    sb.append('\n');
    for (int clients : new int[] {1, 16}) {
      Result in = find(results, "in-process SavedModel call", clients);
      Result echo = find(results, "gRPC echo (same bytes)", clients);
      for (String t : List.of("gRPC Predict", "REST predict")) {
        Result r = find(results, t, clients);
        double bound = in.p50Nanos() + 2.0 * echo.p50Nanos();
        sb.append(
            String.format(
                Locale.ROOT,
                "%s, %d client(s): throughput %.0f%% of echo (target >= 50%%); p50 %.0f µs vs in-process + 2x echo = %.0f µs (%s)%n",
                t,
                clients,
                100 * r.throughput() / echo.throughput(),
                r.p50Nanos() / 1e3,
                bound / 1e3,
                r.p50Nanos() <= bound ? "within target" : "over target"));
      }
    }
    return sb.toString();
  }

  private static Result find(List<Result> results, String name, int clients) {
    return results.stream()
        .filter(r -> r.name().equals(name) && r.clients() == clients)
        .findFirst()
        .orElseThrow();
  }
}
