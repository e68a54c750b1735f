package dev.tfkit.zoo;

import java.util.Arrays;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * A cartoon <em>filter</em> made of plain TensorFlow ops — smoothing, colour quantisation and dark
 * edges — the default {@code stylizer} when no image-to-image model (such as a selfie2anime
 * generator) is given. It is a filter, not a GAN: it learns nothing and knows nothing of faces.
 *
 * <p>Input {@code input_images} uint8 [1, H, W, 3]; output {@code output_images} uint8 of the same
 * shape.
 */
public final class CartoonFilter {
  /** The input tensor's node name. */
  public static final String INPUT = "input_images";
  /** The output tensor's node name. */
  public static final String OUTPUT = "output_images";

  private final int levels;
  private final float edgeThreshold;

  private CartoonFilter(int levels, float edgeThreshold) {
    this.levels = levels;
    this.edgeThreshold = edgeThreshold;
  }

  /** The default filter: 6 levels per channel, edges where the Sobel magnitude exceeds 120. */
  public static CartoonFilter standard() {
    return new CartoonFilter(6, 120f);
  }

  /** A filter with {@code levels} colour levels per channel (2..64) and the given edge threshold. */
  public static CartoonFilter of(int levels, float edgeThreshold) {
    if (levels < 2 || levels > 64) {
      throw new IllegalArgumentException("levels must be in 2..64, was " + levels);
    }
    if (!(edgeThreshold > 0)) {
      throw new IllegalArgumentException("edgeThreshold must be > 0, was " + edgeThreshold);
    }
    return new CartoonFilter(levels, edgeThreshold);
  }

  public int levels() {
    return levels;
  }

  /**
   * Adds the filter to {@code graph}: a placeholder {@link #INPUT} and an identity {@link #OUTPUT}.
   */
  public void addTo(Graph graph) {
    Ops tf = Ops.create(graph);
    Placeholder<TUint8> in =
        tf.withName(INPUT).placeholder(TUint8.class, Placeholder.shape(Shape.of(1, -1, -1, 3)));
    tf.withName(OUTPUT).identity(apply(tf, in));
  }

  /** The filtered images for uint8 [N, H, W, 3] {@code images}, as ops in {@code tf}'s graph. */
  public Operand<TUint8> apply(Ops tf, Operand<TUint8> images) {
    List<Long> ones = List.of(1L, 1L, 1L, 1L);
    List<Long> k3 = List.of(1L, 3L, 3L, 1L);
    Operand<TFloat32> x = tf.dtypes.cast(images, TFloat32.class);
    Operand<TFloat32> smooth = tf.nn.avgPool(tf.nn.avgPool(x, k3, ones, "SAME"), k3, ones, "SAME");

    // Colour quantisation: each channel snapped to the centre of one of `levels` bins.
    float step = 256f / levels;
    Operand<TFloat32> bins = tf.math.floor(tf.math.div(smooth, tf.constant(step)));
    Operand<TFloat32> quant = tf.math.add(tf.math.mul(bins, tf.constant(step)), tf.constant(step / 2));

    // Edges: Sobel magnitude of the luminance, turned into a soft dark mask.
    float[][][][] lum = {{{{0.299f}, {0.587f}, {0.114f}}}};
    Operand<TFloat32> gray = tf.nn.conv2d(smooth, tf.constant(lum), ones, "SAME");
    Operand<TFloat32> gx = tf.nn.conv2d(gray, tf.constant(sobel(false)), ones, "SAME");
    Operand<TFloat32> gy = tf.nn.conv2d(gray, tf.constant(sobel(true)), ones, "SAME");
    Operand<TFloat32> mag = tf.math.sqrt(tf.math.add(tf.math.square(gx), tf.math.square(gy)));
    Operand<TFloat32> edge =
        tf.math.sigmoid(tf.math.div(tf.math.sub(mag, tf.constant(edgeThreshold)), tf.constant(10f)));
    Operand<TFloat32> keep = tf.math.sub(tf.constant(1f), edge);

    Operand<TFloat32> out =
        tf.clipByValue(tf.math.round(tf.math.mul(quant, keep)), tf.constant(0f), tf.constant(255f));
    return tf.dtypes.cast(out, TUint8.class);
  }

  private static float[][][][] sobel(boolean vertical) {
    float[][] k = vertical
        ? new float[][] {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}
        : new float[][] {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
    float[][][][] f = new float[3][3][1][1];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) f[i][j][0][0] = k[i][j];
    }
    return f;
  }

  @Override
  public String toString() {
    return "CartoonFilter(levels=" + levels + ", edgeThreshold=" + edgeThreshold + ") "
        + Arrays.toString(new String[] {INPUT, OUTPUT});
  }
}
