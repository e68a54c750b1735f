package dev.tfkit.testing;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Hand-built float TensorProtos for tests' requests and variables, written field by field so that no
 * tfkit conversion code is involved: typed {@code float_val} values, or packed {@code tensor_content}.
 */
public final class TestTensors {
  private TestTensors() {}

  public static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  /** The dims of a shape of {@code rank} dimensions of size 1. */
  public static long[] ones(int rank) {
    long[] d = new long[rank];
    Arrays.fill(d, 1);
    return d;
  }

  /** A float tensor of shape {@code dims} with {@code values} in {@code float_val}. */
  public static TensorProto floats(long[] dims, float... values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(dims));
    for (float v : values) {
      b.addFloatVal(v);
    }
    return b.build();
  }

  public static TensorProto floatScalar(float value) {
    return floats(new long[0], value);
  }

  public static TensorProto floatVector(float... values) {
    return floats(new long[] {values.length}, values);
  }

  /** Rows of equal length, row after row in {@code float_val}. */
  public static TensorProto floatMatrix(float[][] rows) {
    TensorProto.Builder b = floats(new long[] {rows.length, rows[0].length}).toBuilder();
    for (float[] r : rows) {
      for (float v : r) {
        b.addFloatVal(v);
      }
    }
    return b.build();
  }

  /** Little-endian packed floats in tensor_content. */
  public static TensorProto packedFloats(long[] dims, float... values) {
    ByteBuffer bb = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bb.putFloat(v);
    }
    return TensorProto.newBuilder()
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(dims))
        .setTensorContent(ByteString.copyFrom(bb.array()))
        .build();
  }
}
