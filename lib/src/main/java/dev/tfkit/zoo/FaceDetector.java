package dev.tfkit.zoo;

import dev.tfkit.graph.ModelGraph;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.NonMaxSuppression;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * The {@code face_detection} model: BlazeFace (the 256×256 full-size variant that
 * {@code @vladmandic/human} ships as {@code models/blazeface.json}) with its pre- and
 * post-processing added as TensorFlow ops, so that the graph answers like a TF Object Detection
 * API model: input {@code input_images} uint8 [1, H, W, 3] of any size, outputs {@code boxes}
 * [1, N, 4] (normalized ymin, xmin, ymax, xmax), {@code scores} [1, N], {@code classes} [1, N]
 * (1 = face) and {@code num_detections} [1]. The same outputs answer {@code image_bytes}, string
 * [1]: one encoded JPEG, PNG, GIF or BMP photo, decoded in the graph ({@code DecodeImage}, 3
 * channels) — what a REST client sends as {@code {"b64": ...}} instead of every pixel as a JSON
 * number. {@code input_images} is a {@code PlaceholderWithDefault} over the decoded bytes: fed, it
 * cuts the decoding off; not fed, the bytes are decoded.
 *
 * <p>Why this detector: the sample photos are group photos of 3–5 people whose faces fill a few
 * percent of the frame. BlazeFace's front-camera variant (128×128) only finds faces that fill much
 * of its input; the 256×256 variant, with 896 anchors on 16×16 and 8×8 grids, finds them.
 *
 * <p>Inside the graph: the image is padded to a square at the bottom and right (so faces keep
 * their shape), resized to 256×256 and scaled to [-1, 1]; box offsets are decoded against the
 * anchor centres, scores go through a sigmoid, and non-max suppression keeps the best boxes, which
 * are mapped back to the unpadded image.
 */
public final class FaceDetector {
  /** The npm package that holds the detector. */
  public static final String PACKAGE = "@vladmandic/human";
  /** Its version. */
  public static final String VERSION = "3.3.6";
  /** The TF.js graph model inside the package. */
  public static final String MODEL = "models/blazeface.json";

  private static final int SIZE = 256;
  private static final String PREFIX = "detector";

  /** Post-processing settings. */
  public record Options(int maxDetections, float iouThreshold, float scoreThreshold) {
    public Options {
      if (maxDetections < 1) throw new IllegalArgumentException("maxDetections must be >= 1, was " + maxDetections);
      if (!(iouThreshold > 0 && iouThreshold <= 1)) {
        throw new IllegalArgumentException("iouThreshold must be in (0, 1], was " + iouThreshold);
      }
      if (!(scoreThreshold >= 0 && scoreThreshold < 1)) {
        throw new IllegalArgumentException("scoreThreshold must be in [0, 1), was " + scoreThreshold);
      }
    }

    /** 20 detections, IoU 0.3, score 0.5. */
    public static Options defaults() {
      return new Options(20, 0.3f, 0.5f);
    }
  }

  private FaceDetector() {}

  /** The raw BlazeFace graph model from the npm package (fetched into the cache on first use). */
  public static Path modelFile() {
    return NpmPackages.file(PACKAGE, VERSION, MODEL);
  }

  /** The complete detection graph with default options. */
  public static ModelGraph build() {
    try (ModelGraph raw = ModelGraph.load(modelFile())) {
      return ModelGraph.of(graphDef(raw.graphDef(), Options.defaults()));
    }
  }

  /**
   * The detection graph around {@code blazeface} (the raw model's GraphDef: placeholder {@code
   * input} float [1, 256, 256, 3]; outputs {@code Identity} and {@code Identity_1} (scores of the
   * 16×16 and 8×8 grids), {@code Identity_2} and {@code Identity_3} (their box regressions)).
   */
  public static GraphDef graphDef(GraphDef blazeface, Options options) {
    // Pre-processing: pad to a square (bottom/right), resize, scale to [-1, 1].
    GraphDef pre;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TString> bytes =
          tf.withName("image_bytes").placeholder(TString.class, Placeholder.shape(Shape.of(1)));
      Ops d = tf.withSubScope("decode");
      Operand<TUint8> decoded =
          d.expandDims(
              d.image.decodeImage(
                  d.reshape(bytes, d.constant(new int[] {})), TUint8.class,
                  DecodeImage.channels(3L), DecodeImage.expandAnimations(false)),
              d.constant(0));
      Operand<TUint8> images =
          tf.withName("input_images").placeholderWithDefault(decoded, Shape.of(1, -1, -1, 3));
      Ops p = tf.withSubScope("preprocess");
      Operand<TFloat32> x = p.dtypes.cast(images, TFloat32.class);
      Operand<TInt32> shape = p.shape(x);
      Operand<TInt32> h = p.withName("height").reshape(p.slice(shape, p.constant(new int[] {1}), p.constant(new int[] {1})), p.constant(new int[] {}));
      Operand<TInt32> w = p.withName("width").reshape(p.slice(shape, p.constant(new int[] {2}), p.constant(new int[] {1})), p.constant(new int[] {}));
      Operand<TInt32> side = p.withName("side").math.maximum(h, w);
      Operand<TInt32> zero = p.constant(0);
      Operand<TInt32> paddings =
          p.reshape(
              p.stack(List.of(zero, zero, zero, p.math.sub(side, h), zero, p.math.sub(side, w), zero, zero)),
              p.constant(new int[] {4, 2}));
      Operand<TFloat32> square = p.pad(x, paddings, p.constant(0f));
      Operand<TFloat32> resized = p.image.resizeBilinear(square, p.constant(new int[] {SIZE, SIZE}));
      p.withName("normalized").math.sub(p.math.div(resized, p.constant(127.5f)), p.constant(1f));
      pre = g.toGraphDef();
    }

    // BlazeFace behind it: its input placeholder's readers read the normalized image.
    GraphDef spliced;
    try (ModelGraph preprocess = ModelGraph.of(pre);
        ModelGraph model = ModelGraph.of(blazeface);
        ModelGraph joined = preprocess.splice(model, PREFIX, Map.of("input:0", "preprocess/normalized:0"))) {
      spliced = joined.graphDef();
    }

    // Post-processing on its outputs.
    try (Graph g = new Graph()) {
      g.importGraphDef(spliced);
      Ops tf = Ops.create(g);
      Operand<TInt32> h = output(g, "preprocess/height");
      Operand<TInt32> w = output(g, "preprocess/width");
      Operand<TInt32> side = output(g, "preprocess/side");
      Ops post = tf.withSubScope("postprocess");
      Operand<TFloat32> scores1 = output(g, PREFIX + "/Identity");
      Operand<TFloat32> scores2 = output(g, PREFIX + "/Identity_1");
      Operand<TFloat32> regs1 = output(g, PREFIX + "/Identity_2");
      Operand<TFloat32> regs2 = output(g, PREFIX + "/Identity_3");
      Operand<TFloat32> logits =
          post.reshape(post.concat(List.of(scores1, scores2), post.constant(1)), post.constant(new int[] {-1}));
      Operand<TFloat32> regs =
          post.reshape(post.concat(List.of(regs1, regs2), post.constant(1)), post.constant(new int[] {-1, 16}));

      // Box centre offsets and sizes are in input pixels; anchors are cell centres in [0, 1].
      float[][] anchorData = anchors();
      if (anchorData.length != 896) throw new IllegalStateException("expected 896 anchors, made " + anchorData.length);
      Operand<TFloat32> anchors = post.constant(anchorData);
      Operand<TFloat32> offsets = post.slice(regs, post.constant(new int[] {0, 0}), post.constant(new int[] {-1, 2}));
      Operand<TFloat32> sizes = post.slice(regs, post.constant(new int[] {0, 2}), post.constant(new int[] {-1, 2}));
      Operand<TFloat32> size = post.constant((float) SIZE);
      Operand<TFloat32> centres = post.math.add(post.math.div(offsets, size), anchors); // (cx, cy)
      Operand<TFloat32> half = post.math.div(post.math.div(sizes, size), post.constant(2f)); // (w/2, h/2)
      Operand<TInt32> flip = post.constant(new int[] {1});
      Operand<TFloat32> mins = post.reverse(post.math.sub(centres, half), flip); // (ymin, xmin)
      Operand<TFloat32> maxs = post.reverse(post.math.add(centres, half), flip); // (ymax, xmax)
      Operand<TFloat32> squareBoxes = post.concat(List.of(mins, maxs), post.constant(1));

      // From the padded square back to the image: y * side / h, x * side / w.
      Operand<TFloat32> sideF = post.dtypes.cast(side, TFloat32.class);
      Operand<TFloat32> sy = post.math.div(sideF, post.dtypes.cast(h, TFloat32.class));
      Operand<TFloat32> sx = post.math.div(sideF, post.dtypes.cast(w, TFloat32.class));
      Operand<TFloat32> scale = post.stack(List.of(sy, sx, sy, sx));
      Operand<TFloat32> boxes =
          post.clipByValue(post.math.mul(squareBoxes, scale), post.constant(0f), post.constant(1f));
      Operand<TFloat32> scores =
          post.math.sigmoid(post.clipByValue(logits, post.constant(-100f), post.constant(100f)));

      NonMaxSuppression<TFloat32> nms =
          post.image.nonMaxSuppression(
              boxes,
              scores,
              post.constant(options.maxDetections()),
              post.constant(options.iouThreshold()),
              post.constant(options.scoreThreshold()),
              post.constant(0f),
              NonMaxSuppression.padToMaxOutputSize(true));
      Operand<TInt32> valid = nms.validOutputs();
      Operand<TFloat32> keep =
          post.dtypes.cast(
              post.math.less(post.range(post.constant(0), post.constant(options.maxDetections()), post.constant(1)), valid),
              TFloat32.class);
      Operand<TFloat32> selBoxes =
          post.math.mul(post.gather(boxes, nms.selectedIndices(), post.constant(0)), post.expandDims(keep, post.constant(1)));
      Operand<TFloat32> selScores = post.math.mul(post.gather(scores, nms.selectedIndices(), post.constant(0)), keep);
      Operand<TInt32> batch = post.constant(0);
      tf.withName("boxes").expandDims(selBoxes, batch);
      tf.withName("scores").expandDims(selScores, batch);
      tf.withName("classes").expandDims(keep, batch);
      tf.withName("num_detections").reshape(post.dtypes.cast(valid, TFloat32.class), post.constant(new int[] {1}));

      return g.toGraphDef();
    }
  }

  private static <T extends TType> Operand<T> output(Graph g, String node) {
    GraphOperation op = g.operation(node);
    if (op == null) throw new IllegalArgumentException("the detection graph has no node '" + node + "'");
    return op.output(0);
  }

  /**
   * Anchor centres of the 256×256 BlazeFace: 2 per cell on the 16×16 grid (stride 16), then 6 per
   * cell on the 8×8 grid (stride 32) — MediaPipe's SSD anchor layout with fixed anchor size.
   */
  static float[][] anchors() {
    List<float[]> out = new ArrayList<>();
    int[][] layers = {{16, 2}, {32, 6}};
    for (int[] layer : layers) {
      int n = SIZE / layer[0];
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          for (int k = 0; k < layer[1]; k++) out.add(new float[] {(x + 0.5f) / n, (y + 0.5f) / n});
        }
      }
    }
    return out.toArray(new float[0][]);
  }
}
