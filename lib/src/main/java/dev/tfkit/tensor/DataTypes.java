package dev.tfkit.tensor;

import java.util.Locale;
import org.tensorflow.proto.DataType;

/**
 * Facts about the TensorFlow dtypes tfkit carries: byte sizes, short names ({@code "float32"}) and
 * parsing from either spelling ({@code "DT_FLOAT"}, {@code "float32"}, {@code "float"}).
 */
public final class DataTypes {
  private DataTypes() {}

  private static final DataType[] SUPPORTED = {
    DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_BFLOAT16,
    DataType.DT_INT8, DataType.DT_INT16, DataType.DT_INT32, DataType.DT_INT64,
    DataType.DT_UINT8, DataType.DT_UINT16, DataType.DT_UINT32, DataType.DT_UINT64,
    DataType.DT_BOOL, DataType.DT_STRING, DataType.DT_COMPLEX64, DataType.DT_COMPLEX128
  };

  /** The dtypes tfkit converts, in a stable order (the ones TF Serving carries in a TensorProto). */
  public static DataType[] supported() {
    return SUPPORTED.clone();
  }

  /** Whether tfkit converts this dtype. */
  public static boolean isSupported(DataType dtype) {
    for (DataType d : SUPPORTED) if (d == dtype) return true;
    return false;
  }

  /**
   * Bytes per element in {@code tensor_content} (a complex64 element is 8 bytes: two float32);
   * 0 for {@code DT_STRING}, which has no fixed size.
   *
   * @throws IllegalArgumentException for a dtype tfkit does not convert
   */
  public static int byteSize(DataType dtype) {
    switch (require(dtype)) {
      case DT_BOOL:
      case DT_INT8:
      case DT_UINT8:
        return 1;
      case DT_HALF:
      case DT_BFLOAT16:
      case DT_INT16:
      case DT_UINT16:
        return 2;
      case DT_FLOAT:
      case DT_INT32:
      case DT_UINT32:
        return 4;
      case DT_DOUBLE:
      case DT_INT64:
      case DT_UINT64:
      case DT_COMPLEX64:
        return 8;
      case DT_COMPLEX128:
        return 16;
      case DT_STRING:
        return 0;
      default:
        throw unsupported(dtype);
    }
  }

  /** The short, NumPy-style name: {@code float32, float64, float16, bfloat16, int8 ... string, complex64}. */
  public static String name(DataType dtype) {
    switch (dtype) {
      case DT_FLOAT: return "float32";
      case DT_DOUBLE: return "float64";
      case DT_HALF: return "float16";
      case DT_BFLOAT16: return "bfloat16";
      case DT_INT8: return "int8";
      case DT_INT16: return "int16";
      case DT_INT32: return "int32";
      case DT_INT64: return "int64";
      case DT_UINT8: return "uint8";
      case DT_UINT16: return "uint16";
      case DT_UINT32: return "uint32";
      case DT_UINT64: return "uint64";
      case DT_BOOL: return "bool";
      case DT_STRING: return "string";
      case DT_COMPLEX64: return "complex64";
      case DT_COMPLEX128: return "complex128";
      default: return dtype.name();
    }
  }

  /**
   * Parses {@code "DT_FLOAT"}, {@code "float32"}, {@code "float"}, {@code "half"}, {@code "bytes"}
   * and the like, case-insensitively.
   *
   * @throws IllegalArgumentException naming the text when it is not a dtype tfkit converts
   */
  public static DataType parse(String text) {
    if (text == null) throw new IllegalArgumentException("dtype is null");
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("dt_")) {
      try {
        DataType d = DataType.valueOf(t.toUpperCase(Locale.ROOT));
        if (isSupported(d)) return d;
      } catch (IllegalArgumentException ignored) {
        // fall through to the common error below
      }
      throw new IllegalArgumentException(
          "unknown or unsupported dtype '" + text + "'; supported: " + supportedNames());
    }
    switch (t) {
      case "float": case "float32": case "f32": return DataType.DT_FLOAT;
      case "double": case "float64": case "f64": return DataType.DT_DOUBLE;
      case "half": case "float16": case "f16": return DataType.DT_HALF;
      case "bfloat16": case "bf16": return DataType.DT_BFLOAT16;
      case "int8": return DataType.DT_INT8;
      case "int16": case "short": return DataType.DT_INT16;
      case "int32": case "int": return DataType.DT_INT32;
      case "int64": case "long": return DataType.DT_INT64;
      case "uint8": return DataType.DT_UINT8;
      case "uint16": return DataType.DT_UINT16;
      case "uint32": return DataType.DT_UINT32;
      case "uint64": return DataType.DT_UINT64;
      case "bool": case "boolean": return DataType.DT_BOOL;
      case "string": case "bytes": case "str": return DataType.DT_STRING;
      case "complex64": return DataType.DT_COMPLEX64;
      case "complex128": return DataType.DT_COMPLEX128;
      default:
        throw new IllegalArgumentException(
            "unknown or unsupported dtype '" + text + "'; supported: " + supportedNames());
    }
  }

  /**
   * The plain dtype of a reference dtype ({@code DT_FLOAT_REF} → {@code DT_FLOAT}), as TensorFlow
   * reports variables' outputs in TF1 graphs; other dtypes are returned unchanged.
   */
  public static DataType base(DataType dtype) {
    if (dtype == null || dtype == DataType.UNRECOGNIZED) return dtype;
    int n = dtype.getNumber();
    if (n > 100) {
      DataType b = DataType.forNumber(n - 100);
      if (b != null) return b;
    }
    return dtype;
  }

  /** Whether values of this dtype are integers (signed or unsigned). */
  public static boolean isInteger(DataType dtype) {
    switch (dtype) {
      case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
      case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64:
        return true;
      default:
        return false;
    }
  }

  /** Whether values of this dtype are real floating point (half, bfloat16, float, double). */
  public static boolean isFloating(DataType dtype) {
    return dtype == DataType.DT_FLOAT || dtype == DataType.DT_DOUBLE
        || dtype == DataType.DT_HALF || dtype == DataType.DT_BFLOAT16;
  }

  /** Whether this dtype is complex64 or complex128. */
  public static boolean isComplex(DataType dtype) {
    return dtype == DataType.DT_COMPLEX64 || dtype == DataType.DT_COMPLEX128;
  }

  static DataType require(DataType dtype) {
    if (dtype == null) throw new IllegalArgumentException("dtype is null");
    if (!isSupported(dtype)) throw unsupported(dtype);
    return dtype;
  }

  static IllegalArgumentException unsupported(DataType dtype) {
    return new IllegalArgumentException(
        "dtype " + dtype + " is not supported; supported: " + supportedNames());
  }

  private static String supportedNames() {
    StringBuilder sb = new StringBuilder();
    for (DataType d : SUPPORTED) {
      if (sb.length() > 0) sb.append(", ");
      sb.append(name(d));
    }
    return sb.toString();
  }
}
