package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Bad input gives an exception whose message names what is wrong, never a silent wrong value. */
class TensorErrorsTest {

  private static TensorProto.Builder proto(DataType d, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long x : dims) s.addDim(TensorShapeProto.Dim.newBuilder().setSize(x));
    return TensorProto.newBuilder().setDtype(d).setTensorShape(s);
  }

  @Test
  void raggedArraysNameTheIndexPath() {
    assertThatThrownBy(() -> TensorValue.of(new int[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7}}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("element [1][1] has length 1, expected 2")
        .hasMessageContaining("[2,2,2]");
    assertThatThrownBy(() -> TensorValue.of(List.of(List.of(1, 2), 3)))
        .hasMessageContaining("element [1] is a single Integer");
    assertThatThrownBy(() -> TensorValue.of(List.of(1, List.of(2))))
        .hasMessageContaining("element [1]")
        .hasMessageContaining("where a single value was expected");
    assertThatThrownBy(() -> TensorValue.of(new Object[] {new float[] {1f}, new float[][] {{2f}}}))
        .hasMessageContaining("element [1]");
  }

  @Test
  void nullsAndUnsupportedJavaTypesAreNamed() {
    assertThatThrownBy(() -> TensorValue.of(new Float[] {1f, null})).hasMessageContaining("null element at [1]");
    assertThatThrownBy(() -> TensorValue.of((Object) null)).hasMessageContaining("null");
    assertThatThrownBy(() -> TensorValue.of(new Date())).hasMessageContaining("java.util.Date");
    assertThatThrownBy(() -> TensorValue.of(new char[] {'a'})).hasMessageContaining("char[]");
    assertThatThrownBy(() -> TensorValue.of(List.of(new Object()))).hasMessageContaining("java.lang.Object");
  }

  @Test
  void conversionsThatDoNotFitAreRefused() {
    assertThatThrownBy(() -> TensorValue.of(new int[] {1, 300}, DataType.DT_UINT8))
        .hasMessageContaining("element [1] = 300 is out of range for uint8");
    assertThatThrownBy(() -> TensorValue.of(new int[] {-1}, DataType.DT_UINT16))
        .hasMessageContaining("out of range for uint16");
    assertThatThrownBy(() -> TensorValue.of(new double[][] {{1.0, 1.5}}, DataType.DT_INT32))
        .hasMessageContaining("element [0][1] = 1.5 is not an integer");
    assertThatThrownBy(() -> TensorValue.of(List.of("a"), DataType.DT_FLOAT))
        .hasMessageContaining("String").hasMessageContaining("float32");
    assertThatThrownBy(() -> TensorValue.of(new boolean[] {true}, DataType.DT_INT32))
        .hasMessageContaining("boolean").hasMessageContaining("int32");
    assertThatThrownBy(() -> TensorValue.of(new float[] {1f}, DataType.DT_BOOL)).hasMessageContaining("bool");
    assertThatThrownBy(() -> TensorValue.of(new float[] {1f, 2f, 3f}, DataType.DT_COMPLEX64))
        .hasMessageContaining("last dimension of 2");
  }

  @Test
  void elementCountMustMatchTheShape() {
    assertThatThrownBy(() -> TensorValue.fromFlat(new float[5], 2, 3))
        .hasMessageContaining("5 elements").hasMessageContaining("[2,3] (6 elements)");
    assertThatThrownBy(() -> TensorValue.fromBytes(DataType.DT_INT32, new byte[7], 2))
        .hasMessageContaining("7 bytes").hasMessageContaining("expected 8");
    assertThatThrownBy(() -> TensorValue.of(new float[4]).reshape(3)).hasMessageContaining("cannot reshape");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 2).addFloatVal(1).addFloatVal(2).addFloatVal(3).build()))
        .hasMessageContaining("float_val has 3 values but the shape holds 2");
  }

  @Test
  void badShapesAreRefused() {
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 2, -1).build()))
        .hasMessageContaining("dimension 1").hasMessageContaining("negative (-1)");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 1L << 40, 1L << 40).build()))
        .hasMessageContaining("more elements than a long can count");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 1L << 31).build()))
        .hasMessageContaining("more than a Java array holds");
    assertThatThrownBy(() -> TensorValue.fromProto(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().setUnknownRank(true)).build()))
        .hasMessageContaining("unknown_rank");
    assertThatThrownBy(() -> TensorValue.fromFlat(new float[0], -1)).hasMessageContaining("negative");
  }

  @Test
  void badTensorContentIsRefused() {
    assertThatThrownBy(() -> TensorValue.fromProto(
            proto(DataType.DT_DOUBLE, 4).setTensorContent(ByteString.copyFrom(new byte[31])).build()))
        .hasMessageContaining("tensor_content has 31 bytes, expected 32")
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> TensorValue.fromProto(
            proto(DataType.DT_INT32, 1).setTensorContent(ByteString.copyFrom(new byte[8])).build()))
        .hasMessageContaining("8 bytes, expected 4");
    assertThatThrownBy(() -> TensorValue.fromProto(
            proto(DataType.DT_STRING, 1).setTensorContent(ByteString.copyFrom(new byte[8])).build()))
        .hasMessageContaining("string_val");
    assertThatThrownBy(() -> TensorValue.fromProto(
            proto(DataType.DT_FLOAT, 1).setTensorContent(ByteString.copyFrom(new byte[4])).addFloatVal(1).build()))
        .hasMessageContaining("both tensor_content and 1 values in float_val");
  }

  @Test
  void valuesInAnotherDtypesFieldAreRefused() {
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 2).addIntVal(1).build()))
        .hasMessageContaining("int_val").hasMessageContaining("float_val");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_HALF, 1).addFloatVal(1).build()))
        .hasMessageContaining("half_val");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_COMPLEX64, 1).addScomplexVal(1).build()))
        .hasMessageContaining("pairs");
  }

  @Test
  void unsupportedDtypesAreNamed() {
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_RESOURCE, 1).build()))
        .hasMessageContaining("DT_RESOURCE");
    assertThatThrownBy(() -> TensorValue.fromProto(proto(DataType.DT_FLOAT, 1).setDtypeValue(999).build()))
        .hasMessageContaining("999");
    assertThatThrownBy(() -> TensorValue.of(1f, DataType.DT_QINT8)).hasMessageContaining("DT_QINT8");
    assertThatThrownBy(() -> DataTypes.parse("float17")).hasMessageContaining("'float17'");
  }

  @Test
  void lossyReadsNameBothDtypes() {
    assertThatThrownBy(() -> TensorValue.of(new int[] {1}).floats())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("int32").hasMessageContaining("float32");
    assertThatThrownBy(() -> TensorValue.of(new long[] {1}).doubles()).hasMessageContaining("int64").hasMessageContaining("float64");
    assertThatThrownBy(() -> TensorValue.of(new int[] {1}, DataType.DT_UINT32).ints()).hasMessageContaining("uint32");
    assertThatThrownBy(() -> TensorValue.of(new double[] {1}).floats()).hasMessageContaining("float64");
    assertThatThrownBy(() -> TensorValue.of(new int[] {1}).booleans()).hasMessageContaining("bool");
    assertThatThrownBy(() -> TensorValue.of(1f).strings()).hasMessageContaining("string");
    assertThatThrownBy(() -> TensorValue.of(new float[] {1, 2}).floatValue()).hasMessageContaining("holds 2");
    assertThat(Arrays.toString(TensorValue.of(new byte[] {-3}, DataType.DT_INT8).doubles())).isEqualTo("[-3.0]");
  }
}
