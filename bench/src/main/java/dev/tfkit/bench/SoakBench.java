package dev.tfkit.bench;

import com.google.protobuf.ByteString;
import dev.tfkit.cli.ConsoleLogging;
import dev.tfkit.io.Ports;
import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * A soak run of the embedded server under hostile traffic: {@code tfkit serve} in its own process
 * (so its RSS is the server's alone), 16 clients sending valid and malformed requests mixed, over
 * gRPC and REST, for a fixed time; each interval prints the server's RSS and the latency
 * percentiles of the valid requests, and the run ends with whether the server is still alive.
 * Not a test: run {@code bench/run dev.tfkit.bench.SoakBench [minutes] [seconds-per-row]}
 * (default 10 and 60); results in docs/bench-server.md.
 */
public final class SoakBench {
  private static final int CLIENTS = 16;
  private static final MethodDescriptor<byte[], byte[]> PREDICT =
      RawBytesCalls.unary(PredictionServiceGrpc.getPredictMethod().getFullMethodName());

  private SoakBench() {}

  /** Latencies of valid requests in one interval, in microseconds. */
  private static final class Window {
    final long[] micros = new long[1 << 22];
    final AtomicLong n = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong failedValid = new AtomicLong();

    void record(long us) {
      long i = n.getAndIncrement();
      if (i < micros.length) micros[(int) i] = us;
    }
  }

  public static void main(String[] args) throws Exception {
    ConsoleLogging.install();
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int rowSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int[] ports = Ports.freeLoopbackPorts(2);
    Path model = Fixtures.tfServing("saved_model_half_plus_two_cpu");
    Path log = Files.createTempFile("tfkit-soak-server", ".log");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-cp", System.getProperty("java.class.path"), "dev.tfkit.cli.TfkitCli", "serve",
        "--port=" + ports[0], "--rest_api_port=" + ports[1], "--model_name=half_plus_two",
        "--model_base_path=" + model));
    Process server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String grpcTarget = "127.0.0.1:" + ports[0];
    String restUrl = "http://127.0.0.1:" + ports[1] + "/v1/models/half_plus_two:predict";
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    waitUntilServing(http, restUrl, server, log);

    ManagedChannel channel = NettyChannelBuilder.forTarget(grpcTarget).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    byte[] valid = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two"))
        .putInputs("x", TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(3)))
            .addFloatVal(1f).addFloatVal(2f).addFloatVal(3f).build())
        .build().toByteArray();
    List<byte[]> badGrpc = malformedGrpc(valid);
    List<String> badRest = malformedRest();

    AtomicBoolean stop = new AtomicBoolean();
    Window[] current = {new Window()};
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    for (int c = 0; c < CLIENTS; c++) {
      final int client = c;
      pool.submit(() -> {
        Random rnd = new Random(client);
        while (!stop.get()) {
          Window w = current[0];
          boolean rest = client % 2 == 1;
          boolean hostile = rnd.nextInt(2) == 0; // half the traffic is malformed
          long t0 = System.nanoTime();
          try {
            if (rest) {
              String body = hostile ? badRest.get(rnd.nextInt(badRest.size())) : "{\"instances\": [1.0, 2.0, 3.0]}";
              HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl))
                  .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                  HttpResponse.BodyHandlers.ofString());
              count(w, hostile, r.statusCode() == 200, t0);
            } else {
              byte[] body = hostile ? badGrpc.get(rnd.nextInt(badGrpc.size())) : valid;
              try {
                ClientCalls.blockingUnaryCall(channel, PREDICT,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), body);
                count(w, hostile, true, t0);
              } catch (StatusRuntimeException e) {
                count(w, hostile, false, t0);
              }
            }
          } catch (IOException e) {
            count(w, hostile, false, t0);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    System.out.printf(Locale.ROOT, "%-6s %9s %9s %8s %8s %8s %8s %8s %s%n",
        "t(s)", "valid/s", "refused/s", "failed", "p50 µs", "p99 µs", "p99.9", "RSS MB", "server");
    long end = System.nanoTime() + (long) (minutes * 60e9);
    int row = 0;
    while (System.nanoTime() < end && server.isAlive()) {
      Thread.sleep(rowSeconds * 1000L);
      Window w = current[0];
      current[0] = new Window();
      row++;
      long n = Math.min(w.n.get(), w.micros.length);
      long[] l = Arrays.copyOf(w.micros, (int) n);
      Arrays.sort(l);
      System.out.printf(Locale.ROOT, "%-6d %9.0f %9.0f %8d %8d %8d %8d %8d %s%n",
          row * rowSeconds, w.ok.get() / (double) rowSeconds, w.refused.get() / (double) rowSeconds,
          w.failedValid.get(), pct(l, 0.50), pct(l, 0.99), pct(l, 0.999), rssMb(server.pid()),
          server.isAlive() ? "up" : "DEAD");
    }
    stop.set(true);
    pool.shutdown();
    pool.awaitTermination(60, TimeUnit.SECONDS);
    channel.shutdownNow();
    boolean alive = server.isAlive();
    server.destroy();
    server.waitFor(30, TimeUnit.SECONDS);
    long lines = Files.lines(log).count();
    System.out.printf(Locale.ROOT, "server %s at the end; its log has %d lines (%s)%n",
        alive ? "alive" : "DEAD (exit " + server.exitValue() + ")", lines, log);
  }

  private static void count(Window w, boolean hostile, boolean ok, long t0) {
    if (hostile) {
      w.refused.incrementAndGet();
    } else if (ok) {
      w.ok.incrementAndGet();
      w.record((System.nanoTime() - t0) / 1000);
    } else {
      w.failedValid.incrementAndGet();
    }
  }

  private static long pct(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  private static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
    return -1;
  }

  private static void waitUntilServing(HttpClient http, String url, Process server, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) throw new IllegalStateException("tfkit serve exited; see " + log);
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
            .POST(HttpRequest.BodyPublishers.ofString("{\"instances\": [1.0]}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("tfkit serve did not answer within 120 s; see " + log);
  }

  /** gRPC bodies an attacker would send: bad shapes, bad dtypes, big content, junk bytes. */
  private static List<byte[]> malformedGrpc(byte[] valid) {
    List<byte[]> out = new ArrayList<>();
    ModelSpec spec = ModelSpec.newBuilder().setName("half_plus_two").build();
    long[][] shapes = {new long[255], {1L << 40, 1L << 40}, {-1, 1}, {Long.MAX_VALUE}, new long[300]};
    Arrays.fill(shapes[0], 1);
    Arrays.fill(shapes[4], 1);
    for (long[] s : shapes) {
      TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
      for (long d : s) sb.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
      out.add(PredictRequest.newBuilder().setModelSpec(spec).putInputs("x",
          TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(sb).addFloatVal(1f).build())
          .build().toByteArray());
    }
    out.add(PredictRequest.newBuilder().setModelSpec(spec).putInputs("x",
        TensorProto.newBuilder().setDtypeValue(77).build()).build().toByteArray());
    out.add(PredictRequest.newBuilder().setModelSpec(spec).putInputs("x",
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1 << 20)))
            .setTensorContent(ByteString.copyFrom(new byte[(4 << 20) - 4])).build()).build().toByteArray());
    out.add(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("x".repeat(9000)))
        .build().toByteArray());
    out.add(Arrays.copyOf(valid, valid.length / 2));
    Random rnd = new Random(7);
    for (int i = 0; i < 8; i++) {
      byte[] junk = new byte[1 + rnd.nextInt(4096)];
      rnd.nextBytes(junk);
      out.add(junk);
    }
    return out;
  }

  /** REST bodies an attacker would send: nesting, junk, wrong types, big numbers, no encoding. */
  private static List<String> malformedRest() {
    return List.of(
        "{\"instances\": [" + "[".repeat(255) + "1.0" + "]".repeat(255) + "]}",
        "[".repeat(100_000),
        "{\"instances\": [1.0, \"x\"]}",
        "{\"inputs\": {\"x\": " + "1.0,".repeat(200_000) + "1.0}}",
        "{\"instances\": [1e999999]}",
        "\u00ff\u0000\u0000\u0000",
        "{\"instances\": [{\"b64\": \"" + "A".repeat(100_000) + "\"}]}",
        "{\"signature_name\": \"nosuch\", \"instances\": [1.0]}",
        "not json at all");
  }

}
