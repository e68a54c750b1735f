package dev.tfkit.tensor;

import java.util.List;
import org.tensorflow.proto.TensorShapeProto;

/** Shape arithmetic and formatting shared by the converters: checked element counts, index paths. */
final class Shapes {
  private Shapes() {}

  /**
   * The number of elements of {@code shape}, checked: at most {@link NativeLimits#MAX_RANK} dims, none negative, no overflow, and small
   * enough for a Java array. {@code what} names the source in messages.
   */
  static int elementCount(long[] shape, String what) {
    if (shape.length > NativeLimits.MAX_RANK) {
      throw new IllegalArgumentException(
          what + ": the shape has " + shape.length + " dimensions; TensorFlow allows at most "
              + NativeLimits.MAX_RANK);
    }
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(
            what + ": dimension " + i + " of shape " + toString(shape) + " is negative (" + shape[i]
                + "); a tensor value needs a fully known shape");
      }
      try {
        n = Math.multiplyExact(n, shape[i]);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            what + ": shape " + toString(shape) + " has more elements than a long can count");
      }
    }
    // Keep going after a 0 dim so later negative dims are still reported above.
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          what + ": shape " + toString(shape) + " has " + n + " elements, more than a Java array holds");
    }
    return (int) n;
  }

  static long[] fromProto(TensorShapeProto p, String what) {
    if (p.getUnknownRank()) {
      throw new IllegalArgumentException(what + ": tensor_shape has unknown_rank set; a value needs a known shape");
    }
    List<TensorShapeProto.Dim> dims = p.getDimList();
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) shape[i] = dims.get(i).getSize();
    return shape;
  }

  static TensorShapeProto toProto(long[] shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : shape) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return b.build();
  }

  static String toString(long[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) sb.append(',');
      sb.append(shape[i]);
    }
    return sb.append(']').toString();
  }

  /** {@code [1][2]} for the first {@code depth} indices, or {@code (top level)}. */
  static String path(int[] path, int depth) {
    if (depth == 0) return "(top level)";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < depth; i++) sb.append('[').append(path[i]).append(']');
    return sb.toString();
  }
}
