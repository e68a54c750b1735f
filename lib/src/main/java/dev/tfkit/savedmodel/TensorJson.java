package dev.tfkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;

/**
 * JSON values (numbers, strings, booleans, nested arrays) to TensorFlow tensors of a signature's
 * dtype and shape, and tensors back to JSON — what {@code tfkit run} reads and prints.
 */
public final class TensorJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private TensorJson() {}

  /**
   * A tensor of {@code dtype} from a JSON value; the JSON nesting gives the shape, adjusted to the
   * signature's {@code shape} when the element count fits it (so {@code [1, 2]} feeds a
   * {@code [-1, 1]} input). {@code what} names the input in error messages. The caller closes it.
   */
  public static Tensor toTensor(String what, JsonNode json, DataType dtype, TensorShapeProto shape) {
    List<Long> dims = new ArrayList<>();
    List<JsonNode> leaves = new ArrayList<>();
    flatten(what, json, 0, dims, leaves);
    long[] s = dims.stream().mapToLong(Long::longValue).toArray();
    return build(what, leaves, dtype, fit(what, s, leaves.size(), shape));
  }

  /** Reshapes {@code given} to the signature's shape where ranks differ and the count fits. */
  static long[] fit(String what, long[] given, long count, TensorShapeProto want) {
    if (want == null || want.getUnknownRank()) return given;
    int rank = want.getDimCount();
    long[] w = new long[rank];
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < rank; i++) {
      w[i] = want.getDim(i).getSize();
      if (w[i] < 0) {
        if (unknown >= 0) unknown = -2; // two or more unknown dims: keep the JSON shape
        else if (unknown == -1) unknown = i;
      } else {
        known *= w[i];
      }
    }
    if (rank == given.length) {
      for (int i = 0; i < rank; i++) {
        if (w[i] >= 0 && w[i] != given[i]) {
          throw new IllegalArgumentException(what + ": shape " + Arrays.toString(given) + " does not fit the signature's " + Arrays.toString(w));
        }
      }
      return given;
    }
    if (unknown == -2) {
      throw new IllegalArgumentException(what + ": shape " + Arrays.toString(given) + " does not fit the signature's " + Arrays.toString(w));
    }
    if (unknown >= 0) {
      if (known == 0 || count % known != 0) {
        throw new IllegalArgumentException(what + ": " + count + " values do not fit the signature's shape " + Arrays.toString(w));
      }
      w[unknown] = count / known;
    } else if (known != count) {
      throw new IllegalArgumentException(what + ": " + count + " values do not fit the signature's shape " + Arrays.toString(w));
    }
    return w;
  }

  private static void flatten(String what, JsonNode n, int depth, List<Long> dims, List<JsonNode> leaves) {
    if (n.isArray()) {
      if (depth == dims.size()) dims.add((long) n.size());
      else if (dims.get(depth) != n.size()) {
        throw new IllegalArgumentException(what + ": ragged array (rows of " + dims.get(depth) + " and " + n.size() + " values at depth " + depth + ")");
      }
      for (JsonNode c : n) flatten(what, c, depth + 1, dims, leaves);
      if (n.isEmpty() && depth + 1 < dims.size()) {
        throw new IllegalArgumentException(what + ": ragged array (empty row at depth " + depth + ")");
      }
    } else {
      if (depth != dims.size()) throw new IllegalArgumentException(what + ": ragged array (a value where a row was expected)");
      if (!(n.isNumber() || n.isTextual() || n.isBoolean())) {
        throw new IllegalArgumentException(what + ": unsupported JSON value " + n);
      }
      leaves.add(n);
    }
  }

  private static Tensor build(String what, List<JsonNode> v, DataType dtype, long[] dims) {
    Shape shape = Shape.of(dims);
    int n = v.size();
    switch (Nodes.baseType(dtype)) {
      case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) number(what, v.get(i));
        var buf = DataBuffers.of(a, true, false);
        return dtype == DataType.DT_FLOAT ? TFloat32.tensorOf(shape, buf)
            : dtype == DataType.DT_HALF ? TFloat16.tensorOf(shape, buf) : TBfloat16.tensorOf(shape, buf);
      }
      case DT_DOUBLE -> {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = number(what, v.get(i));
        return TFloat64.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_INT32 -> {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = (int) integer(what, v.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE);
        return TInt32.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_INT64 -> {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = integer(what, v.get(i), Long.MIN_VALUE, Long.MAX_VALUE);
        return TInt64.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_UINT8 -> {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) a[i] = (byte) integer(what, v.get(i), 0, 255);
        return TUint8.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_UINT16 -> {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) a[i] = (short) integer(what, v.get(i), 0, 65535);
        return TUint16.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_BOOL -> {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          if (!v.get(i).isBoolean()) throw new IllegalArgumentException(what + ": expected true/false, got " + v.get(i));
          a[i] = v.get(i).booleanValue();
        }
        return TBool.tensorOf(shape, DataBuffers.of(a, true, false));
      }
      case DT_STRING -> {
        String[] a = new String[n];
        for (int i = 0; i < n; i++) a[i] = v.get(i).isTextual() ? v.get(i).textValue() : v.get(i).toString();
        return TString.tensorOf(shape, DataBuffers.ofObjects(a));
      }
      default -> throw new IllegalArgumentException(what + ": dtype " + dtype + " is not supported from JSON");
    }
  }

  private static double number(String what, JsonNode n) {
    if (!n.isNumber()) throw new IllegalArgumentException(what + ": expected a number, got " + n);
    return n.doubleValue();
  }

  private static long integer(String what, JsonNode n, long min, long max) {
    if (!n.isIntegralNumber() && !(n.isNumber() && n.doubleValue() == Math.rint(n.doubleValue()))) {
      throw new IllegalArgumentException(what + ": expected an integer, got " + n);
    }
    long x = n.longValue();
    if (x < min || x > max) throw new IllegalArgumentException(what + ": " + x + " is out of range [" + min + ", " + max + "]");
    return x;
  }

  /** A tensor as JSON: nested arrays in row-major order; strings as UTF-8 text. */
  public static JsonNode toJson(Tensor t) {
    long[] dims = t.shape().asArray();
    int n = (int) t.shape().size();
    List<JsonNode> flat = new ArrayList<>(n);
    switch (t.dataType()) {
      case DT_FLOAT, DT_HALF, DT_BFLOAT16 -> {
        float[] a = new float[n];
        if (t instanceof TFloat32 f) f.copyTo(DataBuffers.of(a, false, false));
        else if (t instanceof TFloat16 f) f.copyTo(DataBuffers.of(a, false, false));
        else ((TBfloat16) t).copyTo(DataBuffers.of(a, false, false));
        for (float x : a) flat.add(F.numberNode(x));
      }
      case DT_DOUBLE -> {
        double[] a = new double[n];
        ((TFloat64) t).copyTo(DataBuffers.of(a, false, false));
        for (double x : a) flat.add(F.numberNode(x));
      }
      case DT_INT32 -> {
        int[] a = new int[n];
        ((TInt32) t).copyTo(DataBuffers.of(a, false, false));
        for (int x : a) flat.add(F.numberNode(x));
      }
      case DT_INT64 -> {
        long[] a = new long[n];
        ((TInt64) t).copyTo(DataBuffers.of(a, false, false));
        for (long x : a) flat.add(F.numberNode(x));
      }
      case DT_UINT8 -> {
        byte[] a = new byte[n];
        ((TUint8) t).copyTo(DataBuffers.of(a, false, false));
        for (byte x : a) flat.add(F.numberNode(x & 0xff));
      }
      case DT_UINT16 -> {
        short[] a = new short[n];
        ((TUint16) t).copyTo(DataBuffers.of(a, false, false));
        for (short x : a) flat.add(F.numberNode(x & 0xffff));
      }
      case DT_BOOL -> {
        boolean[] a = new boolean[n];
        ((TBool) t).copyTo(DataBuffers.of(a, false, false));
        for (boolean x : a) flat.add(F.booleanNode(x));
      }
      case DT_STRING -> ((TString) t).asBytes().scalars()
          .forEach(s -> flat.add(F.textNode(new String(s.getObject(), StandardCharsets.UTF_8))));
      default -> throw new IllegalArgumentException("dtype " + t.dataType() + " cannot be shown as JSON");
    }
    if (dims.length == 0) return flat.get(0);
    return nest(flat, dims, 0, new int[] {0});
  }

  private static JsonNode nest(List<JsonNode> flat, long[] dims, int d, int[] pos) {
    ArrayNode a = F.arrayNode();
    for (long i = 0; i < dims[d]; i++) {
      if (d == dims.length - 1) a.add(flat.get(pos[0]++));
      else a.add(nest(flat, dims, d + 1, pos));
    }
    return a;
  }
}
