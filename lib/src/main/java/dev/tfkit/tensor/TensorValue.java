package dev.tfkit.tensor;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * An immutable, typed tensor value — what a model takes and gives back — convertible between Java
 * values, {@link TensorProto} (the wire form of TensorFlow Serving) and TF Java {@link Tensor}s.
 *
 * <p>Numeric data is kept packed little-endian in one immutable byte string, exactly as in {@code
 * tensor_content}, so {@link #toProto()} shares it without copying and {@link #fromProto} of a
 * {@code tensor_content} proto does not copy either. Readers such as {@link #floats()} return fresh
 * arrays. Reading widens without loss (int8 → int → long, half → float → double, uint8 → int ...);
 * a lossy read (int64 as float, say) is refused with a message naming both dtypes.
 */
public final class TensorValue {
  private final DataType dtype;
  private final long[] shape;
  private final int size;
  private final ByteString content; // non-string dtypes: packed little-endian, bool as 1 byte
  private final List<ByteString> strings; // DT_STRING only

  private TensorValue(DataType dtype, long[] shape, int size, ByteString content, List<ByteString> strings) {
    this.dtype = dtype;
    this.shape = shape;
    this.size = size;
    this.content = content;
    this.strings = strings;
  }

  static TensorValue ofContent(DataType dtype, long[] shape, ByteString content) {
    long[] s = shape.clone();
    int n = Shapes.elementCount(s, DataTypes.name(dtype) + " tensor");
    long expected = (long) n * DataTypes.byteSize(dtype);
    if (content.size() != expected) {
      throw new IllegalArgumentException(
          DataTypes.name(dtype) + Shapes.toString(s) + ": " + content.size() + " bytes of data, expected " + expected);
    }
    return new TensorValue(dtype, s, n, content, null);
  }

  static TensorValue ofStrings(long[] shape, List<ByteString> values) {
    long[] s = shape.clone();
    int n = Shapes.elementCount(s, "string tensor");
    if (values.size() != n) {
      throw new IllegalArgumentException(
          "string tensor " + Shapes.toString(s) + " holds " + n + " elements, got " + values.size() + " values");
    }
    return new TensorValue(DataType.DT_STRING, s, n, null, Collections.unmodifiableList(values));
  }

  // ---------------------------------------------------------------- factories

  /**
   * A tensor from a Java value, its dtype inferred: {@code float}/{@code Float} → float32, {@code
   * double} → float64, {@code int} → int32, {@code long} → int64, {@code short} → int16, {@code
   * Byte} → int8, {@code boolean} → bool, {@code String} and {@code byte[]} → string. Takes scalars,
   * primitive or boxed arrays of any rank, nested {@code List}s, TF Java NdArrays and tensors,
   * {@link BufferedImage} (uint8 {@code [1,H,W,3]}), {@code TensorProto}s and {@code TensorValue}s.
   *
   * @throws IllegalArgumentException for ragged arrays (naming the index path), nulls and
   *     unsupported Java types (naming the class)
   */
  public static TensorValue of(Object value) {
    return of(value, null);
  }

  /**
   * A tensor of the given dtype from a Java value: numbers are converted (integers must be whole
   * and in range, floats round to the nearest representable value). Complex dtypes take a last
   * dimension of 2 (real, imaginary). For uint8 a Java {@code byte} carries its bit pattern
   * ({@code (byte) 255} is 255), likewise short for uint16, int for uint32 and long for uint64.
   * A {@code byte[]} is a string for dtype string and an array of numbers otherwise.
   * {@code dtype} null infers it as {@link #of(Object)} does.
   */
  public static TensorValue of(Object value, DataType dtype) {
    if (value instanceof TensorValue) {
      TensorValue v = (TensorValue) value;
      return dtype == null ? v : v.cast(dtype);
    }
    if (value instanceof TensorProto) {
      TensorValue v = fromProto((TensorProto) value);
      return dtype == null ? v : v.cast(dtype);
    }
    if (value instanceof Tensor) {
      TensorValue v = TfTensors.fromTensor((Tensor) value);
      return dtype == null ? v : v.cast(dtype);
    }
    if (value instanceof BufferedImage) {
      return ImageTensors.fromImage((BufferedImage) value, dtype == null ? DataType.DT_UINT8 : dtype);
    }
    if (value instanceof NdArray) {
      return TfTensors.fromNdArray((NdArray<?>) value, dtype);
    }
    return JavaValues.encode(value, dtype);
  }

  /** A float32 tensor of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(float[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_FLOAT, shape);
  }

  /** A float64 tensor of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(double[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_DOUBLE, shape);
  }

  /** An int32 tensor of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(int[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_INT32, shape);
  }

  /** An int64 tensor of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(long[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_INT64, shape);
  }

  /** A bool tensor of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(boolean[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_BOOL, shape);
  }

  /** A string tensor (UTF-8) of the given shape over a flat array in row-major order. */
  public static TensorValue fromFlat(String[] values, long... shape) {
    return JavaValues.encodeFlat(values, DataType.DT_STRING, shape);
  }

  /**
   * A tensor of any dtype of the given shape from a flat Java array ({@code float[]}, {@code
   * byte[]}, {@code String[]} ...) converted as {@link #of(Object, DataType)} does; for complex
   * dtypes the array holds interleaved (real, imaginary) pairs, twice as many values as elements.
   */
  public static TensorValue fromFlat(DataType dtype, Object flatArray, long... shape) {
    return JavaValues.encodeFlat(flatArray, dtype, shape);
  }

  /**
   * A tensor of the given dtype and shape over packed little-endian bytes, as in {@code
   * tensor_content} (bool: one byte per value). The array is copied.
   */
  public static TensorValue fromBytes(DataType dtype, byte[] littleEndian, long... shape) {
    DataTypes.require(dtype);
    if (dtype == DataType.DT_STRING) {
      throw new IllegalArgumentException("a string tensor has no packed byte form; use of(String[]) instead");
    }
    return ofContent(dtype, shape, ByteString.copyFrom(littleEndian));
  }

  /**
   * The value of a TensorProto: reads {@code tensor_content} or the dtype's typed field ({@code
   * float_val}, {@code half_val}, {@code int_val} ...), where no values mean zeros and fewer values
   * than elements repeat the last one, as TensorFlow does.
   *
   * @throws IllegalArgumentException for unsupported dtypes, unknown or negative dims, truncated
   *     {@code tensor_content} (expected vs actual bytes), more values than the shape holds, or
   *     values in another dtype's field
   */
  public static TensorValue fromProto(TensorProto proto) {
    return ProtoCodec.decode(proto);
  }

  /** A copy of a TF Java tensor's values (the tensor stays open; the caller closes it). */
  public static TensorValue fromTensor(Tensor tensor) {
    return TfTensors.fromTensor(tensor);
  }

  // ---------------------------------------------------------------- conversions out

  /** This value as a TensorProto, numeric data in {@code tensor_content}. */
  public TensorProto toProto() {
    return ProtoCodec.encode(this, TensorEncoding.TENSOR_CONTENT);
  }

  /** This value as a TensorProto in the given encoding. Strings always go in {@code string_val}. */
  public TensorProto toProto(TensorEncoding encoding) {
    return ProtoCodec.encode(this, encoding);
  }

  /**
   * A new TF Java tensor holding a copy of this value; the caller closes it. TF Java 1.1.0 has
   * tensor types for float32/64, float16, bfloat16, int32, int64, uint8, uint16, bool and string;
   * other dtypes are refused with a hint to {@link #cast} first.
   */
  public Tensor toTensor() {
    return TfTensors.toTensor(this);
  }

  /**
   * This value as a TF Java NdArray: FloatNdArray for float32/float16/bfloat16, DoubleNdArray,
   * ByteNdArray (int8, uint8 as bit patterns), ShortNdArray (int16, uint16 bits), IntNdArray
   * (int32), LongNdArray (int64, uint32, uint64 bits), BooleanNdArray, {@code NdArray<String>};
   * complex64/128 as Float/DoubleNdArray with a last dimension of 2.
   */
  public NdArray<?> toNdArray() {
    return TfTensors.toNdArray(this);
  }

  /**
   * This value as an image: shape {@code [H,W]}, {@code [H,W,C]} or {@code [1,H,W,C]} with C = 1, 3
   * or 4; uint8 is used as is, floats are taken as 0..1 and scaled to 0..255 (clamped).
   */
  public BufferedImage asImage() {
    return ImageTensors.toImage(this);
  }

  /** Image {@code index} of a batch {@code [N,H,W,C]}, read as {@link #asImage()} reads one. */
  public BufferedImage asImage(int index) {
    if (shape.length != 4 || index < 0 || index >= shape[0]) {
      throw new IllegalArgumentException(
          "image " + index + " of " + DataTypes.name(dtype) + Shapes.toString(shape)
              + ": expects a batch [N,H,W,C] and 0 <= index < N");
    }
    return slice(index).asImage();
  }

  /**
   * Element {@code index} along the first dimension, e.g. one image of a batch or one row of a
   * matrix; the result has rank one less.
   */
  public TensorValue slice(int index) {
    if (shape.length == 0 || index < 0 || index >= shape[0]) {
      throw new IllegalArgumentException(
          "cannot take element " + index + " of " + DataTypes.name(dtype) + Shapes.toString(shape));
    }
    long[] rest = Arrays.copyOfRange(shape, 1, shape.length);
    int n = shape[0] == 0 ? 0 : size / (int) shape[0];
    if (strings != null) {
      return ofStrings(rest, new ArrayList<>(strings.subList(index * n, index * n + n)));
    }
    int bytes = DataTypes.byteSize(dtype);
    return ofContent(dtype, rest, content.substring(index * n * bytes, (index + 1) * n * bytes));
  }

  /** A value of another dtype: lossless, or — for numbers — as {@link #of(Object, DataType)} converts. */
  public TensorValue cast(DataType target) {
    DataTypes.require(target);
    if (target == dtype) return this;
    Object flat;
    if (dtype == DataType.DT_STRING) flat = bytes();
    else if (dtype == DataType.DT_BOOL) flat = booleans();
    else if (DataTypes.isComplex(dtype) != DataTypes.isComplex(target)) {
      throw new IllegalArgumentException("cannot cast " + DataTypes.name(dtype) + " to " + DataTypes.name(target));
    } else if (DataTypes.isInteger(dtype) && dtype != DataType.DT_UINT64) flat = longs();
    else if (dtype == DataType.DT_UINT64) {
      if (target != DataType.DT_INT64) {
        throw new IllegalArgumentException("cannot cast uint64 to " + DataTypes.name(target) + "; cast to int64 first");
      }
      return ofContent(DataType.DT_INT64, shape, content);
    } else flat = doubles();
    long[] s = shape;
    if (DataTypes.isInteger(dtype) && target == DataType.DT_UINT64) {
      long[] l = (long[]) flat;
      for (int i = 0; i < l.length; i++) {
        if (l[i] < 0) throw new IllegalArgumentException("element " + i + " = " + l[i] + " is out of range for uint64");
      }
    }
    return JavaValues.encodeFlat(flat, target, s);
  }

  /** The same values in another shape with the same number of elements. */
  public TensorValue reshape(long... newShape) {
    int n = Shapes.elementCount(newShape, "reshape");
    if (n != size) {
      throw new IllegalArgumentException(
          "cannot reshape " + DataTypes.name(dtype) + Shapes.toString(shape) + " (" + size + " elements) to "
              + Shapes.toString(newShape) + " (" + n + " elements)");
    }
    return new TensorValue(dtype, newShape.clone(), size, content, strings);
  }

  // ---------------------------------------------------------------- accessors

  /** The TensorFlow dtype. */
  public DataType dtype() {
    return dtype;
  }

  /** The shape (a copy); {@code []} for a scalar. */
  public long[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** The number of elements (the product of the shape). */
  public int size() {
    return size;
  }

  /**
   * The packed little-endian bytes as in {@code tensor_content} (immutable, not copied).
   *
   * @throws IllegalStateException for a string tensor
   */
  public ByteString content() {
    if (content == null) throw new IllegalStateException("a string tensor has no packed content; use bytes()");
    return content;
  }

  List<ByteString> stringList() {
    return strings;
  }

  private ByteBuffer buf() {
    return content.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private IllegalStateException lossy(String asType, String allowed) {
    return new IllegalStateException(
        "cannot read a " + DataTypes.name(dtype) + " tensor as " + asType + " values without loss"
            + " (" + asType + " reads " + allowed + ")");
  }

  /**
   * The values as floats in row-major order: float32 as is; float16, bfloat16, int8, uint8, int16
   * and uint16 widened exactly; complex64 as interleaved (real, imaginary) pairs.
   */
  public float[] floats() {
    ByteBuffer b;
    float[] out;
    switch (dtype) {
      case DT_FLOAT:
        out = new float[size];
        buf().asFloatBuffer().get(out);
        return out;
      case DT_COMPLEX64:
        out = new float[2 * size];
        buf().asFloatBuffer().get(out);
        return out;
      case DT_HALF:
        b = buf();
        out = new float[size];
        for (int i = 0; i < size; i++) out[i] = HalfFloats.halfToFloat(b.getShort());
        return out;
      case DT_BFLOAT16:
        b = buf();
        out = new float[size];
        for (int i = 0; i < size; i++) out[i] = HalfFloats.bfloat16ToFloat(b.getShort());
        return out;
      case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: {
        long[] l = longs();
        out = new float[size];
        for (int i = 0; i < size; i++) out[i] = l[i];
        return out;
      }
      default:
        throw lossy("float32", "float32, float16, bfloat16, int8, uint8, int16, uint16, complex64 pairs");
    }
  }

  /**
   * The values as doubles: any float and any integer up to 32 bits widened exactly; complex as
   * interleaved (real, imaginary) pairs.
   */
  public double[] doubles() {
    double[] out;
    switch (dtype) {
      case DT_DOUBLE:
        out = new double[size];
        buf().asDoubleBuffer().get(out);
        return out;
      case DT_COMPLEX128:
        out = new double[2 * size];
        buf().asDoubleBuffer().get(out);
        return out;
      case DT_FLOAT: case DT_HALF: case DT_BFLOAT16: case DT_COMPLEX64:
      case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: {
        float[] f = floats();
        out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
      }
      case DT_INT32: case DT_UINT32: {
        long[] l = longs();
        out = new double[size];
        for (int i = 0; i < size; i++) out[i] = l[i];
        return out;
      }
      default:
        throw lossy("float64", "any float, integers up to 32 bits, complex pairs");
    }
  }

  /** The values as ints: int8, int16, int32, uint8 (0..255) and uint16 (0..65535). */
  public int[] ints() {
    int[] out;
    switch (dtype) {
      case DT_INT32:
        out = new int[size];
        buf().asIntBuffer().get(out);
        return out;
      case DT_INT8: case DT_UINT8: case DT_INT16: case DT_UINT16: {
        long[] l = longs();
        out = new int[size];
        for (int i = 0; i < size; i++) out[i] = (int) l[i];
        return out;
      }
      default:
        throw lossy("int32", "int8, int16, int32, uint8, uint16");
    }
  }

  /**
   * The values as longs: every integer dtype; unsigned ones as their value, except uint64, which
   * comes as its bit pattern (read it with {@link Long#toUnsignedString(long)}).
   */
  public long[] longs() {
    ByteBuffer b = null;
    long[] out = new long[size];
    switch (dtype) {
      case DT_INT64: case DT_UINT64:
        buf().asLongBuffer().get(out);
        return out;
      case DT_INT32:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.getInt();
        return out;
      case DT_UINT32:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.getInt() & 0xffffffffL;
        return out;
      case DT_INT16:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.getShort();
        return out;
      case DT_UINT16:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.getShort() & 0xffff;
        return out;
      case DT_INT8:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.get();
        return out;
      case DT_UINT8:
        b = buf();
        for (int i = 0; i < size; i++) out[i] = b.get() & 0xff;
        return out;
      default:
        throw lossy("int64", "integer dtypes");
    }
  }

  /** The values of a bool tensor. */
  public boolean[] booleans() {
    if (dtype != DataType.DT_BOOL) throw lossy("bool", "bool only");
    boolean[] out = new boolean[size];
    ByteBuffer b = buf();
    for (int i = 0; i < size; i++) out[i] = b.get() != 0;
    return out;
  }

  /** The values of a string tensor decoded as UTF-8. */
  public String[] strings() {
    if (dtype != DataType.DT_STRING) throw lossy("string", "string only");
    String[] out = new String[size];
    for (int i = 0; i < size; i++) out[i] = strings.get(i).toString(StandardCharsets.UTF_8);
    return out;
  }

  /** The raw bytes of each element of a string tensor. */
  public byte[][] bytes() {
    if (dtype != DataType.DT_STRING) throw lossy("bytes", "string only");
    byte[][] out = new byte[size][];
    for (int i = 0; i < size; i++) out[i] = strings.get(i).toByteArray();
    return out;
  }

  /**
   * The values as a float matrix: {@code [rows][cols]} for rank 2, one row for rank 0 or 1, and
   * {@code [shape[0]][rest]} for higher ranks (each row flattened), read as {@link #floats()}.
   */
  public float[][] asFloatMatrix() {
    if (DataTypes.isComplex(dtype)) throw lossy("float32 matrix", "real dtypes");
    float[] f = floats();
    int rows = shape.length == 0 ? 1 : (int) shape[0];
    int cols = rows == 0 ? 0 : size / rows;
    if (shape.length == 1) {
      rows = 1;
      cols = size;
    }
    float[][] m = new float[rows][cols];
    for (int r = 0; r < rows; r++) System.arraycopy(f, r * cols, m[r], 0, cols);
    return m;
  }

  /** The single value of a one-element float tensor (see {@link #floats()}). */
  public float floatValue() {
    return floats()[single()];
  }

  /** The single value of a one-element tensor read as {@link #doubles()}. */
  public double doubleValue() {
    return doubles()[single()];
  }

  /** The single value of a one-element tensor read as {@link #ints()}. */
  public int intValue() {
    return ints()[single()];
  }

  /** The single value of a one-element tensor read as {@link #longs()}. */
  public long longValue() {
    return longs()[single()];
  }

  /** The single value of a one-element bool tensor. */
  public boolean booleanValue() {
    return booleans()[single()];
  }

  /** The single value of a one-element string tensor (UTF-8). */
  public String stringValue() {
    return strings()[single()];
  }

  private int single() {
    if (size != 1) {
      throw new IllegalStateException(
          "expected a single value, but " + DataTypes.name(dtype) + Shapes.toString(shape) + " holds " + size);
    }
    return 0;
  }

  // ---------------------------------------------------------------- object

  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof TensorValue)) return false;
    TensorValue t = (TensorValue) o;
    return dtype == t.dtype && Arrays.equals(shape, t.shape)
        && (content != null ? content.equals(t.content) : strings.equals(t.strings));
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + (content != null ? content.hashCode() : strings.hashCode());
  }

  /** Short: dtype, shape and the first few values, e.g. {@code float32[2,3] [1.0, 2.0, 3.0, 4.0, ...]}. */
  @Override
  public String toString() {
    int show = Math.min(size, 6);
    StringBuilder sb = new StringBuilder(DataTypes.name(dtype)).append(Shapes.toString(shape)).append(" [");
    ByteBuffer b = content == null ? null : buf();
    for (int i = 0; i < show; i++) {
      if (i > 0) sb.append(", ");
      sb.append(element(b, i));
    }
    if (size > show) sb.append(", ...");
    return sb.append(']').toString();
  }

  private String element(ByteBuffer b, int i) {
    switch (dtype) {
      case DT_STRING: {
        String s = strings.get(i).toStringUtf8();
        return '"' + (s.length() > 20 ? s.substring(0, 20) + "..." : s) + '"';
      }
      case DT_FLOAT: return String.valueOf(b.getFloat(4 * i));
      case DT_DOUBLE: return String.valueOf(b.getDouble(8 * i));
      case DT_HALF: return String.valueOf(HalfFloats.halfToFloat(b.getShort(2 * i)));
      case DT_BFLOAT16: return String.valueOf(HalfFloats.bfloat16ToFloat(b.getShort(2 * i)));
      case DT_INT8: return String.valueOf(b.get(i));
      case DT_UINT8: return String.valueOf(b.get(i) & 0xff);
      case DT_INT16: return String.valueOf(b.getShort(2 * i));
      case DT_UINT16: return String.valueOf(b.getShort(2 * i) & 0xffff);
      case DT_INT32: return String.valueOf(b.getInt(4 * i));
      case DT_UINT32: return String.valueOf(b.getInt(4 * i) & 0xffffffffL);
      case DT_INT64: return String.valueOf(b.getLong(8 * i));
      case DT_UINT64: return Long.toUnsignedString(b.getLong(8 * i));
      case DT_BOOL: return String.valueOf(b.get(i) != 0);
      case DT_COMPLEX64: return b.getFloat(8 * i) + "+" + b.getFloat(8 * i + 4) + "i";
      case DT_COMPLEX128: return b.getDouble(16 * i) + "+" + b.getDouble(16 * i + 8) + "i";
      default: return "?";
    }
  }
}
