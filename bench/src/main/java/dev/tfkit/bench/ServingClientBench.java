package dev.tfkit.bench;

import dev.tfkit.cli.ConsoleLogging;
import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.serving.Prediction;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.tensor.TensorValue;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionServiceGrpc;

/**
 * What the serving client costs per predict call, beside the gRPC transport floor measured in the
 * same run: an echo method that carries the same request bytes there and back.
 *
 * <p>The server does no work on either path: its Predict method answers precomputed response bytes
 * (one float output of the input's shape, as a model like half_plus_two returns), its echo method
 * returns the request bytes. So {@code servingModelRun − echoFloor} is the client's own cost: Java
 * array → TensorValue → TensorProto → PredictRequest → bytes, and bytes → PredictResponse →
 * TensorValue → {@code float[]}, plus deadline bookkeeping. {@code grpcStubPrebuilt} sends a
 * prebuilt PredictRequest with grpc-java's generated stub: protobuf's own share.
 *
 * <p>Times are sampled per call and compared by their median (a shared machine disturbs means far
 * more than medians). Run {@code main} (short settings, prints a ratio table); see
 * docs/bench-client.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ServingClientBench {
  /** Three floats (a tiny request) and one 224×224 RGB float image (602 KB). */
  @Param({"3", "1x224x224x3"})
  public String shape;

  /** Loopback TCP through Netty, or grpc-java's in-process transport (no sockets). */
  @Param({"netty", "inprocess"})
  public String transport;

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      RawBytesCalls.MARSHALLER;

  private static final MethodDescriptor<byte[], byte[]> RAW_PREDICT =
      MethodDescriptor.newBuilder(BYTES, BYTES)
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(PredictionServiceGrpc.getPredictMethod().getFullMethodName())
          .build();

  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.newBuilder(BYTES, BYTES)
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("tfkit.bench.Echo/Echo")
          .build();

  private long[] dims;
  private float[] values;
  private byte[] requestBytes;
  private PredictRequest prebuilt;
  private Server server;
  private ManagedChannel channel;
  private ServingModel model;
  private PredictionServiceGrpc.PredictionServiceBlockingStub stub;

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
    ModelSpec spec = ModelSpec.newBuilder().setName("half_plus_two").build();
    prebuilt = PredictRequest.newBuilder().setModelSpec(spec).putInputs("x", x.toProto()).build();
    requestBytes = prebuilt.toByteArray();
    byte[] responseBytes =
        PredictResponse.newBuilder()
            .setModelSpec(spec.toBuilder().setSignatureName("serving_default"))
            .putOutputs("y", x.toProto())
            .build()
            .toByteArray();

    ServerServiceDefinition service =
        ServerServiceDefinition.builder("tensorflow.serving.PredictionService")
            .addMethod(RAW_PREDICT, ServerCalls.asyncUnaryCall((req, out) -> {
              out.onNext(responseBytes);
              out.onCompleted();
            }))
            .build();
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder("tfkit.bench.Echo")
            .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
              out.onNext(req);
              out.onCompleted();
            }))
            .build();
    if (transport.equals("netty")) {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(service).addService(echo).maxInboundMessageSize(64 << 20).build().start();
      channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
          .maxInboundMessageSize(64 << 20).build();
    } else {
      String name = InProcessServerBuilder.generateName();
      server = InProcessServerBuilder.forName(name).addService(service).addService(echo)
          .build().start();
      channel = InProcessChannelBuilder.forName(name).build();
    }
    model = ServingModel.grpc(channel, "half_plus_two");
    stub = PredictionServiceGrpc.newBlockingStub(channel);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    model.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The transport floor: the same request bytes to an echo method and back. */
  @Benchmark
  public byte[] echoFloor() {
    return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, requestBytes);
  }

  /** grpc-java's generated stub with a prebuilt PredictRequest (protobuf's share of the cost). */
  @Benchmark
  public PredictResponse grpcStubPrebuilt() {
    return stub.predict(prebuilt);
  }

  /** The whole client: Java floats in, Java floats out. */
  @Benchmark
  public float[] servingModelRun() {
    Prediction p = model.run(Map.of("x", TensorValue.fromFlat(values, dims)));
    return p.output("y").floats();
  }

  /**
   * Runs with short settings (1 fork, 3×1 s warmup, 5×1 s measurement; JMH options given as
   * arguments override them) and prints medians and ratios to the echo floor.
   */
  public static void main(String[] args) throws Exception {
    ConsoleLogging.install();
    CommandLineOptions cli = new CommandLineOptions(args);
    Options opts =
        new OptionsBuilder()
            .parent(cli)
            .include(ServingClientBench.class.getName() + "\\.")
            .forks(cli.getForkCount().orElse(1))
            .warmupIterations(cli.getWarmupIterations().orElse(3))
            .warmupTime(cli.getWarmupTime().orElse(TimeValue.seconds(1)))
            .measurementIterations(cli.getMeasurementIterations().orElse(5))
            .measurementTime(cli.getMeasurementTime().orElse(TimeValue.seconds(1)))
            .jvmArgsAppend("-Xmx1g")
            .build();
    System.out.println(report(new Runner(opts).run()));
  }

  static String report(Collection<RunResult> results) {
    Map<String, Map<String, double[]>> byCase = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      String key = r.getParams().getParam("transport") + " " + r.getParams().getParam("shape");
      var st = r.getPrimaryResult().getStatistics();
      byCase.computeIfAbsent(key, k -> new LinkedHashMap<>())
          .put(name, new double[] {st.getPercentile(50), st.getPercentile(90)});
    }
    StringBuilder out = new StringBuilder();
    out.append("\n| transport | shape | benchmark | median µs | p90 µs | × echo floor | client cost µs |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, double[]>> e : byCase.entrySet()) {
      double[] floor = e.getValue().get("echoFloor");
      String[] k = e.getKey().split(" ");
      for (String b : new String[] {"echoFloor", "grpcStubPrebuilt", "servingModelRun"}) {
        double[] v = e.getValue().get(b);
        if (v == null) continue;
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.1f | %.2f | %.1f |%n",
            k[0], k[1], b, v[0], v[1], floor == null ? Double.NaN : v[0] / floor[0],
            floor == null ? Double.NaN : v[0] - floor[0]));
      }
    }
    return out.toString();
  }
}
