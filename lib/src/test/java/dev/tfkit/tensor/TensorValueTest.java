package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

class TensorValueTest {

  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return b.build();
  }

  @Test
  void floatMatrixInfersDtypeShapeAndPacksLittleEndian() {
    TensorValue v = TensorValue.of(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
    assertThat(v.dtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(v.shape()).containsExactly(2, 3);
    assertThat(v.floats()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f);
    TensorProto p = v.toProto();
    // 1.0f is 0x3F800000: little-endian bytes 00 00 80 3F.
    assertThat(p.getTensorContent().substring(0, 4).toByteArray())
        .containsExactly(0x00, 0x00, 0x80, 0x3F);
    assertThat(p.getTensorContent().size()).isEqualTo(24);
    assertThat(p.getFloatValCount()).isZero();
    assertThat(TensorValue.fromProto(p)).isEqualTo(v);
    assertThat(v.asFloatMatrix()).isDeepEqualTo(new float[][] {{1f, 2f, 3f}, {4f, 5f, 6f}});
  }

  @Test
  void typedFieldsDecodeLikeTensorContent() {
    TensorProto typed =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_INT32)
            .setTensorShape(shape(2, 2))
            .addIntVal(7).addIntVal(-1).addIntVal(3).addIntVal(9)
            .build();
    TensorValue v = TensorValue.fromProto(typed);
    assertThat(v.ints()).containsExactly(7, -1, 3, 9);
    assertThat(v).isEqualTo(TensorValue.of(new int[][] {{7, -1}, {3, 9}}));
    assertThat(v.longs()).containsExactly(7L, -1L, 3L, 9L);
    assertThat(v.toProto(TensorEncoding.TYPED_FIELDS).getIntValList()).containsExactly(7, -1, 3, 9);
  }

  @Test
  void singleTypedValueFillsTheShape() {
    TensorProto p =
        TensorProto.newBuilder().setDtype(DataType.DT_INT64).setTensorShape(shape(3)).addInt64Val(42).build();
    assertThat(TensorValue.fromProto(p).longs()).containsExactly(42L, 42L, 42L);
  }

  @Test
  void stringsRoundTripAsUtf8() {
    TensorValue v = TensorValue.of(List.of("héllo", "wörld"));
    assertThat(v.dtype()).isEqualTo(DataType.DT_STRING);
    TensorProto p = v.toProto();
    assertThat(p.getStringVal(0)).isEqualTo(ByteString.copyFrom("héllo".getBytes(StandardCharsets.UTF_8)));
    assertThat(TensorValue.fromProto(p).strings()).containsExactly("héllo", "wörld");
  }

  @Test
  void lossyReadIsRefusedNamingBothDtypes() {
    TensorValue v = TensorValue.of(new long[] {1L << 40});
    assertThatThrownBy(v::floats).hasMessageContaining("int64").hasMessageContaining("float32");
  }

  @Test
  void raggedArrayNamesTheIndexPath() {
    assertThatThrownBy(() -> TensorValue.of(new float[][] {{1f, 2f}, {3f}}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[1]")
        .hasMessageContaining("length 1, expected 2");
  }

  @Test
  void truncatedTensorContentReportsBothSizes() {
    TensorProto p =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(shape(2, 3))
            .setTensorContent(ByteString.copyFrom(new byte[20]))
            .build();
    assertThatThrownBy(() -> TensorValue.fromProto(p))
        .hasMessageContaining("20 bytes")
        .hasMessageContaining("expected 24");
  }
}
