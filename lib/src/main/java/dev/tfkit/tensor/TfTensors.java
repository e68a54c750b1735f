package dev.tfkit.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.BooleanNdArray;
import org.tensorflow.ndarray.ByteNdArray;
import org.tensorflow.ndarray.DoubleNdArray;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.ndarray.IntNdArray;
import org.tensorflow.ndarray.LongNdArray;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.ShortNdArray;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
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
import org.tensorflow.types.family.TType;

/**
 * Moves values between {@link TensorValue}, {@link TensorProto} and TF Java's tensors and NdArrays.
 * The public methods serve code that holds protos and tensors rather than values (the graph
 * package's constants, variables, feeds and fetches). Tensors are filled from the packed bytes in
 * one copy (TF Java's raw buffers use the machine's byte order, which is little-endian on every
 * platform TF Java ships for), and everything is validated before any native memory is touched.
 */
public final class TfTensors {
  private TfTensors() {}

  /**
   * A TF Java tensor's value as a TensorProto: numbers in {@code tensor_content}, strings in {@code
   * string_val}. The tensor stays open; the caller closes it.
   *
   * @throws IllegalArgumentException for a tensor of 2 GB or more (a TensorProto's limit)
   */
  public static TensorProto toProto(Tensor t) {
    return fromTensor(t).toProto();
  }

  /**
   * A new TF Java tensor holding a TensorProto's value, checked as {@code Tensor::FromProto} would
   * ({@link NativeLimits#checkTensor}) and decoded as {@link TensorValue#fromProto} does, except
   * that, like TensorFlow, it ignores values in fields of other dtypes; the caller closes it.
   *
   * @param what names the tensor in errors ({@code "variable 'w'"})
   * @throws IllegalArgumentException starting with {@code what}, for a proto TensorFlow would refuse
   *     or a dtype TF Java has no tensor type for (quantized types, int8, int16, uint32, uint64,
   *     complex)
   */
  public static Tensor fromProto(TensorProto p, String what) {
    NativeLimits.checkTensor(p, what);
    if (tensorType(p.getDtype()) == null) {
      throw new IllegalArgumentException(what + ": TF Java 1.1.0 has no tensor type for " + DataTypes.name(p.getDtype()));
    }
    TensorValue v;
    try {
      v = ProtoCodec.decode(p, false);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    return toTensor(v);
  }

  /**
   * A new TF Java tensor for a value: a TensorProto ({@link #fromProto}), a {@link TensorValue}, or
   * anything {@link TensorValue#of(Object)} takes (scalars, nested arrays, strings, NdArrays, TF Java
   * tensors, which are copied); the caller closes it.
   *
   * @param what names the value in errors ({@code "feed 'x:0'"})
   */
  public static Tensor tensorOf(Object value, String what) {
    if (value instanceof TensorProto p) return fromProto(p, what);
    if (value instanceof TensorValue tv) return toTensor(tv);
    try {
      return toTensor(TensorValue.of(value));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }

  /**
   * The bytes of values a TensorProto of any dtype holds: its {@code tensor_content}, else the
   * elements times {@link NativeLimits#byteWidth} (quantized types included), or the bytes of its
   * strings; 0 for resources and variants.
   */
  public static long protoBytes(TensorProto p) {
    if (!p.getTensorContent().isEmpty()) return p.getTensorContent().size();
    if (p.getDtype() == DataType.DT_STRING) {
      long n = 0;
      for (ByteString s : p.getStringValList()) n += s.size();
      return n;
    }
    long n = 1;
    for (TensorShapeProto.Dim d : p.getTensorShape().getDimList()) n *= d.getSize();
    return n * NativeLimits.byteWidth(p.getDtype());
  }

  private static void requireLittleEndian() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new UnsupportedOperationException("TF Java tensors on a big-endian machine are not supported");
    }
  }

  static Class<? extends TType> tensorType(DataType dtype) {
    switch (dtype) {
      case DT_FLOAT: return TFloat32.class;
      case DT_DOUBLE: return TFloat64.class;
      case DT_HALF: return TFloat16.class;
      case DT_BFLOAT16: return TBfloat16.class;
      case DT_INT32: return TInt32.class;
      case DT_INT64: return TInt64.class;
      case DT_UINT8: return TUint8.class;
      case DT_UINT16: return TUint16.class;
      case DT_BOOL: return TBool.class;
      case DT_STRING: return TString.class;
      default: return null;
    }
  }

  static Tensor toTensor(TensorValue v) {
    DataType dtype = v.dtype();
    Shape shape = Shape.of(v.shape());
    if (dtype == DataType.DT_STRING) {
      return TString.tensorOfBytes(shape, DataBuffers.ofObjects(v.bytes()));
    }
    Class<? extends TType> type = tensorType(dtype);
    if (type == null) {
      throw new IllegalArgumentException(
          "TF Java 1.1.0 has no tensor type for " + DataTypes.name(dtype)
              + "; cast the value first, e.g. value.cast(DataType."
              + (DataTypes.isComplex(dtype) ? "DT_FLOAT) is not possible for complex values" : (DataTypes.isInteger(dtype) && DataTypes.byteSize(dtype) == 8 ? "DT_INT64)" : "DT_INT32)")));
    }
    requireLittleEndian();
    byte[] bytes = v.content().toByteArray();
    return Tensor.of(type, shape, DataBuffers.of(bytes, true, false));
  }

  static TensorValue fromTensor(Tensor t) {
    if (t == null) throw new IllegalArgumentException("tensor is null");
    DataType dtype = t.dataType();
    long[] shape = t.shape().asArray();
    if (shape == null) shape = new long[0];
    if (t instanceof TString) {
      NdArray<byte[]> b = ((TString) t).asBytes();
      int n = Shapes.elementCount(shape, "TF Java string tensor");
      List<ByteString> out = new ArrayList<>(n);
      b.scalars().forEach(s -> out.add(ByteString.copyFrom(s.getObject())));
      return TensorValue.ofStrings(shape, out);
    }
    if (tensorType(dtype) == null) {
      throw new IllegalArgumentException("TF Java tensor of dtype " + dtype + " is not supported");
    }
    requireLittleEndian();
    int n = Shapes.elementCount(shape, "TF Java " + DataTypes.name(dtype) + " tensor");
    long bytes = (long) n * DataTypes.byteSize(dtype);
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(
          "TF Java " + DataTypes.name(dtype) + Shapes.toString(shape) + " tensor of " + bytes
              + " bytes is too large for a TensorProto or a Java array (2 GB limit)");
    }
    ByteDataBuffer data = t.asRawTensor().data();
    if (data.size() < bytes) {
      throw new IllegalArgumentException(
          "TF Java " + DataTypes.name(dtype) + Shapes.toString(shape) + " tensor has " + data.size()
              + " bytes, expected " + bytes);
    }
    byte[] out = new byte[(int) bytes];
    data.read(out, 0, out.length);
    return TensorValue.ofContent(dtype, shape, UnsafeByteOperations.unsafeWrap(out));
  }

  static NdArray<?> toNdArray(TensorValue v) {
    long[] s = v.shape();
    DataType dtype = v.dtype();
    if (DataTypes.isComplex(dtype)) {
      long[] p = Arrays.copyOf(s, s.length + 1);
      p[s.length] = 2;
      s = p;
    }
    Shape shape = Shape.of(s);
    switch (dtype) {
      case DT_FLOAT: case DT_HALF: case DT_BFLOAT16: case DT_COMPLEX64:
        return NdArrays.wrap(shape, DataBuffers.of(v.floats(), false, false));
      case DT_DOUBLE: case DT_COMPLEX128:
        return NdArrays.wrap(shape, DataBuffers.of(v.doubles(), false, false));
      case DT_INT8: case DT_UINT8:
        return NdArrays.wrap(shape, DataBuffers.of(v.content().toByteArray(), false, false));
      case DT_INT16: case DT_UINT16: {
        short[] a = new short[v.size()];
        v.content().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(a);
        return NdArrays.wrap(shape, DataBuffers.of(a, false, false));
      }
      case DT_INT32:
        return NdArrays.wrap(shape, DataBuffers.of(v.ints(), false, false));
      case DT_INT64: case DT_UINT32: case DT_UINT64:
        return NdArrays.wrap(shape, DataBuffers.of(v.longs(), false, false));
      case DT_BOOL:
        return NdArrays.wrap(shape, DataBuffers.of(v.booleans(), false, false));
      case DT_STRING:
        return NdArrays.wrap(shape, DataBuffers.ofObjects(v.strings()));
      default:
        throw DataTypes.unsupported(dtype);
    }
  }

  static TensorValue fromNdArray(NdArray<?> nd, DataType requested) {
    long[] shape = nd.shape().asArray();
    if (shape == null) shape = new long[0];
    int n = Shapes.elementCount(shape, "NdArray");
    Object flat;
    DataType inferred;
    if (nd instanceof FloatNdArray) {
      float[] a = new float[n];
      ((FloatNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_FLOAT;
    } else if (nd instanceof DoubleNdArray) {
      double[] a = new double[n];
      ((DoubleNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_DOUBLE;
    } else if (nd instanceof IntNdArray) {
      int[] a = new int[n];
      ((IntNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_INT32;
    } else if (nd instanceof LongNdArray) {
      long[] a = new long[n];
      ((LongNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_INT64;
    } else if (nd instanceof ShortNdArray) {
      short[] a = new short[n];
      ((ShortNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_INT16;
    } else if (nd instanceof ByteNdArray) {
      byte[] a = new byte[n];
      ((ByteNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_INT8;
    } else if (nd instanceof BooleanNdArray) {
      boolean[] a = new boolean[n];
      ((BooleanNdArray) nd).copyTo(DataBuffers.of(a, false, false));
      flat = a;
      inferred = DataType.DT_BOOL;
    } else {
      Object[] a = new Object[n];
      int[] i = {0};
      nd.scalars().forEach(s -> a[i[0]++] = s.getObject());
      flat = Arrays.asList(a);
      inferred = null;
    }
    DataType dtype = requested != null ? requested : inferred;
    long[] s = shape;
    if (dtype != null && DataTypes.isComplex(dtype)) {
      // A complex value arrives with its (real, imaginary) dimension; the tensor shape drops it.
      s = Arrays.copyOf(shape, shape.length);
      if (s.length == 0 || s[s.length - 1] != 2) {
        throw new IllegalArgumentException("a complex NdArray needs a last dimension of 2, got " + Shapes.toString(shape));
      }
      s = Arrays.copyOf(s, s.length - 1);
    }
    TensorValue flatValue = JavaValues.encode(flat, dtype);
    return flatValue.reshape(s);
  }
}
