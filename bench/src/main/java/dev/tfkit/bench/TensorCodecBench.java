package dev.tfkit.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfkit.io.AliasingMarshaller;
import dev.tfkit.tensor.TensorEncoding;
import dev.tfkit.tensor.TensorValue;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * How fast float32 tensors go between Java arrays and TensorProto, beside a plain copy of the same
 * bytes measured in the same run: the {@code tensor_content} path (target ≥ 0.5× copy speed) and
 * the typed {@code float_val} path (target: content path ≥ 20× faster). Each case runs in memory
 * (Java value ⇄ TensorProto object) and on the wire (including protobuf serialization/parsing).
 *
 * <p>Times are sampled per call and compared by their median: on a shared machine the median of
 * many short calls is far less disturbed by other processes than a mean throughput.
 *
 * <p>Run with {@code bench/run} (short settings, prints a ratio table); see docs/bench-tensor.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TensorCodecBench {

  /** Image batch of one (224×224 RGB) and a batch of 64 embeddings of width 1024. */
  @Param({"1x224x224x3", "64x1024"})
  public String shape;

  private long[] dims;
  private float[] values;
  private Object nested; // the same values as float[d0][d1]...: what user code usually holds
  private byte[] raw;
  private TensorProto contentProto;
  private TensorProto typedProto;
  private byte[] contentWire;
  private byte[] typedWire;

  @Setup
  public void setup() {
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
    int[] intDims = new int[dims.length];
    for (int i = 0; i < dims.length; i++) intDims[i] = (int) dims[i];
    nested = Array.newInstance(float.class, intDims);
    fillNested(nested, values, new int[] {0});
    raw = new byte[4 * n];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    TensorValue v = TensorValue.fromFlat(values, dims);
    contentProto = v.toProto();
    typedProto = v.toProto(TensorEncoding.TYPED_FIELDS);
    contentWire = contentProto.toByteArray();
    typedWire = typedProto.toByteArray();
  }

  private static void fillNested(Object node, float[] src, int[] pos) {
    if (node instanceof float[]) {
      float[] leaf = (float[]) node;
      System.arraycopy(src, pos[0], leaf, 0, leaf.length);
      pos[0] += leaf.length;
    } else {
      for (Object child : (Object[]) node) fillNested(child, src, pos);
    }
  }

  // ---- baselines: a plain copy of the same number of bytes

  @Benchmark
  public byte[] copyArraycopy() {
    byte[] dst = new byte[raw.length];
    System.arraycopy(raw, 0, dst, 0, raw.length);
    return dst;
  }

  @Benchmark
  public ByteBuffer copyByteBuffer() {
    ByteBuffer dst = ByteBuffer.allocate(raw.length).order(ByteOrder.LITTLE_ENDIAN);
    dst.asFloatBuffer().put(values);
    return dst;
  }

  // ---- tensor_content

  @Benchmark
  public TensorProto encodeContent() {
    return TensorValue.fromFlat(values, dims).toProto();
  }

  /** From a nested Java array ({@code float[1][224][224][3]}): shape checks and one copy per row. */
  @Benchmark
  public TensorProto encodeContentNested() {
    return TensorValue.of(nested).toProto();
  }

  @Benchmark
  public float[] decodeContent() {
    return TensorValue.fromProto(contentProto).floats();
  }

  @Benchmark
  public byte[] encodeContentWire() {
    return TensorValue.fromFlat(values, dims).toProto().toByteArray();
  }

  @Benchmark
  public float[] decodeContentWire() throws InvalidProtocolBufferException {
    return TensorValue.fromProto(TensorProto.parseFrom(contentWire)).floats();
  }

  /**
   * As {@link #decodeContentWire} but parsed the way tfkit's gRPC client and server parse (the
   * {@link AliasingMarshaller}): the message is read into one array and tensor_content shares it.
   */
  @Benchmark
  public float[] decodeContentWireAliased() {
    return TensorValue.fromProto(ALIASING.parse(new WireStream(contentWire))).floats();
  }

  /** The same stream through grpc-java's stock protobuf marshaller, as before tfkit used its own. */
  @Benchmark
  public float[] decodeContentWireStockMarshaller() {
    return TensorValue.fromProto(STOCK.parse(new WireStream(contentWire))).floats();
  }

  private static final MethodDescriptor.Marshaller<TensorProto> STOCK =
      ProtoUtils.marshaller(TensorProto.getDefaultInstance());

  private static final AliasingMarshaller<TensorProto> ALIASING = AliasingMarshaller.of(TensorProto.getDefaultInstance());

  /** Message bytes as gRPC hands them to a marshaller: a stream that knows its length. */
  static final class WireStream extends ByteArrayInputStream implements KnownLength {
    WireStream(byte[] b) {
      super(b);
    }
  }

  // ---- typed float_val, for contrast

  @Benchmark
  public TensorProto encodeTyped() {
    return TensorValue.fromFlat(values, dims).toProto(TensorEncoding.TYPED_FIELDS);
  }

  @Benchmark
  public float[] decodeTyped() {
    return TensorValue.fromProto(typedProto).floats();
  }

  @Benchmark
  public byte[] encodeTypedWire() {
    return TensorValue.fromFlat(values, dims).toProto(TensorEncoding.TYPED_FIELDS).toByteArray();
  }

  @Benchmark
  public float[] decodeTypedWire() throws InvalidProtocolBufferException {
    return TensorValue.fromProto(TensorProto.parseFrom(typedWire)).floats();
  }

  // ---- typed float_val as hand-written Java clients build and read it (boxed List<Float>)

  @Benchmark
  public TensorProto encodeTypedBoxed() {
    List<Float> list = new ArrayList<>(values.length);
    for (float v : values) list.add(v);
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT);
    TensorShapeProto.Builder sh = b.getTensorShapeBuilder();
    for (long d : dims) sh.addDimBuilder().setSize(d);
    return b.addAllFloatVal(list).build();
  }

  @Benchmark
  public float[] decodeTypedBoxed() {
    List<Float> list = typedProto.getFloatValList();
    float[] out = new float[list.size()];
    int i = 0;
    for (Float v : list) out[i++] = v;
    return out;
  }

  /**
   * Runs the benchmark with short settings (1 fork, 2×1 s warmup, 3×1 s measurement; JMH
   * command-line options given as arguments override them) and prints bytes/s and the ratios.
   */
  public static void main(String[] args) throws RunnerException, Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    OptionsBuilder builder = new OptionsBuilder();
    // A pattern on the command line (e.g. "TensorCodecBench.decode") narrows the run.
    if (cli.getIncludes().isEmpty()) builder.include(TensorCodecBench.class.getName() + "\\.");
    Options opts =
        builder
            .parent(cli)
            .forks(cli.getForkCount().orElse(1))
            .warmupIterations(cli.getWarmupIterations().orElse(2))
            .warmupTime(cli.getWarmupTime().orElse(TimeValue.seconds(1)))
            .measurementIterations(cli.getMeasurementIterations().orElse(3))
            .measurementTime(cli.getMeasurementTime().orElse(TimeValue.seconds(1)))
            .jvmArgsAppend("-Xmx2g")
            .build();
    Collection<RunResult> results = new Runner(opts).run();
    System.out.println(report(results));
  }

  static String report(Collection<RunResult> results) {
    Map<String, Map<String, Double>> opsByShape = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      String s = r.getParams().getParam("shape");
      // Calls per second from the median sampled call time (microseconds).
      double medianUs = r.getPrimaryResult().getStatistics().getPercentile(50);
      opsByShape.computeIfAbsent(s, k -> new LinkedHashMap<>()).put(name, 1e6 / medianUs);
    }
    StringBuilder out = new StringBuilder();
    out.append("\n| shape | bytes | benchmark | median µs | MB/s | × arraycopy | × ByteBuffer copy |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    List<String> ratios = new ArrayList<>();
    for (Map.Entry<String, Map<String, Double>> e : opsByShape.entrySet()) {
      long bytes = 4;
      for (String p : e.getKey().split("x")) bytes *= Long.parseLong(p);
      Map<String, Double> ops = e.getValue();
      double copy = ops.getOrDefault("copyArraycopy", Double.NaN);
      double bbCopy = ops.getOrDefault("copyByteBuffer", Double.NaN);
      for (Map.Entry<String, Double> b : ops.entrySet()) {
        out.append(String.format(Locale.ROOT, "| %s | %d | %s | %.1f | %.0f | %.2f | %.2f |%n", e.getKey(), bytes,
            b.getKey(), 1e6 / b.getValue(), b.getValue() * bytes / 1e6, b.getValue() / copy, b.getValue() / bbCopy));
      }
      for (String dir : new String[] {"encode", "decode"}) {
        for (String wire : new String[] {"", "Wire"}) {
          Double content = ops.get(dir + "Content" + wire);
          Double typed = ops.get(dir + "Typed" + wire);
          Double boxed = ops.get(dir + "TypedBoxed");
          if (content != null && typed != null) {
            ratios.add(String.format(Locale.ROOT, "| %s | %s%s | %.2f | %.1f | %s |", e.getKey(), dir,
                wire.isEmpty() ? " (in memory)" : " (wire bytes)", content / copy, content / typed,
                wire.isEmpty() && boxed != null ? String.format(Locale.ROOT, "%.1f", content / boxed) : "—"));
          }
          if (typed == null) typed = Double.NaN;
          if (!wire.isEmpty() && dir.equals("decode") && ops.containsKey("decodeContentWireAliased")) {
            ratios.add(String.format(Locale.ROOT, "| %s | decode (gRPC message stream, grpc-java's stock marshaller) | %.2f | %.1f | — |",
                e.getKey(), ops.getOrDefault("decodeContentWireStockMarshaller", Double.NaN) / copy,
                ops.getOrDefault("decodeContentWireStockMarshaller", Double.NaN) / typed));
            ratios.add(String.format(Locale.ROOT, "| %s | decode (gRPC message stream, tfkit's aliasing marshaller) | %.2f | %.1f | — |",
                e.getKey(), ops.get("decodeContentWireAliased") / copy, ops.get("decodeContentWireAliased") / typed));
          }
        }
      }
    }
    out.append("\n| shape | path | tensor_content ÷ arraycopy (target ≥ 0.5) | tensor_content ÷ tfkit's float_val (target ≥ 20) | tensor_content ÷ boxed List<Float> float_val |\n");
    out.append("|---|---|---|---|---|\n");
    for (String r : ratios) out.append(r).append('\n');
    return out.toString();
  }
}
