package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Hand-built protos in typed-field form (as TensorFlow's own make_tensor_proto and hand-written
 * clients send them) decode to the same value as the tensor_content form, whose bytes are laid
 * out here by hand.
 */
class TypedFieldDecodingTest {

  private static TensorProto.Builder proto(DataType d, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long x : dims) s.addDim(TensorShapeProto.Dim.newBuilder().setSize(x));
    return TensorProto.newBuilder().setDtype(d).setTensorShape(s);
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static TensorValue content(DataType d, ByteBuffer b, long... dims) {
    return TensorValue.fromProto(proto(d, dims).setTensorContent(ByteString.copyFrom(b.array())).build());
  }

  private static void assertSame(TensorProto typed, TensorValue packed) {
    TensorValue fromTyped = TensorValue.fromProto(typed);
    assertThat(fromTyped).isEqualTo(packed);
    // ... and re-encoding as typed fields gives the hand-built proto back.
    assertThat(packed.toProto(TensorEncoding.TYPED_FIELDS)).isEqualTo(typed);
  }

  @Test
  void float32AndFloat64() {
    assertSame(proto(DataType.DT_FLOAT, 3).addFloatVal(1.5f).addFloatVal(-2f).addFloatVal(1e-3f).build(),
        content(DataType.DT_FLOAT, le(12).putFloat(1.5f).putFloat(-2f).putFloat(1e-3f), 3));
    assertSame(proto(DataType.DT_DOUBLE, 2, 1).addDoubleVal(Math.PI).addDoubleVal(-1e300).build(),
        content(DataType.DT_DOUBLE, le(16).putDouble(Math.PI).putDouble(-1e300), 2, 1));
  }

  @Test
  void halfAndBfloat16InHalfValAsUint16Bits() {
    // 1.0 = 0x3C00, -2.0 = 0xC000 in binary16; 1.0 = 0x3F80, -2.0 = 0xC000 in bfloat16.
    TensorValue half = content(DataType.DT_HALF, le(4).putShort((short) 0x3C00).putShort((short) 0xC000), 2);
    assertSame(proto(DataType.DT_HALF, 2).addHalfVal(0x3C00).addHalfVal(0xC000).build(), half);
    assertThat(half.floats()).containsExactly(1f, -2f);
    TensorValue bf = content(DataType.DT_BFLOAT16, le(4).putShort((short) 0x3F80).putShort((short) 0xC000), 2);
    assertSame(proto(DataType.DT_BFLOAT16, 2).addHalfVal(0x3F80).addHalfVal(0xC000).build(), bf);
    assertThat(bf.floats()).containsExactly(1f, -2f);
  }

  @Test
  void smallIntsInIntVal() {
    assertSame(proto(DataType.DT_INT8, 3).addIntVal(-128).addIntVal(0).addIntVal(127).build(),
        content(DataType.DT_INT8, le(3).put((byte) -128).put((byte) 0).put((byte) 127), 3));
    assertSame(proto(DataType.DT_UINT8, 3).addIntVal(0).addIntVal(128).addIntVal(255).build(),
        content(DataType.DT_UINT8, le(3).put((byte) 0).put((byte) 0x80).put((byte) 0xFF), 3));
    assertSame(proto(DataType.DT_INT16, 2).addIntVal(-32768).addIntVal(1234).build(),
        content(DataType.DT_INT16, le(4).putShort((short) -32768).putShort((short) 1234), 2));
    assertSame(proto(DataType.DT_UINT16, 2).addIntVal(65535).addIntVal(1).build(),
        content(DataType.DT_UINT16, le(4).putShort((short) 0xFFFF).putShort((short) 1), 2));
    assertSame(proto(DataType.DT_INT32, 2).addIntVal(Integer.MIN_VALUE).addIntVal(7).build(),
        content(DataType.DT_INT32, le(8).putInt(Integer.MIN_VALUE).putInt(7), 2));
    assertThat(TensorValue.fromProto(proto(DataType.DT_UINT8, 1).addIntVal(200).build()).ints()).containsExactly(200);
  }

  @Test
  void wideIntsInTheirOwnFields() {
    assertSame(proto(DataType.DT_INT64, 2).addInt64Val(Long.MIN_VALUE).addInt64Val(5).build(),
        content(DataType.DT_INT64, le(16).putLong(Long.MIN_VALUE).putLong(5), 2));
    // uint32 4000000000 is the Java int -294967296 on the wire.
    TensorValue u32 = content(DataType.DT_UINT32, le(8).putInt((int) 4_000_000_000L).putInt(1), 2);
    assertSame(proto(DataType.DT_UINT32, 2).addUint32Val((int) 4_000_000_000L).addUint32Val(1).build(), u32);
    assertThat(u32.longs()).containsExactly(4_000_000_000L, 1L);
    TensorValue u64 = content(DataType.DT_UINT64, le(8).putLong(-1L), 1);
    assertSame(proto(DataType.DT_UINT64, 1).addUint64Val(-1L).build(), u64);
    assertThat(Long.toUnsignedString(u64.longValue())).isEqualTo("18446744073709551615");
  }

  @Test
  void boolAndString() {
    assertSame(proto(DataType.DT_BOOL, 3).addBoolVal(true).addBoolVal(false).addBoolVal(true).build(),
        content(DataType.DT_BOOL, le(3).put((byte) 1).put((byte) 0).put((byte) 1), 3));
    TensorValue s = TensorValue.fromProto(proto(DataType.DT_STRING, 2)
        .addStringVal(ByteString.copyFromUtf8("ä")).addStringVal(ByteString.copyFrom(new byte[] {0, (byte) 0xff})).build());
    assertThat(s.strings()[0]).isEqualTo("ä");
    assertThat(s.bytes()[1]).containsExactly(0, 0xff);
    assertThat(s.bytes()[0]).isEqualTo("ä".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void complexAsRealImaginaryPairs() {
    assertSame(proto(DataType.DT_COMPLEX64, 2).addScomplexVal(1f).addScomplexVal(-1f).addScomplexVal(0.5f).addScomplexVal(2f).build(),
        content(DataType.DT_COMPLEX64, le(16).putFloat(1f).putFloat(-1f).putFloat(0.5f).putFloat(2f), 2));
    assertSame(proto(DataType.DT_COMPLEX128, 1).addDcomplexVal(3).addDcomplexVal(4).build(),
        content(DataType.DT_COMPLEX128, le(16).putDouble(3).putDouble(4), 1));
    TensorValue filled = TensorValue.fromProto(proto(DataType.DT_COMPLEX64, 3).addScomplexVal(1f).addScomplexVal(2f).build());
    assertThat(filled.floats()).containsExactly(1f, 2f, 1f, 2f, 1f, 2f);
  }

  @Test
  void aSingleValueFillsTheWholeShapeAndNoValuesMeanZeros() {
    assertThat(TensorValue.fromProto(proto(DataType.DT_FLOAT, 2, 3).addFloatVal(7f).build()))
        .isEqualTo(TensorValue.of(new float[][] {{7f, 7f, 7f}, {7f, 7f, 7f}}));
    assertThat(TensorValue.fromProto(proto(DataType.DT_HALF, 4).addHalfVal(0x3C00).build()).floats())
        .containsExactly(1f, 1f, 1f, 1f);
    assertThat(TensorValue.fromProto(proto(DataType.DT_BOOL, 2).addBoolVal(true).build()).booleans())
        .containsExactly(true, true);
    assertThat(TensorValue.fromProto(proto(DataType.DT_STRING, 2).addStringVal(ByteString.copyFromUtf8("a")).build()).strings())
        .containsExactly("a", "a");
    // Fewer values than elements: the last one repeats (TensorFlow's Tensor::FromProto rule).
    assertThat(TensorValue.fromProto(proto(DataType.DT_INT32, 4).addIntVal(1).addIntVal(2).build()).ints())
        .containsExactly(1, 2, 2, 2);
    assertThat(TensorValue.fromProto(proto(DataType.DT_INT64, 3).build()).longs()).containsExactly(0L, 0L, 0L);
    assertThat(TensorValue.fromProto(proto(DataType.DT_STRING, 2).build()).strings()).containsExactly("", "");
  }
}
