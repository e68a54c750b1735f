package dev.tfkit.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tfkit.rest.PredictBodies;
import dev.tfkit.rest.PredictJsonRequest;
import dev.tfkit.rest.RestFormat;
import dev.tfkit.rest.TensorJson;
import dev.tfkit.tensor.TensorValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
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
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * How fast the embedded server reads a REST predict body holding an image: the streamed reader
 * (numbers straight into packed {@code tensor_content}) and the JSON-tree reader it falls back to,
 * beside the floor measured in the same run — Jackson's token stream over the same bytes, reading
 * every number and keeping nothing. The body is {@code {"instances": [[[[r, g, b], ...]]]}} for a
 * 480×640 RGB image, with 0–255 integers or floats in [0, 1) ({@code float32} input). Also the
 * other direction: writing that image as a body, beside Jackson writing the same floats as one flat
 * list. See docs/bench-server.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RestRequestBench {
  @Param({"int", "float"})
  public String values;

  private byte[] body;
  private float[] pixels;
  private Map<String, TensorProto> image;
  private static final Map<String, DataType> TYPES = Map.of("image", DataType.DT_FLOAT);

  @Setup
  public void setup() {
    Random r = new Random(1);
    pixels = new float[480 * 640 * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = values.equals("int") ? r.nextInt(256) : r.nextFloat();
    }
    image = Map.of("image", TensorValue.fromFlat(pixels, 1, 480, 640, 3).toProto());
    r = new Random(1);
    StringBuilder sb = new StringBuilder("{\"instances\": [[");
    for (int y = 0; y < 480; y++) {
      sb.append(y == 0 ? "[" : ", [");
      for (int x = 0; x < 640; x++) {
        sb.append(x == 0 ? "[" : ", [");
        for (int c = 0; c < 3; c++) {
          if (c > 0) sb.append(", ");
          sb.append(values.equals("int") ? Integer.toString(r.nextInt(256)) : Float.toString(r.nextFloat()));
        }
        sb.append(']');
      }
      sb.append(']');
    }
    body = sb.append("]]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The floor: every token of the body read, every number parsed, nothing kept. */
  @Benchmark
  public double tokenStreamFloor() throws Exception {
    double sum = 0;
    try (JsonParser p = TensorJson.mapper().getFactory().createParser(body)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.VALUE_NUMBER_INT) {
          sum += p.getLongValue();
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
          sum += p.getDoubleValue();
        }
      }
    }
    return sum;
  }

  /** What the server does now: the streamed reader. */
  @Benchmark
  public PredictJsonRequest streamed() {
    return PredictBodies.readPredictRequest(body, s -> TYPES);
  }

  /** What it did before: a JSON tree, then typed values. */
  @Benchmark
  public PredictJsonRequest tree() {
    return PredictBodies.readPredictRequest(TensorJson.parse(body), s -> TYPES);
  }

  /** Writing the image as a request body (the REST client's side; the server writes responses alike). */
  @Benchmark
  public byte[] write() {
    return PredictBodies.predictRequest("", image, RestFormat.ROW);
  }

  /** The writing floor: Jackson writing the same floats as one flat list ({@code writeNumber(float)}). */
  @Benchmark
  public int writeNumberFloor() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = TensorJson.mapper().getFactory().createGenerator(out)) {
      g.writeStartArray();
      for (float f : pixels) {
        g.writeNumber(f);
      }
      g.writeEndArray();
    }
    return out.size();
  }

  /** Runs with short settings and prints each reader's time and its ratio to the floor. */
  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    Options opts =
        new OptionsBuilder()
            .parent(cli)
            .include(RestRequestBench.class.getName() + "\\.")
            .forks(cli.getForkCount().orElse(1))
            .warmupIterations(cli.getWarmupIterations().orElse(3))
            .warmupTime(cli.getWarmupTime().orElse(TimeValue.seconds(2)))
            .measurementIterations(cli.getMeasurementIterations().orElse(5))
            .measurementTime(cli.getMeasurementTime().orElse(TimeValue.seconds(2)))
            .jvmArgsAppend("-Xmx2g")
            .build();
    Collection<RunResult> results = new Runner(opts).run();
    Map<String, Map<String, Double>> byValues = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      byValues.computeIfAbsent(r.getParams().getParam("values"), k -> new LinkedHashMap<>())
          .put(name, r.getPrimaryResult().getScore());
    }
    StringBuilder out = new StringBuilder("\n| values | benchmark | ms per body | × its floor |\n");
    out.append("|---|---|---:|---:|\n");
    for (Map.Entry<String, Map<String, Double>> e : byValues.entrySet()) {
      for (Map.Entry<String, Double> b : e.getValue().entrySet()) {
        Double floor = e.getValue().get(b.getKey().startsWith("write") ? "writeNumberFloor" : "tokenStreamFloor");
        out.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.2f |%n", e.getKey(), b.getKey(),
            b.getValue(), floor == null ? Double.NaN : b.getValue() / floor));
      }
    }
    System.out.println(out);
  }
}
