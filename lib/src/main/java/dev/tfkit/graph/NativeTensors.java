package dev.tfkit.graph;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.tensorflow.RawTensor;
import dev.tfkit.tensor.NativeLimits;
import org.tensorflow.Tensor;
import org.tensorflow.internal.types.registry.TensorTypeInfo;
import org.tensorflow.internal.types.registry.TensorTypeRegistry;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;
import dev.tfkit.tensor.TensorValue;

/**
 * Converts between TF Java tensors, TensorProtos and plain Java arrays for the graph package
 * (restored variable values, feeds and fetches of {@link ModelGraph#run}).
 */
final class NativeTensors {
  private NativeTensors() {}

  /** The tensor's value as a TensorProto ({@code tensor_content}, or {@code string_val}). */
  static TensorProto toProto(Tensor t) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(t.dataType()).setTensorShape(shapeProto(t.shape()));
    if (t instanceof TString s) {
      NdArray<byte[]> bytes = s.asBytes();
      bytes.scalars().forEach(v -> b.addStringVal(ByteString.copyFrom(v.getObject())));
      return b.build();
    }
    RawTensor raw = t.asRawTensor();
    long n = raw.numBytes();
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("tensor of " + n + " bytes is too large for a TensorProto (2 GB limit)");
    }
    byte[] bytes = new byte[(int) n];
    raw.data().read(bytes);
    return b.setTensorContent(ByteString.copyFrom(bytes)).build();
  }

  static TensorShapeProto shapeProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    if (shape.isUnknown()) return b.setUnknownRank(true).build();
    for (long d : shape.asArray()) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return b.build();
  }

  static long[] dims(TensorShapeProto p) {
    long[] d = new long[p.getDimCount()];
    for (int i = 0; i < d.length; i++) d[i] = p.getDim(i).getSize();
    return d;
  }

  static long numElements(TensorShapeProto p) {
    long n = 1;
    for (TensorShapeProto.Dim d : p.getDimList()) n *= d.getSize();
    return n;
  }

  /** Bytes per element of a fixed-size dtype, or -1 (strings, resources, variants). */
  static int byteSize(DataType dt) {
    return switch (dt) {
      case DT_FLOAT, DT_INT32, DT_UINT32, DT_QINT32 -> 4;
      case DT_DOUBLE, DT_INT64, DT_UINT64, DT_COMPLEX64 -> 8;
      case DT_COMPLEX128 -> 16;
      case DT_HALF, DT_BFLOAT16, DT_INT16, DT_UINT16, DT_QINT16, DT_QUINT16 -> 2;
      case DT_UINT8, DT_INT8, DT_BOOL, DT_QINT8, DT_QUINT8 -> 1;
      default -> -1;
    };
  }

  /** Bytes a constant tensor holds (content, typed fields or strings). */
  static long protoBytes(TensorProto p) {
    if (!p.getTensorContent().isEmpty()) return p.getTensorContent().size();
    int es = byteSize(p.getDtype());
    if (p.getDtype() == DataType.DT_STRING) {
      long n = 0;
      for (ByteString s : p.getStringValList()) n += s.size();
      return n;
    }
    return es < 0 ? 0 : numElements(p.getTensorShape()) * es;
  }

  /**
   * A tensor for a feed: a TF Java tensor (used as is, the caller keeps ownership), a TensorProto,
   * a {@link TensorValue}, or anything {@link TensorValue#of(Object)} takes (scalars, nested arrays, strings).
   */
  static Tensor toTensor(Object value, String feedName) {
    if (value instanceof Tensor t) return t;
    if (value instanceof TensorProto p) return fromProto(p, feedName);
    if (value instanceof TensorValue tv) return tv.toTensor();
    try {
      return TensorValue.of(value).toTensor();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("feed '" + feedName + "': " + e.getMessage(), e);
    }
  }

  /** A tensor from a TensorProto: {@code tensor_content}, or the typed fields (one value fills the shape). */
  static Tensor fromProto(TensorProto p, String what) {
    NativeLimits.checkTensor(p, what);
    Shape shape = Shape.of(dims(p.getTensorShape()));
    if (p.getDtype() == DataType.DT_STRING) {
      int n = (int) shape.size();
      byte[][] vals = new byte[n][];
      for (int i = 0; i < n; i++) {
        int k = p.getStringValCount() == 1 ? 0 : i;
        if (k >= p.getStringValCount()) throw new IllegalArgumentException(what + ": string tensor has " + p.getStringValCount() + " values for shape " + shape);
        vals[i] = p.getStringVal(k).toByteArray();
      }
      NdArray<byte[]> nd = NdArrays.wrap(shape, DataBuffers.ofObjects(vals));
      return TString.tensorOfBytes(nd);
    }
    int es = byteSize(p.getDtype());
    if (es < 0) throw new IllegalArgumentException(what + ": cannot make a tensor of dtype " + p.getDtype());
    long n = shape.size();
    long bytes = n * es;
    if (!p.getTensorContent().isEmpty()) {
      if (p.getTensorContent().size() != bytes) {
        throw new IllegalArgumentException(what + ": tensor_content has " + p.getTensorContent().size() + " bytes, shape " + shape + " of " + p.getDtype() + " needs " + bytes);
      }
      return raw(p.getDtype(), shape, p.getTensorContent().toByteArray(), what);
    }
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    switch (p.getDtype()) {
      case DT_FLOAT -> { for (long i = 0; i < n; i++) buf.putFloat(pick(p.getFloatValList(), i, 0f)); }
      case DT_DOUBLE -> { for (long i = 0; i < n; i++) buf.putDouble(pick(p.getDoubleValList(), i, 0d)); }
      case DT_INT32 -> { for (long i = 0; i < n; i++) buf.putInt(pick(p.getIntValList(), i, 0)); }
      case DT_UINT8, DT_INT8 -> { for (long i = 0; i < n; i++) buf.put((byte) (int) pick(p.getIntValList(), i, 0)); }
      case DT_INT64 -> { for (long i = 0; i < n; i++) buf.putLong(pick(p.getInt64ValList(), i, 0L)); }
      case DT_BOOL -> { for (long i = 0; i < n; i++) buf.put((byte) (pick(p.getBoolValList(), i, false) ? 1 : 0)); }
      default -> throw new IllegalArgumentException(what + ": TensorProto of " + p.getDtype() + " needs tensor_content");
    }
    return raw(p.getDtype(), shape, buf.array(), what);
  }

  private static <T> T pick(List<T> vals, long i, T zero) {
    if (vals.isEmpty()) return zero;
    return vals.size() == 1 ? vals.get(0) : i < vals.size() ? vals.get((int) i) : vals.get(vals.size() - 1);
  }

  private static Tensor raw(DataType dt, Shape shape, byte[] bytes, String what) {
    TensorTypeInfo<? extends TType> info;
    try {
      info = TensorTypeRegistry.find(dt);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": TF Java has no tensor type for " + dt);
    }
    return Tensor.of(info.type(), shape, DataBuffers.of(bytes, true, false));
  }

  /** The float values of a float TensorProto (for tests and quick checks). */
  static float[] floats(TensorProto p) {
    if (p.getDtype() != DataType.DT_FLOAT) throw new IllegalArgumentException("not a float tensor: " + p.getDtype());
    if (!p.getTensorContent().isEmpty()) {
      ByteBuffer b = p.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[b.remaining() / 4];
      b.asFloatBuffer().get(out);
      return out;
    }
    int n = (int) numElements(p.getTensorShape());
    float[] out = new float[n];
    for (int i = 0; i < n; i++) out[i] = pick(p.getFloatValList(), i, 0f);
    return out;
  }
}
