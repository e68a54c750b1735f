package dev.tfkit.server.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.tfkit.tensor.DataTypes;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

class InputValidatorTest {
  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  private static TensorInfo info(DataType dt, long... dims) {
    return TensorInfo.newBuilder().setName("x:0").setDtype(dt).setTensorShape(shape(dims)).build();
  }

  private static TensorProto floats(long[] dims, int n) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(dims));
    for (int i = 0; i < n; i++) {
      b.addFloatVal(i);
    }
    return b.build();
  }

  private final InputValidator v = new InputValidator(1 << 20);

  @Test
  void shapesFitWhenKnownDimensionsAgreeIgnoringOnes() {
    assertThat(InputValidator.compatible(shape(3), shape(-1, 1))).isTrue();
    assertThat(InputValidator.compatible(shape(1), shape(-1, 1))).isTrue();
    assertThat(InputValidator.compatible(shape(3, 1), shape(-1, 1))).isTrue();
    assertThat(InputValidator.compatible(shape(2, 4), shape(-1, 4))).isTrue();
    assertThat(InputValidator.compatible(shape(2, 3), shape(-1, 1))).isFalse();
    assertThat(InputValidator.compatible(shape(2, 3), shape(-1, 4))).isFalse();
    assertThat(InputValidator.compatible(shape(3), shape(1))).isFalse();
    assertThat(InputValidator.compatible(shape(), shape())).isTrue();
  }

  @Test
  void refusesEachKindOfBadTensorNamingTheInput() {
    TensorInfo x = info(DataType.DT_FLOAT, -1, 1);
    assertThat(v.validate("x", x, floats(new long[] {2, 1}, 2))).isEqualTo(2);
    assertThatThrownBy(() -> v.validate("x", x, floats(new long[] {2, 1}, 3)))
        .hasMessage("input 'x': its shape needs 2 values but float_val has 3");
    assertThatThrownBy(() -> v.validate("x", x, floats(new long[] {-2, 1}, 0)))
        .hasMessage("input 'x': dimension 0 has size -2; sizes must be 0 or more");
    assertThatThrownBy(() -> v.validate("x", x, floats(new long[] {1L << 40, 1L << 40}, 0)))
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("too");
    assertThatThrownBy(() -> v.validate("x", x, floats(new long[] {1 << 20, 1}, 0)))
        .hasMessage("input 'x': is 4194304 bytes, more than the limit of 1048576 bytes");
    TensorProto ints =
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(1, 1)).addIntVal(3).build();
    assertThatThrownBy(() -> v.validate("x", x, ints))
        .hasMessage("input 'x': DT_FLOAT values must be in float_val or tensor_content");
    TensorProto content =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(shape(2, 1))
            .setTensorContent(ByteString.copyFrom(new byte[7]))
            .build();
    assertThatThrownBy(() -> v.validate("x", x, content))
        .hasMessageContaining("tensor_content has 7 bytes but shape [2,1] of DT_FLOAT needs 8");
    TensorProto unknownRank =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder().setUnknownRank(true))
            .build();
    assertThatThrownBy(() -> v.validate("x", x, unknownRank)).hasMessageContaining("unknown rank");
  }

  @Test
  void refDtypesAcceptTheirValueType() {
    assertThat(DataTypes.base(DataType.DT_FLOAT_REF)).isEqualTo(DataType.DT_FLOAT);
    assertThat(v.validate("d", info(DataType.DT_FLOAT_REF), floats(new long[] {}, 1))).isEqualTo(1);
  }

  @Test
  void namesMustMatchTheSignature() {
    SignatureDef sig = SignatureDef.newBuilder().putInputs("a", info(DataType.DT_FLOAT, -1)).putInputs("b", info(DataType.DT_FLOAT, -1)).build();
    assertThatThrownBy(() -> v.validate(sig, Map.of("a", floats(new long[] {1}, 1), "c", floats(new long[] {1}, 1))))
        .hasMessage(
            "input size does not match signature: 2!=2 len({a,c}) != len({a,b}). Sent extra: {c}. Missing but required: {b}.");
  }
}
