package dev.tfkit.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.proto.DataType;

/**
 * Turns nested Java arrays, lists and boxed scalars into packed little-endian tensor bytes: finds
 * the shape from the first elements, then checks every element against it while copying, so a
 * ragged array is reported with the index path of the offending element.
 */
final class JavaValues {
  private JavaValues() {}

  /** What the leaves of a Java value are. */
  enum Kind {
    FLOAT, DOUBLE, BYTE, SHORT, INT, LONG, BOOLEAN, STRING, BYTES, EMPTY
  }

  static TensorValue encode(Object value, DataType requested) {
    if (value == null) throw new IllegalArgumentException("cannot make a tensor from null");
    if (requested != null) DataTypes.require(requested);
    boolean bytesAreStrings = requested == null || requested == DataType.DT_STRING;
    List<Long> dimList = new ArrayList<>();
    Kind kind = findKindAndDims(value, bytesAreStrings, dimList);
    DataType dtype = requested != null ? requested : defaultDtype(kind, value);
    long[] dims = new long[dimList.size()];
    for (int i = 0; i < dims.length; i++) dims[i] = dimList.get(i);
    long[] shape = dims;
    if (DataTypes.isComplex(dtype)) {
      // Complex values come as a trailing dimension of 2: (real, imaginary).
      if (dims.length == 0 || dims[dims.length - 1] != 2) {
        throw new IllegalArgumentException(
            "a " + DataTypes.name(dtype) + " tensor takes (real, imaginary) pairs as a last dimension"
                + " of 2; got shape " + Shapes.toString(dims));
      }
      shape = Arrays.copyOf(dims, dims.length - 1);
    }
    int count = Shapes.elementCount(shape, "Java value");
    Writer w = new Writer(dtype, count, kind);
    fill(w, value, 0, dims, new int[dims.length], bytesAreStrings);
    return w.finish(shape);
  }

  /** A flat primitive/String array read as the given shape. */
  static TensorValue encodeFlat(Object flatArray, DataType requested, long[] shape) {
    if (flatArray == null || !flatArray.getClass().isArray()) {
      throw new IllegalArgumentException(
          "expected a flat array, got " + (flatArray == null ? "null" : flatArray.getClass().getName()));
    }
    if (requested != null && DataTypes.isComplex(requested)) {
      // Interleaved (real, imaginary) values: pack them as the component float type, then relabel.
      DataType part = requested == DataType.DT_COMPLEX64 ? DataType.DT_FLOAT : DataType.DT_DOUBLE;
      TensorValue parts = encode(flatArray, part);
      if (parts.rank() != 1 || parts.size() % 2 != 0) {
        throw new IllegalArgumentException(
            "a flat " + DataTypes.name(requested) + " array holds (real, imaginary) pairs: an even number of"
                + " values, got " + parts.size());
      }
      return TensorValue.ofContent(requested, new long[] {parts.size() / 2}, parts.content()).reshape(shape);
    }
    TensorValue flat = encode(flatArray, requested);
    if (flat.rank() != 1) {
      throw new IllegalArgumentException(
          "expected a flat (one-dimensional) array, got " + flatArray.getClass().getSimpleName());
    }
    return flat.reshape(shape);
  }

  private static Kind findKindAndDims(Object value, boolean bytesAreStrings, List<Long> dims) {
    Object cur = value;
    while (true) {
      if (cur == null) {
        throw new IllegalArgumentException("null element at " + Shapes.path(new int[dims.size()], dims.size()));
      }
      if (cur instanceof byte[] && bytesAreStrings) return Kind.BYTES;
      Class<?> c = cur.getClass();
      if (c.isArray()) {
        int len = Array.getLength(cur);
        dims.add((long) len);
        Class<?> comp = c.getComponentType();
        if (comp.isPrimitive()) return kindOfPrimitive(comp, c);
        if (len == 0) return kindOfEmptyArray(comp, bytesAreStrings, dims);
        cur = ((Object[]) cur)[0];
      } else if (cur instanceof List) {
        List<?> l = (List<?>) cur;
        dims.add((long) l.size());
        if (l.isEmpty()) return Kind.EMPTY;
        cur = l.get(0);
      } else {
        return kindOfScalar(cur);
      }
    }
  }

  private static Kind kindOfEmptyArray(Class<?> comp, boolean bytesAreStrings, List<Long> dims) {
    // An empty Object[] has no first element to look at: the component type tells the leaf kind,
    // and deeper array levels count as 0-length dimensions.
    Class<?> c = comp;
    while (c.isArray()) {
      if (c == byte[].class && bytesAreStrings) return Kind.BYTES;
      dims.add(0L);
      if (c.getComponentType().isPrimitive()) return kindOfPrimitive(c.getComponentType(), c);
      c = c.getComponentType();
    }
    if (c == Float.class) return Kind.FLOAT;
    if (c == Double.class) return Kind.DOUBLE;
    if (c == Byte.class) return Kind.BYTE;
    if (c == Short.class) return Kind.SHORT;
    if (c == Integer.class) return Kind.INT;
    if (c == Long.class) return Kind.LONG;
    if (c == Boolean.class) return Kind.BOOLEAN;
    if (c == String.class) return Kind.STRING;
    return Kind.EMPTY;
  }

  private static Kind kindOfPrimitive(Class<?> comp, Class<?> arrayClass) {
    if (comp == float.class) return Kind.FLOAT;
    if (comp == double.class) return Kind.DOUBLE;
    if (comp == byte.class) return Kind.BYTE;
    if (comp == short.class) return Kind.SHORT;
    if (comp == int.class) return Kind.INT;
    if (comp == long.class) return Kind.LONG;
    if (comp == boolean.class) return Kind.BOOLEAN;
    throw new IllegalArgumentException(
        "unsupported Java type " + arrayClass.getSimpleName() + " for a tensor"
            + " (use float, double, byte, short, int, long, boolean, String or byte[] elements)");
  }

  private static Kind kindOfScalar(Object v) {
    if (v instanceof Float) return Kind.FLOAT;
    if (v instanceof Double) return Kind.DOUBLE;
    if (v instanceof Byte) return Kind.BYTE;
    if (v instanceof Short) return Kind.SHORT;
    if (v instanceof Integer) return Kind.INT;
    if (v instanceof Long) return Kind.LONG;
    if (v instanceof Boolean) return Kind.BOOLEAN;
    if (v instanceof String) return Kind.STRING;
    if (v instanceof byte[]) return Kind.BYTES;
    throw new IllegalArgumentException(
        "unsupported Java type " + v.getClass().getName() + " for a tensor"
            + " (use numbers, booleans, Strings, byte[], arrays or Lists of them, NdArrays,"
            + " TF Java tensors or BufferedImage)");
  }

  private static DataType defaultDtype(Kind kind, Object value) {
    switch (kind) {
      case FLOAT: return DataType.DT_FLOAT;
      case DOUBLE: return DataType.DT_DOUBLE;
      case BYTE: return DataType.DT_INT8;
      case SHORT: return DataType.DT_INT16;
      case INT: return DataType.DT_INT32;
      case LONG: return DataType.DT_INT64;
      case BOOLEAN: return DataType.DT_BOOL;
      case STRING:
      case BYTES: return DataType.DT_STRING;
      case EMPTY: return DataType.DT_FLOAT; // as TensorFlow does for an empty list
      default: throw new AssertionError(kind);
    }
  }

  private static void fill(Writer w, Object node, int depth, long[] dims, int[] path, boolean bytesAreStrings) {
    int rank = dims.length;
    if (node == null) throw new IllegalArgumentException("null element at " + Shapes.path(path, depth));
    if (depth == rank) {
      if (node.getClass().isArray() && !(node instanceof byte[] && bytesAreStrings)
          || node instanceof List) {
        throw new IllegalArgumentException(
            "ragged array: element " + Shapes.path(path, depth) + " is a nested "
                + describe(node) + " where a single value was expected (shape from the first"
                + " elements is " + Shapes.toString(dims) + ")");
      }
      w.scalar(node, path, depth);
      return;
    }
    long expected = dims[depth];
    if (depth == rank - 1 && node instanceof float[]) {
      // The common case (rows of a float array) without reflection.
      if (((float[]) node).length != expected) throw ragged(path, depth, ((float[]) node).length, expected, dims);
      w.array(node, path, depth);
      return;
    }
    if (node instanceof byte[] && bytesAreStrings || !(node.getClass().isArray() || node instanceof List)) {
      throw new IllegalArgumentException(
          "ragged array: element " + Shapes.path(path, depth) + " is a single " + describe(node)
              + " where an array of length " + expected + " was expected (shape from the first elements is "
              + Shapes.toString(dims) + ")");
    }
    if (node.getClass().isArray()) {
      int len = Array.getLength(node);
      if (len != expected) throw ragged(path, depth, len, expected, dims);
      Class<?> comp = node.getClass().getComponentType();
      if (comp.isPrimitive()) {
        if (depth != rank - 1) {
          throw new IllegalArgumentException(
              "ragged array: element " + Shapes.path(path, depth) + " is a " + node.getClass().getSimpleName()
                  + " but the first elements nest deeper (shape " + Shapes.toString(dims) + ")");
        }
        w.array(node, path, depth);
        return;
      }
      Object[] arr = (Object[]) node;
      for (int i = 0; i < len; i++) {
        path[depth] = i;
        fill(w, arr[i], depth + 1, dims, path, bytesAreStrings);
      }
    } else {
      List<?> l = (List<?>) node;
      if (l.size() != expected) throw ragged(path, depth, l.size(), expected, dims);
      int i = 0;
      for (Object o : l) {
        path[depth] = i++;
        fill(w, o, depth + 1, dims, path, bytesAreStrings);
      }
    }
  }

  private static String describe(Object node) {
    if (node instanceof List) return "List";
    return node.getClass().getSimpleName();
  }

  private static IllegalArgumentException ragged(int[] path, int depth, int len, long expected, long[] dims) {
    return new IllegalArgumentException(
        "ragged array: element " + Shapes.path(path, depth) + " has length " + len + ", expected "
            + expected + " (shape from the first elements is " + Shapes.toString(dims) + ")");
  }

  /** Below this length a row is written value by value: a bulk view costs more than it saves. */
  private static final int SMALL = 32;

  /** Writes converted values in order into the tensor's storage. */
  private static final class Writer {
    private final DataType dtype;
    private final ByteBuffer buf;
    private final List<ByteString> strings;
    private final int width; // bits of the dtype's integer, for unsigned checks

    Writer(DataType dtype, int count, Kind kind) {
      this.dtype = dtype;
      if (dtype == DataType.DT_STRING) {
        this.buf = null;
        this.strings = new ArrayList<>(count);
      } else {
        long bytes = (long) count * DataTypes.byteSize(dtype);
        if (bytes > Integer.MAX_VALUE - 8) {
          throw new IllegalArgumentException(
              "tensor too large: " + count + " " + DataTypes.name(dtype) + " elements need " + bytes
                  + " bytes, more than 2 GiB");
        }
        this.buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.strings = null;
      }
      this.width = DataTypes.isInteger(dtype) ? DataTypes.byteSize(dtype) * 8 : 0;
    }

    TensorValue finish(long[] shape) {
      if (strings != null) return TensorValue.ofStrings(shape, strings);
      if (buf.hasRemaining()) throw new IllegalStateException("internal: tensor not filled");
      return TensorValue.ofContent(dtype, shape, UnsafeByteOperations.unsafeWrap(buf.array()));
    }

    void array(Object a, int[] path, int depth) {
      if (a instanceof float[]) {
        float[] f = (float[]) a;
        if (dtype == DataType.DT_FLOAT || dtype == DataType.DT_COMPLEX64) {
          if (f.length < SMALL) {
            for (float x : f) buf.putFloat(x);
          } else {
            buf.asFloatBuffer().put(f);
            buf.position(buf.position() + 4 * f.length);
          }
        } else {
          for (int i = 0; i < f.length; i++) floating(f[i], path, depth, i);
        }
      } else if (a instanceof double[]) {
        double[] d = (double[]) a;
        if (dtype == DataType.DT_DOUBLE || dtype == DataType.DT_COMPLEX128) {
          if (d.length < SMALL) {
            for (double x : d) buf.putDouble(x);
          } else {
            buf.asDoubleBuffer().put(d);
            buf.position(buf.position() + 8 * d.length);
          }
        } else {
          for (int i = 0; i < d.length; i++) floating(d[i], path, depth, i);
        }
      } else if (a instanceof int[]) {
        int[] v = (int[]) a;
        if (dtype == DataType.DT_INT32 || dtype == DataType.DT_UINT32) {
          if (v.length < SMALL) {
            for (int x : v) buf.putInt(x);
          } else {
            buf.asIntBuffer().put(v);
            buf.position(buf.position() + 4 * v.length);
          }
        } else {
          for (int i = 0; i < v.length; i++) integer(v[i], 32, path, depth, i);
        }
      } else if (a instanceof long[]) {
        long[] v = (long[]) a;
        if (dtype == DataType.DT_INT64 || dtype == DataType.DT_UINT64) {
          if (v.length < SMALL) {
            for (long x : v) buf.putLong(x);
          } else {
            buf.asLongBuffer().put(v);
            buf.position(buf.position() + 8 * v.length);
          }
        } else {
          for (int i = 0; i < v.length; i++) integer(v[i], 64, path, depth, i);
        }
      } else if (a instanceof short[]) {
        short[] v = (short[]) a;
        if (dtype == DataType.DT_INT16 || dtype == DataType.DT_UINT16) {
          buf.asShortBuffer().put(v);
          buf.position(buf.position() + 2 * v.length);
        } else {
          for (int i = 0; i < v.length; i++) integer(v[i], 16, path, depth, i);
        }
      } else if (a instanceof byte[]) {
        byte[] v = (byte[]) a;
        if (dtype == DataType.DT_INT8 || dtype == DataType.DT_UINT8) {
          buf.put(v);
        } else {
          for (int i = 0; i < v.length; i++) integer(v[i], 8, path, depth, i);
        }
      } else if (a instanceof boolean[]) {
        boolean[] v = (boolean[]) a;
        for (int i = 0; i < v.length; i++) bool(v[i], path, depth, i);
      } else {
        throw new IllegalArgumentException("unsupported Java type " + a.getClass().getSimpleName());
      }
    }

    void scalar(Object v, int[] path, int depth) {
      if (v instanceof Float || v instanceof Double) {
        floating(((Number) v).doubleValue(), path, depth, -1);
      } else if (v instanceof Long) {
        integer((Long) v, 64, path, depth, -1);
      } else if (v instanceof Integer) {
        integer((Integer) v, 32, path, depth, -1);
      } else if (v instanceof Short) {
        integer((Short) v, 16, path, depth, -1);
      } else if (v instanceof Byte) {
        integer((Byte) v, 8, path, depth, -1);
      } else if (v instanceof Boolean) {
        bool((Boolean) v, path, depth, -1);
      } else if (v instanceof String || v instanceof byte[]) {
        if (dtype != DataType.DT_STRING) {
          throw new IllegalArgumentException(
              "element " + at(path, depth, -1) + " is a " + v.getClass().getSimpleName()
                  + ", which does not convert to " + DataTypes.name(dtype));
        }
        strings.add(v instanceof String ? ByteString.copyFromUtf8((String) v) : ByteString.copyFrom((byte[]) v));
      } else {
        throw new IllegalArgumentException(
            "unsupported Java type " + v.getClass().getName() + " at element " + at(path, depth, -1));
      }
    }

    private void floating(double v, int[] path, int depth, int i) {
      switch (dtype) {
        case DT_FLOAT: case DT_COMPLEX64: buf.putFloat((float) v); return;
        case DT_DOUBLE: case DT_COMPLEX128: buf.putDouble(v); return;
        case DT_HALF: buf.putShort(HalfFloats.floatToHalf((float) v)); return;
        case DT_BFLOAT16: buf.putShort(HalfFloats.floatToBfloat16((float) v)); return;
        default:
          if (DataTypes.isInteger(dtype)) {
            if (v != Math.rint(v) || Double.isInfinite(v) || Math.abs(v) > 0x1p64) {
              throw new IllegalArgumentException(
                  "element " + at(path, depth, i) + " = " + v + " is not an integer; cannot store it as "
                      + DataTypes.name(dtype));
            }
            if (dtype == DataType.DT_UINT64 && v >= 0x1p63) {
              checkRange(v < 0x1p64, v, path, depth, i);
              buf.putLong((long) (v - 0x1p63) ^ Long.MIN_VALUE);
              return;
            }
            integer((long) v, 65, path, depth, i);
            return;
          }
          throw new IllegalArgumentException(
              "element " + at(path, depth, i) + " is a number; a " + DataTypes.name(dtype)
                  + " tensor takes " + (dtype == DataType.DT_BOOL ? "booleans" : "String or byte[] values"));
      }
    }

    /** Stores an integer; {@code srcBits} is the Java type's width, used for the unsigned rule. */
    private void integer(long v, int srcBits, int[] path, int depth, int i) {
      switch (dtype) {
        case DT_FLOAT: case DT_COMPLEX64: buf.putFloat((float) v); return;
        case DT_DOUBLE: case DT_COMPLEX128: buf.putDouble((double) v); return;
        case DT_HALF: buf.putShort(HalfFloats.floatToHalf((float) v)); return;
        case DT_BFLOAT16: buf.putShort(HalfFloats.floatToBfloat16((float) v)); return;
        case DT_INT8: checkRange(v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE, v, path, depth, i); buf.put((byte) v); return;
        case DT_INT16: checkRange(v >= Short.MIN_VALUE && v <= Short.MAX_VALUE, v, path, depth, i); buf.putShort((short) v); return;
        case DT_INT32: checkRange(v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE, v, path, depth, i); buf.putInt((int) v); return;
        case DT_INT64: buf.putLong(v); return;
        case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64: {
          // A Java type as wide as the unsigned dtype carries it as its bit pattern (as
          // Byte.toUnsignedInt reads it); wider types must hold the value itself.
          if (srcBits != width) {
            checkRange(v >= 0 && (width == 64 || v < (1L << width)), v, path, depth, i);
          }
          if (width == 8) buf.put((byte) v);
          else if (width == 16) buf.putShort((short) v);
          else if (width == 32) buf.putInt((int) v);
          else buf.putLong(v);
          return;
        }
        case DT_BOOL:
          throw new IllegalArgumentException(
              "element " + at(path, depth, i) + " is a number; a bool tensor takes booleans");
        default:
          throw new IllegalArgumentException(
              "element " + at(path, depth, i) + " is a number; a string tensor takes String or byte[] values");
      }
    }

    private void checkRange(boolean ok, Object v, int[] path, int depth, int i) {
      if (!ok) {
        throw new IllegalArgumentException(
            "element " + at(path, depth, i) + " = " + v + " is out of range for " + DataTypes.name(dtype));
      }
    }

    private void bool(boolean b, int[] path, int depth, int i) {
      if (dtype != DataType.DT_BOOL) {
        throw new IllegalArgumentException(
            "element " + at(path, depth, i) + " is a boolean, which does not convert to " + DataTypes.name(dtype));
      }
      buf.put((byte) (b ? 1 : 0));
    }

    private static String at(int[] path, int depth, int i) {
      if (depth == 0) return i >= 0 ? "[" + i + "]" : "(scalar)";
      String p = Shapes.path(path, depth);
      return i >= 0 ? p + "[" + i + "]" : p;
    }
  }
}
