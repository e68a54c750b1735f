package dev.tfkit.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.graph.GraphExport;
import dev.tfkit.graph.ModelGraph;
import dev.tfkit.graph.TensorSpec;
import dev.tfkit.io.ShortCommand;
import dev.tfkit.io.TempSiblings;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.tensor.TensorValue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;

/**
 * The TF.js conformance harness: one TF.js graph model run by tfkit (loaded, exported as a
 * SavedModel, run, in a child JVM with oneDNN off) and by TensorFlow.js itself (its pure-JS CPU
 * backend, run by node) on the same deterministic inputs, every output compared.
 *
 * <p>Test-side on purpose: it needs node, npm and TF.js, which tfkit's users do not, and it judges
 * the loader rather than being part of it. The tfkit side runs in a child JVM because oneDNN is
 * fixed when TensorFlow loads ({@code TF_ENABLE_ONEDNN_OPTS=0} in its environment) and because a
 * native crash on one model must not end the run of the others.
 */
final class TfjsConformance {
  static final double RTOL = 1e-3;
  static final double ATOL = 1e-4;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One output compared: shapes, largest absolute and relative difference, allclose. */
  record OutputDiff(String tensor, long[] tfkitShape, long[] tfjsShape, double maxAbs, double maxRel, boolean allclose,
      double noiseFloor) {
    boolean sameShape() {
      return Arrays.equals(tfkitShape, tfjsShape);
    }

    /** Within allclose, or no further from TF.js's CPU backend than its own WASM backend is. */
    boolean matches() {
      return sameShape() && (allclose || maxAbs <= noiseFloor);
    }

    OutputDiff withNoiseFloor(double floor) {
      return new OutputDiff(tensor, tfkitShape, tfjsShape, maxAbs, maxRel, allclose, floor);
    }
  }

  /** One model's result: every output compared, or the stage that failed and why. */
  record Row(String model, String failure, List<OutputDiff> outputs, long tfkitMillis, long tfjsMillis) {
    boolean matches() {
      return failure == null && !outputs.isEmpty() && outputs.stream().allMatch(OutputDiff::matches);
    }

    double maxAbs() {
      return outputs.stream().mapToDouble(OutputDiff::maxAbs).max().orElse(Double.NaN);
    }

    double maxRel() {
      return outputs.stream().mapToDouble(OutputDiff::maxRel).max().orElse(Double.NaN);
    }
  }

  private TfjsConformance() {}

  /** Runs {@code modelJson} on both sides in {@code caseDir} (created) and compares. */
  static Row check(TfjsNode tfjs, Path modelJson, Path caseDir) throws Exception {
    String model = modelJson.getFileName().toString().replaceFirst("\\.json$", "");
    if (!TempSiblings.deleteTree(caseDir)) throw new IOException("cannot delete the old " + caseDir);
    Files.createDirectories(caseDir);
    long t0 = System.nanoTime();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx3g", "-cp", System.getProperty("java.class.path"),
        TfjsConformance.class.getName(), modelJson.toString(), caseDir.toString()).redirectErrorStream(true)
        .redirectOutput(caseDir.resolve("tfkit.log").toFile());
    pb.environment().put("TF_ENABLE_ONEDNN_OPTS", "0");
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Row(model, "tfkit: timed out after 10 minutes", List.of(), 0, 0);
    }
    long tfkitMillis = (System.nanoTime() - t0) / 1_000_000;
    Path tfkitJson = caseDir.resolve("tfkit.json");
    if (!Files.exists(tfkitJson)) {
      String log = Files.readString(caseDir.resolve("tfkit.log"), StandardCharsets.UTF_8);
      return new Row(model, "tfkit: child JVM exited " + p.exitValue() + ": " + firstLine(tail(log)), List.of(), tfkitMillis, 0);
    }
    JsonNode ours = JSON.readTree(tfkitJson.toFile());
    if (ours.has("error")) return new Row(model, ours.get("error").asText(), List.of(), tfkitMillis, 0);

    long t1 = System.nanoTime();
    var run = ShortCommand.run(List.of("node", tfjs.script("tfjs-run.js").toString(), modelJson.toString(),
        caseDir.toString()), 900);
    long tfjsMillis = (System.nanoTime() - t1) / 1_000_000;
    if (!run.ok()) return new Row(model, "TF.js failed: " + firstLine(run.output()), List.of(), tfkitMillis, tfjsMillis);
    JsonNode theirs = JSON.readTree(caseDir.resolve("tfjs.json").toFile());
    List<OutputDiff> diffs = new ArrayList<>();
    for (int i = 0; i < ours.get("outputs").size(); i++) {
      JsonNode a = ours.get("outputs").get(i);
      JsonNode b = theirs.get(i);
      diffs.add(compare(a.get("tensor").asText(), shape(a), readDoubles(caseDir.resolve(a.get("file").asText())),
          shape(b), readDoubles(caseDir.resolve(b.get("file").asText()))));
    }
    if (!diffs.stream().allMatch(o -> o.sameShape() && o.allclose())) {
      // TF.js's own backends disagree too on some models: its WASM backend against its CPU backend
      // is the noise floor shown beside tfkit's difference.
      var wasm = ShortCommand.run(List.of("node", tfjs.script("tfjs-run.js").toString(), modelJson.toString(),
          caseDir.toString(), "wasm"), 900);
      if (wasm.ok()) {
        JsonNode w = JSON.readTree(caseDir.resolve("wasm.json").toFile());
        for (int i = 0; i < diffs.size(); i++) {
          JsonNode b = theirs.get(i);
          OutputDiff floor = compare(b.get("tensor").asText(), shape(w.get(i)), readDoubles(caseDir.resolve(w.get(i).get("file").asText())),
              shape(b), readDoubles(caseDir.resolve(b.get("file").asText())));
          diffs.set(i, diffs.get(i).withNoiseFloor(floor.sameShape() ? floor.maxAbs() : Double.NaN));
        }
      }
    }
    return new Row(model, null, diffs, tfkitMillis, tfjsMillis);
  }

  /** Compares tfkit's values {@code a} to TF.js's {@code b} (the reference), numpy's allclose semantics. */
  static OutputDiff compare(String tensor, long[] shapeA, double[] a, long[] shapeB, double[] b) {
    if (a.length != b.length) return new OutputDiff(tensor, shapeA, shapeB, Double.NaN, Double.NaN, false, Double.NaN);
    double maxAbs = 0;
    double maxRel = 0;
    boolean close = true;
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
        if (Double.isNaN(a[i]) != Double.isNaN(b[i])) close = false;
        continue;
      }
      if (a[i] == b[i]) continue; // also equal infinities
      double d = Math.abs(a[i] - b[i]);
      maxAbs = Math.max(maxAbs, d);
      if (b[i] != 0) maxRel = Math.max(maxRel, d / Math.abs(b[i]));
      if (!(d <= ATOL + RTOL * Math.abs(b[i]))) close = false;
    }
    return new OutputDiff(tensor, shapeA, shapeB, maxAbs, maxRel, close, Double.NaN);
  }

  /**
   * The child JVM: loads the model, writes deterministic inputs and {@code case.json}, exports a
   * SavedModel, runs it and writes {@code tfkit.json} with the outputs (or the stage that failed).
   */
  public static void main(String[] args) throws Exception {
    Path modelJson = Path.of(args[0]);
    Path caseDir = Path.of(args[1]);
    ObjectNode result = JSON.createObjectNode();
    String stage = "load";
    try (ModelGraph g = ModelGraph.load(modelJson)) {
      Map<String, String> inputs = new LinkedHashMap<>();
      Map<String, String> outputs = new LinkedHashMap<>();
      SignatureDef sig = g.signatures().get("serving_default");
      // The model's own signature (tfkit's serving_default) where it has one, else the graph's guess.
      if (sig != null && sig.getInputsCount() > 0) {
        sig.getInputsMap().values().stream().map(t -> t.getName()).sorted().forEach(t -> inputs.put("in" + inputs.size(), t));
      } else {
        g.likelyInputs().forEach(n -> inputs.put("in" + inputs.size(), n + ":0"));
      }
      if (sig != null && sig.getOutputsCount() > 0) {
        sig.getOutputsMap().values().stream().map(t -> t.getName()).sorted().forEach(t -> outputs.put("out" + outputs.size(), t));
      } else {
        g.likelyOutputs().forEach(n -> outputs.put("out" + outputs.size(), n + ":0"));
      }
      ObjectNode c = JSON.createObjectNode();
      ArrayNode ins = c.putArray("inputs");
      Map<String, TensorValue> feeds = new LinkedHashMap<>();
      int seed = 0;
      for (Map.Entry<String, String> e : inputs.entrySet()) {
        TensorSpec s = g.spec(e.getValue());
        TensorValue v = deterministic(s, ++seed);
        feeds.put(e.getKey(), v);
        String file = e.getKey() + ".bin";
        Files.write(caseDir.resolve(file), v.content().toByteArray());
        ObjectNode i = ins.addObject().put("tensor", e.getValue()).put("dtype", jsDtype(v.dtype())).put("file", file);
        ArrayNode shape = i.putArray("shape");
        for (long d : v.shape()) shape.add(d);
      }
      ArrayNode outs = c.putArray("outputs");
      outputs.values().forEach(t -> outs.addObject().put("tensor", t));
      Files.writeString(caseDir.resolve("case.json"), c.toString());

      stage = "export";
      GraphExport export = GraphExport.from(g).exportDir(caseDir.resolve("savedmodel"));
      inputs.forEach(export::input);
      outputs.forEach(export::output);
      Path dir = export.export().directory();

      stage = "run";
      ArrayNode described = result.putArray("outputs");
      try (SavedModel m = SavedModel.load(dir); SavedModel.Outputs out = m.run("serving_default", feeds)) {
        for (Map.Entry<String, String> e : outputs.entrySet()) {
          TensorValue v = out.values().get(e.getKey());
          String file = "tfkit" + described.size() + ".bin";
          writeDoubles(caseDir.resolve(file), doubles(v));
          ObjectNode o = described.addObject().put("tensor", e.getValue()).put("dtype", v.dtype().name()).put("file", file);
          ArrayNode shape = o.putArray("shape");
          for (long d : v.shape()) shape.add(d);
        }
      }
    } catch (RuntimeException | Error e) {
      result = JSON.createObjectNode();
      result.put("error", "tfkit " + stage + " failed: " + firstLine(String.valueOf(e.getMessage())));
      e.printStackTrace();
    }
    Files.writeString(caseDir.resolve("tfkit.json"), result.toString());
    System.out.println("tfkit side done: " + result.path("error").asText("ok"));
  }

  /**
   * Deterministic values for {@code spec}: an unknown batch dimension is 1 and any other unknown
   * dimension 64 (an unknown rank is a scalar); floats in [0, 1), ints in 0..9, uint8 in 0..255.
   */
  static TensorValue deterministic(TensorSpec spec, int seed) {
    long[] shape = spec.shape() == null ? new long[0] : spec.shape().clone();
    for (int i = 0; i < shape.length; i++) if (shape[i] < 0) shape[i] = i == 0 ? 1 : 64;
    int n = 1;
    for (long d : shape) n = Math.multiplyExact(n, Math.toIntExact(d));
    long state = 0x9E3779B97F4A7C15L * seed;
    DataType t = spec.dtype();
    switch (t) {
      case DT_FLOAT -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((next(state += 0x9E3779B97F4A7C15L) >>> 40) / (double) (1L << 24));
        return TensorValue.fromFlat(v, shape);
      }
      case DT_INT32 -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = (int) ((next(state += 0x9E3779B97F4A7C15L) >>> 33) % 10);
        return TensorValue.fromFlat(v, shape);
      }
      case DT_UINT8 -> {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) v[i] = (byte) (next(state += 0x9E3779B97F4A7C15L) >>> 56);
        return TensorValue.fromBytes(DataType.DT_UINT8, v, shape);
      }
      case DT_BOOL -> {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) v[i] = (next(state += 0x9E3779B97F4A7C15L) & 1) == 1;
        return TensorValue.fromFlat(v, shape);
      }
      default -> throw new IllegalArgumentException("no deterministic input for " + spec.name() + " of " + t);
    }
  }

  /** SplitMix64's output function: well mixed bits from a counter. */
  private static long next(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static String jsDtype(DataType t) {
    return switch (t) {
      case DT_FLOAT -> "float32";
      case DT_INT32 -> "int32";
      case DT_UINT8 -> "uint8";
      case DT_BOOL -> "bool";
      default -> t.name();
    };
  }

  private static double[] doubles(TensorValue v) {
    return switch (v.dtype()) {
      case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> {
        float[] f = v.floats();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        yield d;
      }
      case DT_DOUBLE -> v.doubles();
      case DT_INT64 -> Arrays.stream(v.longs()).asDoubleStream().toArray();
      case DT_BOOL -> {
        boolean[] b = v.booleans();
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) d[i] = b[i] ? 1 : 0;
        yield d;
      }
      default -> Arrays.stream(v.ints()).asDoubleStream().toArray();
    };
  }

  private static void writeDoubles(Path file, double[] v) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(v);
    Files.write(file, b.array());
  }

  private static double[] readDoubles(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    double[] v = new double[b.remaining() / 8];
    b.asDoubleBuffer().get(v);
    return v;
  }

  private static long[] shape(JsonNode o) {
    long[] s = new long[o.get("shape").size()];
    for (int i = 0; i < s.length; i++) s[i] = o.get("shape").get(i).asLong();
    return s;
  }

  private static String tail(String log) {
    String[] lines = log.strip().split("\n");
    for (String l : lines) if (l.contains("Exception") || l.contains("Error") || l.contains("SIG")) return l;
    return lines.length == 0 ? "" : lines[lines.length - 1];
  }

  static String firstLine(String s) {
    String line = s.strip().split("\n", 2)[0].strip();
    return line.length() > 240 ? line.substring(0, 237) + "..." : line;
  }

  /** The markdown table of {@code rows} (one line per model), as docs/graphs.md shows it. */
  static String table(List<Row> rows, String version) {
    StringBuilder sb = new StringBuilder();
    sb.append("| model | outputs | max abs diff | max rel diff | allclose | TF.js WASM vs CPU (max abs) | match | notes |\n");
    sb.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (Row r : rows) {
      if (r.failure() != null) {
        sb.append("| ").append(r.model()).append(" | – | – | – | – | – | no | ").append(r.failure().replace("|", "\\|")).append(" |\n");
        continue;
      }
      List<String> notes = new ArrayList<>();
      for (OutputDiff o : r.outputs()) {
        if (!o.sameShape()) notes.add(o.tensor() + ": shape " + Arrays.toString(o.tfkitShape()) + " vs TF.js " + Arrays.toString(o.tfjsShape()));
        else if (!o.allclose()) {
          notes.add(o.tensor() + ": max abs " + num(o.maxAbs()) + (Double.isNaN(o.noiseFloor()) ? ""
              : o.matches() ? ", within TF.js's WASM-vs-CPU " + num(o.noiseFloor()) : ", beyond TF.js's WASM-vs-CPU " + num(o.noiseFloor())));
        }
      }
      sb.append("| ").append(r.model()).append(" | ").append(r.outputs().size()).append(" | ").append(num(r.maxAbs()))
          .append(" | ").append(num(r.maxRel())).append(" | ")
          .append(r.outputs().stream().allMatch(o -> o.sameShape() && o.allclose()) ? "yes" : "no").append(" | ")
          .append(num(r.outputs().stream().mapToDouble(OutputDiff::noiseFloor).filter(d -> !Double.isNaN(d)).max().orElse(Double.NaN)))
          .append(" | ").append(r.matches() ? "yes" : "no").append(" | ")
          .append(String.join("; ", notes).replace("|", "\\|")).append(" |\n");
    }
    return sb.toString();
  }

  private static String num(double d) {
    if (Double.isNaN(d)) return "–";
    if (d == 0) return "0";
    return String.format(Locale.ROOT, "%.2e", d);
  }
}
