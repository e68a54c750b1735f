package dev.tfkit.server.tensorflow;

import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.NativeLimits;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Checks request tensors against a signature before any byte reaches native code: input names,
 * dtype, shape, value count against the shape, packed-content length, and a size limit. Each
 * problem is an INVALID_ARGUMENT that names the input and what is wrong.
 */
public final class InputValidator {
  /** Default ceiling for one input tensor's decoded size. */
  public static final long DEFAULT_MAX_TENSOR_BYTES = 1L << 30;
  /** How much of a list of the request's input names an error repeats. */
  private static final int LISTED_NAMES_CHARS = 400;

  private final long maxTensorBytes;

  public InputValidator(long maxTensorBytes) {
    if (maxTensorBytes <= 0) {
      throw new IllegalArgumentException("maxTensorBytes must be positive: " + maxTensorBytes);
    }
    this.maxTensorBytes = maxTensorBytes;
  }

  public InputValidator() {
    this(DEFAULT_MAX_TENSOR_BYTES);
  }

  /** The dtype a value of {@code dtype} has when fed or fetched: {@code DT_FLOAT_REF} is float. */
  public static DataType baseType(DataType dtype) {
    return DataTypes.base(dtype);
  }

  /**
   * Checks that {@code inputs} fits {@code signature}: the same names (TF Serving's wording when
   * they differ), then each tensor.
   */
  public void validate(SignatureDef signature, Map<String, TensorProto> inputs) {
    validate(signature, inputs, false);
  }

  /**
   * As {@link #validate(SignatureDef, Map)}; with {@code padded} (batching with {@code
   * pad_variable_length_inputs}), a tensor whose dimensions past the first are smaller than the
   * signature's fits too, as padding grows it to them (TF Serving's batching session).
   */
  public void validate(SignatureDef signature, Map<String, TensorProto> inputs, boolean padded) {
    Map<String, TensorInfo> expected = signature.getInputsMap();
    if (!inputs.keySet().equals(expected.keySet())) {
      Set<String> sent = new TreeSet<>(inputs.keySet());
      Set<String> want = new TreeSet<>(expected.keySet());
      Set<String> extra = new TreeSet<>(sent);
      extra.removeAll(want);
      Set<String> missing = new TreeSet<>(want);
      missing.removeAll(sent);
      throw RequestException.invalidArgument(
          "input size does not match signature: "
              + sent.size()
              + "!="
              + want.size()
              + " len({"
              + RequestException.echo(String.join(",", sent), LISTED_NAMES_CHARS)
              + "}) != len({"
              + String.join(",", want)
              + "}). Sent extra: {"
              + RequestException.echo(String.join(",", extra), LISTED_NAMES_CHARS)
              + "}. Missing but required: {"
              + String.join(",", missing)
              + "}.");
    }
    for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
      validate(e.getKey(), expected.get(e.getKey()), e.getValue(), padded);
    }
  }

  /** Checks one tensor against its signature entry; returns its element count. */
  public long validate(String name, TensorInfo info, TensorProto t) {
    return validate(name, info, t, false);
  }

  private long validate(String name, TensorInfo info, TensorProto t, boolean padded) {
    DataType want = baseType(info.getDtype());
    DataType got = t.getDtype();
    if (got != want) {
      throw bad(name, "expected dtype " + want + " but got " + got);
    }
    if (t.getTensorShape().getUnknownRank()) {
      throw bad(name, "the tensor's shape has unknown rank; a request tensor needs a full shape");
    }
    long elements = checkShape(name, t.getTensorShape());
    if (info.hasTensorShape()
        && !info.getTensorShape().getUnknownRank()
        && !compatible(t.getTensorShape(), info.getTensorShape())
        && !(padded && paddable(t.getTensorShape(), info.getTensorShape()))) {
      throw bad(
          name,
          "shape "
              + shapeString(t.getTensorShape())
              + " is not compatible with the signature's shape "
              + shapeString(info.getTensorShape()));
    }
    checkValues(name, t, elements);
    return elements;
  }

  /** The same rank, and past the first dimension none larger than the signature fixes. */
  static boolean paddable(TensorShapeProto got, TensorShapeProto want) {
    if (got.getDimCount() != want.getDimCount()) {
      return false;
    }
    for (int i = 1; i < want.getDimCount(); i++) {
      long w = want.getDim(i).getSize();
      if (w >= 0 && got.getDim(i).getSize() > w) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a request shape fits a signature shape: the same dimensions where the signature knows
   * them, after dropping size-1 dimensions on both sides (a free dimension may also be a 1). TensorFlow itself does not check fed
   * shapes against a signature, and TF Serving's own examples send {@code [3]} to a {@code [-1,1]}
   * input; dropping 1s accepts exactly such layouts while refusing real mismatches.
   */
  static boolean compatible(TensorShapeProto got, TensorShapeProto want) {
    if (got.getDimCount() == want.getDimCount()) {
      boolean ok = true;
      for (int i = 0; ok && i < want.getDimCount(); i++) {
        long d = want.getDim(i).getSize();
        ok = d < 0 || d == got.getDim(i).getSize();
      }
      if (ok) {
        return true;
      }
    }
    long[] g = got.getDimList().stream().mapToLong(d -> d.getSize()).filter(d -> d != 1).toArray();
    long[] w = want.getDimList().stream().mapToLong(d -> d.getSize()).filter(d -> d != 1).toArray();
    // fits[i][j]: got dims i.. can be matched by want dims j.. (a -1 may match one dim or be a 1).
    boolean[][] fits = new boolean[g.length + 1][w.length + 1];
    fits[g.length][w.length] = true;
    for (int i = g.length; i >= 0; i--) {
      for (int j = w.length - 1; j >= 0; j--) {
        boolean match = i < g.length && (w[j] < 0 || w[j] == g[i]) && fits[i + 1][j + 1];
        boolean skip = w[j] < 0 && fits[i][j + 1];
        fits[i][j] = match || skip;
      }
    }
    return fits[0][0];
  }

  private long checkShape(String name, TensorShapeProto shape) {
    try {
      return NativeLimits.checkShape(shape, false, "input '" + name + "'");
    } catch (IllegalArgumentException e) {
      throw RequestException.invalidArgument(e.getMessage());
    }
  }

  private void checkValues(String name, TensorProto t, long elements) {
    DataType dt = t.getDtype();
    if (dt == DataType.DT_STRING) {
      if (!t.getTensorContent().isEmpty()) {
        throw bad(name, "DT_STRING values must be in string_val, not tensor_content");
      }
      requireCount(name, "string_val", t.getStringValCount(), elements);
      long bytes = 0;
      for (int i = 0; i < t.getStringValCount(); i++) {
        bytes += t.getStringVal(i).size();
      }
      checkSize(name, bytes);
      return;
    }
    int width = byteWidth(dt);
    if (width == 0) {
      throw bad(name, "dtype " + dt + " is not supported in requests");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(elements, width);
    } catch (ArithmeticException overflow) {
      throw bad(name, "shape " + shapeString(t.getTensorShape()) + " is too large");
    }
    checkSize(name, bytes);
    String field = typedField(dt);
    int typed = typedCount(t, dt);
    int others = totalTypedCount(t) - typed;
    if (others > 0) {
      throw bad(name, dt + " values must be in " + field + " or tensor_content");
    }
    if (!t.getTensorContent().isEmpty()) {
      if (typed > 0) {
        throw bad(name, "has both tensor_content and " + field + "; send one");
      }
      if (t.getTensorContent().size() != bytes) {
        throw bad(
            name,
            "tensor_content has "
                + t.getTensorContent().size()
                + " bytes but shape "
                + shapeString(t.getTensorShape())
                + " of "
                + dt
                + " needs "
                + bytes
                + " (truncated or padded)");
      }
      return;
    }
    long perElement = (dt == DataType.DT_COMPLEX64 || dt == DataType.DT_COMPLEX128) ? 2 : 1;
    requireCount(name, field, typed, elements * perElement);
  }

  private static void requireCount(String name, String field, long have, long need) {
    if (have != need) {
      throw bad(name, "its shape needs " + need + " values but " + field + " has " + have);
    }
  }

  private void checkSize(String name, long bytes) {
    if (bytes > maxTensorBytes) {
      throw bad(
          name, "is " + bytes + " bytes, more than the limit of " + maxTensorBytes + " bytes");
    }
  }

  private static RequestException bad(String name, String what) {
    return RequestException.invalidArgument("input '" + RequestException.echo(name) + "': " + what);
  }

  static String shapeString(TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return "<unknown rank>";
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < s.getDimCount(); i++) {
      sb.append(i == 0 ? "" : ",").append(s.getDim(i).getSize());
    }
    return sb.append(']').toString();
  }

  /** Bytes per element in tensor_content; 0 for dtypes requests cannot carry. */
  static int byteWidth(DataType dt) {
    return switch (dt) {
      case DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN, DT_INT4, DT_UINT4 -> 0;
      default -> NativeLimits.byteWidth(dt);
    };
  }

  static String typedField(DataType dt) {
    return switch (dt) {
      case DT_FLOAT -> "float_val";
      case DT_DOUBLE -> "double_val";
      case DT_INT64 -> "int64_val";
      case DT_UINT32 -> "uint32_val";
      case DT_UINT64 -> "uint64_val";
      case DT_BOOL -> "bool_val";
      case DT_HALF, DT_BFLOAT16 -> "half_val";
      case DT_COMPLEX64 -> "scomplex_val";
      case DT_COMPLEX128 -> "dcomplex_val";
      case DT_STRING -> "string_val";
      default -> "int_val";
    };
  }

  private static int typedCount(TensorProto t, DataType dt) {
    return switch (dt) {
      case DT_FLOAT -> t.getFloatValCount();
      case DT_DOUBLE -> t.getDoubleValCount();
      case DT_INT64 -> t.getInt64ValCount();
      case DT_UINT32 -> t.getUint32ValCount();
      case DT_UINT64 -> t.getUint64ValCount();
      case DT_BOOL -> t.getBoolValCount();
      case DT_HALF, DT_BFLOAT16 -> t.getHalfValCount();
      case DT_COMPLEX64 -> t.getScomplexValCount();
      case DT_COMPLEX128 -> t.getDcomplexValCount();
      case DT_STRING -> t.getStringValCount();
      default -> t.getIntValCount();
    };
  }

  private static int totalTypedCount(TensorProto t) {
    return t.getFloatValCount()
        + t.getDoubleValCount()
        + t.getInt64ValCount()
        + t.getUint32ValCount()
        + t.getUint64ValCount()
        + t.getBoolValCount()
        + t.getHalfValCount()
        + t.getScomplexValCount()
        + t.getDcomplexValCount()
        + t.getStringValCount()
        + t.getIntValCount()
        + t.getResourceHandleValCount()
        + t.getVariantValCount();
  }
}
