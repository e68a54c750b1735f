package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/** TensorValue ⇄ TF Java Tensor for every dtype TF Java 1.1.0 has a tensor type for. */
class TfTensorConversionTest {

  static final DataType[] TF_JAVA_DTYPES = {
    DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_BFLOAT16, DataType.DT_INT32,
    DataType.DT_INT64, DataType.DT_UINT8, DataType.DT_UINT16, DataType.DT_BOOL, DataType.DT_STRING
  };

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DataType d : TF_JAVA_DTYPES) for (long[] s : TensorRoundTripTest.SHAPES) out.add(Arguments.of(d, s));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void roundTripThroughTfJavaTensor(DataType d, long[] shape) {
    int n = 1;
    for (long x : shape) n *= (int) x;
    Object flat = TensorRoundTripTest.values(d, n, new Random(7 + n));
    TensorValue v = TensorValue.fromFlat(d, flat, shape);
    try (Tensor t = v.toTensor()) {
      assertThat(t.dataType()).isEqualTo(d);
      assertThat(t.shape().asArray()).containsExactly(shape);
      TensorValue back = TensorValue.fromTensor(t);
      assertThat(back).isEqualTo(v);
      TensorRoundTripTest.assertSameValues(back, d, flat);
    }
  }

  @Test
  void valuesAreReadableThroughTfJavaOwnAccessors() {
    TensorValue v = TensorValue.of(new float[][] {{1.5f, -2f}, {3f, 4.25f}});
    try (TFloat32 t = (TFloat32) v.toTensor()) {
      assertThat(t.getFloat(0, 1)).isEqualTo(-2f);
      assertThat(t.getFloat(1, 1)).isEqualTo(4.25f);
    }
    try (TFloat16 t = (TFloat16) TensorValue.of(new float[] {0.5f, 65504f}, DataType.DT_HALF).toTensor()) {
      assertThat(t.getFloat(1)).isEqualTo(65504f);
    }
    try (TUint8 t = (TUint8) TensorValue.of(new int[] {0, 200, 255}, DataType.DT_UINT8).toTensor()) {
      assertThat(t.getByte(1) & 0xff).isEqualTo(200);
    }
    try (TBool t = (TBool) TensorValue.of(new boolean[] {true, false, true}).toTensor()) {
      assertThat(t.getBoolean(0)).isTrue();
      assertThat(t.getBoolean(1)).isFalse();
    }
    try (TString t = (TString) TensorValue.of(new String[][] {{"a", "bé"}}).toTensor()) {
      assertThat(t.getObject(0, 1)).isEqualTo("bé");
    }
  }

  @Test
  void tensorsBuiltByTfJavaConvert() {
    try (TInt64 t = TInt64.tensorOf(Shape.of(2, 2), x -> {
          x.setLong(10L, 0, 0);
          x.setLong(-20L, 0, 1);
          x.setLong(Long.MAX_VALUE, 1, 0);
          x.setLong(40L, 1, 1);
        })) {
      TensorValue v = TensorValue.fromTensor(t);
      assertThat(v.dtype()).isEqualTo(DataType.DT_INT64);
      assertThat(v.shape()).containsExactly(2, 2);
      assertThat(v.longs()).containsExactly(10L, -20L, Long.MAX_VALUE, 40L);
      // A tensor given to of(...) converts the same way.
      assertThat(TensorValue.of(t)).isEqualTo(v);
    }
    try (TString t = TString.vectorOf("x", "yz")) {
      assertThat(TensorValue.fromTensor(t).strings()).containsExactly("x", "yz");
    }
  }

  @Test
  void dtypesWithoutATfJavaTypeAreRefusedBeforeNativeCode() {
    assertThatThrownBy(() -> TensorValue.of(new byte[] {1, 2}, DataType.DT_INT8).toTensor())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("int8")
        .hasMessageContaining("cast");
    TensorValue i8 = TensorValue.of(new byte[] {-1, 2}, DataType.DT_INT8);
    try (Tensor t = i8.cast(DataType.DT_INT32).toTensor()) {
      assertThat(TensorValue.fromTensor(t).ints()).containsExactly(-1, 2);
    }
  }

  @Test
  void graphProtosBecomeTensorsAsTensorFlowReadsThem() {
    // Like Tensor::FromProto: the dtype's own field, the last value repeated, other fields ignored.
    TensorProto p = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(Shapes.toProto(new long[] {3}))
        .addFloatVal(1.5f).addFloatVal(-2f).addIntVal(9).build();
    try (TFloat32 t = (TFloat32) TfTensors.fromProto(p, "variable 'w'")) {
      assertThat(new float[] {t.getFloat(0), t.getFloat(1), t.getFloat(2)}).containsExactly(1.5f, -2f, -2f);
    }
    assertThatThrownBy(() -> TensorValue.fromProto(p)).hasMessageContaining("carries 1 values in int_val");
    try (Tensor t = TensorValue.of(new long[] {4, -5}).toTensor()) {
      assertThat(TfTensors.toProto(t)).isEqualTo(TensorValue.of(new long[] {4, -5}).toProto());
      assertThat(TfTensors.toProto(t).getTensorContent().size()).isEqualTo(16);
    }
  }

  @Test
  void graphOnlyDtypesAreCountedButNotMadeIntoTensors() {
    TensorProto q = TensorProto.newBuilder().setDtype(DataType.DT_QINT8).setTensorShape(Shapes.toProto(new long[] {2, 3}))
        .addIntVal(1).build();
    assertThat(TfTensors.protoBytes(q)).isEqualTo(6);
    assertThatThrownBy(() -> TfTensors.fromProto(q, "node 'q'"))
        .hasMessage("node 'q': TF Java 1.1.0 has no tensor type for DT_QINT8");
    assertThatThrownBy(() -> TfTensors.tensorOf(new Object(), "feed 'x:0'")).hasMessageStartingWith("feed 'x:0': ");
    TensorProto s = TensorProto.newBuilder().setDtype(DataType.DT_STRING).setTensorShape(Shapes.toProto(new long[] {2}))
        .addStringVal(ByteString.copyFromUtf8("ab")).addStringVal(ByteString.copyFromUtf8("cde")).build();
    assertThat(TfTensors.protoBytes(s)).isEqualTo(5);
  }
}
