package dev.tfkit.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * Reads and writes {@link TensorProto}: packed {@code tensor_content} or the typed repeated fields,
 * with TensorFlow's rules for the latter (no values means zeros, fewer values than elements repeat
 * the last one).
 */
final class ProtoCodec {
  private ProtoCodec() {}

  static TensorValue decode(TensorProto p) {
    return decode(p, true);
  }

  /**
   * The value of {@code p}; with {@code strict} false it reads only what TensorFlow's {@code
   * Tensor::FromProto} reads ({@code tensor_content} when present, else the dtype's own field) and
   * ignores values in other fields, as graph feeds and variables always have.
   */
  static TensorValue decode(TensorProto p, boolean strict) {
    if (p == null) throw new IllegalArgumentException("TensorProto is null");
    DataType dtype = p.getDtype();
    if (!DataTypes.isSupported(dtype)) {
      throw new IllegalArgumentException(
          "TensorProto dtype " + (dtype == DataType.UNRECOGNIZED ? "number " + p.getDtypeValue() : dtype)
              + " is not supported; supported: float32, float64, float16, bfloat16, int8..int64,"
              + " uint8..uint64, bool, string, complex64, complex128");
    }
    String what = "TensorProto " + DataTypes.name(dtype);
    long[] shape = Shapes.fromProto(p.getTensorShape(), what);
    int count = Shapes.elementCount(shape, what);
    if (strict) checkOnlyField(p, dtype);
    if (dtype == DataType.DT_STRING) {
      if (strict && !p.getTensorContent().isEmpty()) {
        throw new IllegalArgumentException(what + Shapes.toString(shape)
            + ": string tensors carry values in string_val, not tensor_content");
      }
      int n = p.getStringValCount();
      if (n > count) throw tooMany(what, shape, "string_val", n, count);
      List<ByteString> out = new ArrayList<>(count);
      out.addAll(p.getStringValList());
      ByteString last = n == 0 ? ByteString.EMPTY : out.get(n - 1);
      while (out.size() < count) out.add(last);
      return TensorValue.ofStrings(shape, out);
    }
    int size = DataTypes.byteSize(dtype);
    long expectedBytes = (long) count * size;
    ByteString content = p.getTensorContent();
    if (!content.isEmpty()) {
      if (content.size() != expectedBytes) {
        throw new IllegalArgumentException(
            what + Shapes.toString(shape) + ": tensor_content has " + content.size() + " bytes, expected "
                + expectedBytes + " (" + count + " elements x " + size + " bytes)"
                + (content.size() < expectedBytes ? "; it is truncated" : ""));
      }
      return TensorValue.ofContent(dtype, shape, content);
    }
    if (expectedBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(what + Shapes.toString(shape) + " is larger than 2 GiB");
    }
    ByteBuffer b = ByteBuffer.allocate((int) expectedBytes).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case DT_FLOAT: {
        int n = p.getFloatValCount();
        check(what, shape, "float_val", n, count);
        if (n == count) {
          // Every value present (TF Serving's answers): a tight loop, then one bulk copy.
          float[] v = new float[count];
          for (int i = 0; i < count; i++) v[i] = p.getFloatVal(i);
          b.asFloatBuffer().put(v);
          break;
        }
        for (int i = 0; i < count; i++) b.putFloat(n == 0 ? 0f : p.getFloatVal(Math.min(i, n - 1)));
        break;
      }
      case DT_DOUBLE: {
        int n = p.getDoubleValCount();
        check(what, shape, "double_val", n, count);
        if (n == count) {
          double[] v = new double[count];
          for (int i = 0; i < count; i++) v[i] = p.getDoubleVal(i);
          b.asDoubleBuffer().put(v);
          break;
        }
        for (int i = 0; i < count; i++) b.putDouble(n == 0 ? 0d : p.getDoubleVal(Math.min(i, n - 1)));
        break;
      }
      case DT_HALF:
      case DT_BFLOAT16: {
        int n = p.getHalfValCount();
        check(what, shape, "half_val", n, count);
        for (int i = 0; i < count; i++) b.putShort((short) (n == 0 ? 0 : p.getHalfVal(Math.min(i, n - 1))));
        break;
      }
      case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32: {
        int n = p.getIntValCount();
        check(what, shape, "int_val", n, count);
        if (n == count && size == 4) {
          int[] v = new int[count];
          for (int i = 0; i < count; i++) v[i] = p.getIntVal(i);
          b.asIntBuffer().put(v);
          break;
        }
        for (int i = 0; i < count; i++) {
          int v = n == 0 ? 0 : p.getIntVal(Math.min(i, n - 1));
          if (size == 1) b.put((byte) v);
          else if (size == 2) b.putShort((short) v);
          else b.putInt(v);
        }
        break;
      }
      case DT_INT64: {
        int n = p.getInt64ValCount();
        check(what, shape, "int64_val", n, count);
        if (n == count) {
          long[] v = new long[count];
          for (int i = 0; i < count; i++) v[i] = p.getInt64Val(i);
          b.asLongBuffer().put(v);
          break;
        }
        for (int i = 0; i < count; i++) b.putLong(n == 0 ? 0L : p.getInt64Val(Math.min(i, n - 1)));
        break;
      }
      case DT_UINT32: {
        int n = p.getUint32ValCount();
        check(what, shape, "uint32_val", n, count);
        for (int i = 0; i < count; i++) b.putInt(n == 0 ? 0 : p.getUint32Val(Math.min(i, n - 1)));
        break;
      }
      case DT_UINT64: {
        int n = p.getUint64ValCount();
        check(what, shape, "uint64_val", n, count);
        for (int i = 0; i < count; i++) b.putLong(n == 0 ? 0L : p.getUint64Val(Math.min(i, n - 1)));
        break;
      }
      case DT_BOOL: {
        int n = p.getBoolValCount();
        check(what, shape, "bool_val", n, count);
        for (int i = 0; i < count; i++) b.put((byte) (n != 0 && p.getBoolVal(Math.min(i, n - 1)) ? 1 : 0));
        break;
      }
      case DT_COMPLEX64: {
        int n = p.getScomplexValCount();
        checkPairs(what, shape, "scomplex_val", n, count);
        int pairs = n / 2;
        for (int i = 0; i < count; i++) {
          int j = Math.min(i, pairs - 1);
          b.putFloat(pairs == 0 ? 0f : p.getScomplexVal(2 * j));
          b.putFloat(pairs == 0 ? 0f : p.getScomplexVal(2 * j + 1));
        }
        break;
      }
      case DT_COMPLEX128: {
        int n = p.getDcomplexValCount();
        checkPairs(what, shape, "dcomplex_val", n, count);
        int pairs = n / 2;
        for (int i = 0; i < count; i++) {
          int j = Math.min(i, pairs - 1);
          b.putDouble(pairs == 0 ? 0d : p.getDcomplexVal(2 * j));
          b.putDouble(pairs == 0 ? 0d : p.getDcomplexVal(2 * j + 1));
        }
        break;
      }
      default:
        throw DataTypes.unsupported(dtype);
    }
    return TensorValue.ofContent(dtype, shape, UnsafeByteOperations.unsafeWrap(b.array()));
  }

  private static void check(String what, long[] shape, String field, int n, int count) {
    if (n > count) throw tooMany(what, shape, field, n, count);
  }

  private static void checkPairs(String what, long[] shape, String field, int n, int count) {
    if (n % 2 != 0) {
      throw new IllegalArgumentException(
          what + Shapes.toString(shape) + ": " + field + " has " + n
              + " values; it needs (real, imaginary) pairs, an even count");
    }
    if (n / 2 > count) throw tooMany(what, shape, field + " pairs", n / 2, count);
  }

  private static IllegalArgumentException tooMany(String what, long[] shape, String field, int n, int count) {
    return new IllegalArgumentException(
        what + Shapes.toString(shape) + ": " + field + " has " + n + " values but the shape holds " + count);
  }

  /** Refuses values in a field that does not belong to the dtype (a sign of a mislabelled tensor). */
  private static void checkOnlyField(TensorProto p, DataType dtype) {
    String own = typedField(dtype);
    String[][] fields = {
      {"float_val", String.valueOf(p.getFloatValCount())},
      {"double_val", String.valueOf(p.getDoubleValCount())},
      {"half_val", String.valueOf(p.getHalfValCount())},
      {"int_val", String.valueOf(p.getIntValCount())},
      {"int64_val", String.valueOf(p.getInt64ValCount())},
      {"uint32_val", String.valueOf(p.getUint32ValCount())},
      {"uint64_val", String.valueOf(p.getUint64ValCount())},
      {"bool_val", String.valueOf(p.getBoolValCount())},
      {"string_val", String.valueOf(p.getStringValCount())},
      {"scomplex_val", String.valueOf(p.getScomplexValCount())},
      {"dcomplex_val", String.valueOf(p.getDcomplexValCount())},
    };
    for (String[] f : fields) {
      if (!f[0].equals(own) && !"0".equals(f[1])) {
        throw new IllegalArgumentException(
            "TensorProto " + DataTypes.name(dtype) + " carries " + f[1] + " values in " + f[0] + "; a "
                + DataTypes.name(dtype) + " tensor uses " + own
                + (dtype == DataType.DT_STRING ? "" : " or tensor_content"));
      }
    }
    if (!p.getTensorContent().isEmpty() && own != null && dtype != DataType.DT_STRING) {
      int n = typedCount(p, dtype);
      if (n > 0) {
        throw new IllegalArgumentException(
            "TensorProto " + DataTypes.name(dtype) + " has both tensor_content and " + n + " values in "
                + own + "; use one of them");
      }
    }
  }

  private static int typedCount(TensorProto p, DataType dtype) {
    switch (dtype) {
      case DT_FLOAT: return p.getFloatValCount();
      case DT_DOUBLE: return p.getDoubleValCount();
      case DT_HALF: case DT_BFLOAT16: return p.getHalfValCount();
      case DT_INT64: return p.getInt64ValCount();
      case DT_UINT32: return p.getUint32ValCount();
      case DT_UINT64: return p.getUint64ValCount();
      case DT_BOOL: return p.getBoolValCount();
      case DT_STRING: return p.getStringValCount();
      case DT_COMPLEX64: return p.getScomplexValCount();
      case DT_COMPLEX128: return p.getDcomplexValCount();
      default: return p.getIntValCount();
    }
  }

  static String typedField(DataType dtype) {
    switch (dtype) {
      case DT_FLOAT: return "float_val";
      case DT_DOUBLE: return "double_val";
      case DT_HALF: case DT_BFLOAT16: return "half_val";
      case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: case DT_INT32: return "int_val";
      case DT_INT64: return "int64_val";
      case DT_UINT32: return "uint32_val";
      case DT_UINT64: return "uint64_val";
      case DT_BOOL: return "bool_val";
      case DT_STRING: return "string_val";
      case DT_COMPLEX64: return "scomplex_val";
      case DT_COMPLEX128: return "dcomplex_val";
      default: return null;
    }
  }

  static TensorProto encode(TensorValue v, TensorEncoding encoding) {
    TensorProto.Builder b =
        TensorProto.newBuilder().setDtype(v.dtype()).setTensorShape(Shapes.toProto(v.shape()));
    DataType dtype = v.dtype();
    if (dtype == DataType.DT_STRING) {
      b.addAllStringVal(v.stringList());
      return b.build();
    }
    if (encoding == null || encoding == TensorEncoding.TENSOR_CONTENT) {
      // The value's bytes are immutable and already little-endian: share them, no copy.
      return b.setTensorContent(v.content()).build();
    }
    ByteBuffer buf = v.content().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int count = v.size();
    switch (dtype) {
      case DT_FLOAT:
        for (int i = 0; i < count; i++) b.addFloatVal(buf.getFloat());
        break;
      case DT_DOUBLE:
        for (int i = 0; i < count; i++) b.addDoubleVal(buf.getDouble());
        break;
      case DT_HALF:
      case DT_BFLOAT16:
        for (int i = 0; i < count; i++) b.addHalfVal(buf.getShort() & 0xffff);
        break;
      case DT_INT8:
        for (int i = 0; i < count; i++) b.addIntVal(buf.get());
        break;
      case DT_UINT8:
        for (int i = 0; i < count; i++) b.addIntVal(buf.get() & 0xff);
        break;
      case DT_INT16:
        for (int i = 0; i < count; i++) b.addIntVal(buf.getShort());
        break;
      case DT_UINT16:
        for (int i = 0; i < count; i++) b.addIntVal(buf.getShort() & 0xffff);
        break;
      case DT_INT32:
        for (int i = 0; i < count; i++) b.addIntVal(buf.getInt());
        break;
      case DT_INT64:
        for (int i = 0; i < count; i++) b.addInt64Val(buf.getLong());
        break;
      case DT_UINT32:
        for (int i = 0; i < count; i++) b.addUint32Val(buf.getInt());
        break;
      case DT_UINT64:
        for (int i = 0; i < count; i++) b.addUint64Val(buf.getLong());
        break;
      case DT_BOOL:
        for (int i = 0; i < count; i++) b.addBoolVal(buf.get() != 0);
        break;
      case DT_COMPLEX64:
        for (int i = 0; i < 2 * count; i++) b.addScomplexVal(buf.getFloat());
        break;
      case DT_COMPLEX128:
        for (int i = 0; i < 2 * count; i++) b.addDcomplexVal(buf.getDouble());
        break;
      default:
        throw DataTypes.unsupported(dtype);
    }
    return b.build();
  }
}
