package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.FloatNdArray;
import org.tensorflow.ndarray.IntNdArray;
import org.tensorflow.ndarray.NdArray;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/** Java values of every accepted kind in and out: scalars, boxed arrays, Lists, NdArrays, images. */
class JavaConversionTest {

  @Test
  void dtypeIsInferredFromTheJavaType() {
    assertThat(TensorValue.of(1.5f).dtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(TensorValue.of(1.5f).shape()).isEmpty();
    assertThat(TensorValue.of(1.5).dtype()).isEqualTo(DataType.DT_DOUBLE);
    assertThat(TensorValue.of(1).dtype()).isEqualTo(DataType.DT_INT32);
    assertThat(TensorValue.of(1L).dtype()).isEqualTo(DataType.DT_INT64);
    assertThat(TensorValue.of((short) 1).dtype()).isEqualTo(DataType.DT_INT16);
    assertThat(TensorValue.of((byte) 1).dtype()).isEqualTo(DataType.DT_INT8);
    assertThat(TensorValue.of(true).dtype()).isEqualTo(DataType.DT_BOOL);
    assertThat(TensorValue.of("x").dtype()).isEqualTo(DataType.DT_STRING);
    TensorValue b = TensorValue.of(new byte[] {1, 2, 3});
    assertThat(b.dtype()).isEqualTo(DataType.DT_STRING);
    assertThat(b.shape()).isEmpty();
    assertThat(b.bytes()[0]).containsExactly(1, 2, 3);
    assertThat(TensorValue.of(new byte[][] {{1}, {2, 3}}).shape()).containsExactly(2);
  }

  @Test
  void listsAndBoxedArraysNest() {
    TensorValue l = TensorValue.of(List.of(List.of(1, 2, 3), List.of(4, 5, 6)));
    assertThat(l.dtype()).isEqualTo(DataType.DT_INT32);
    assertThat(l.shape()).containsExactly(2, 3);
    assertThat(l.ints()).containsExactly(1, 2, 3, 4, 5, 6);
    TensorValue boxed = TensorValue.of(new Double[][] {{1.0}, {2.0}});
    assertThat(boxed).isEqualTo(TensorValue.of(new double[][] {{1.0}, {2.0}}));
    TensorValue mixed = TensorValue.of(List.of(new float[] {1f, 2f}, new float[] {3f, 4f}));
    assertThat(mixed).isEqualTo(TensorValue.of(new float[][] {{1f, 2f}, {3f, 4f}}));
    TensorValue empty = TensorValue.of(List.of());
    assertThat(empty.dtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(empty.shape()).containsExactly(0);
    assertThat(TensorValue.of(new float[0][]).shape()).containsExactly(0, 0);
  }

  @Test
  void explicitDtypesConvert() {
    assertThat(TensorValue.of(new double[] {0.5, 0.25}, DataType.DT_FLOAT).floats()).containsExactly(0.5f, 0.25f);
    assertThat(TensorValue.of(new int[] {3}, DataType.DT_HALF).floats()).containsExactly(3f);
    assertThat(TensorValue.of(List.of(1, 2), DataType.DT_INT64).longs()).containsExactly(1L, 2L);
    // A Java byte carries a uint8's bit pattern.
    assertThat(TensorValue.of(new byte[] {(byte) 255, 1}, DataType.DT_UINT8).ints()).containsExactly(255, 1);
    assertThat(TensorValue.of(new long[] {-1L}, DataType.DT_UINT64).longs()).containsExactly(-1L);
    assertThat(TensorValue.of(new double[] {0x1p63}, DataType.DT_UINT64).longs()).containsExactly(Long.MIN_VALUE);
    TensorValue c = TensorValue.of(new float[][] {{1f, 2f}, {3f, 4f}}, DataType.DT_COMPLEX64);
    assertThat(c.shape()).containsExactly(2);
    assertThat(c.floats()).containsExactly(1f, 2f, 3f, 4f);
    assertThat(c.toString()).isEqualTo("complex64[2] [1.0+2.0i, 3.0+4.0i]");
  }

  @Test
  void wideningReadsAreExact() {
    TensorValue i8 = TensorValue.of(new byte[] {-128, 127}, DataType.DT_INT8);
    assertThat(i8.ints()).containsExactly(-128, 127);
    assertThat(i8.longs()).containsExactly(-128L, 127L);
    assertThat(i8.floats()).containsExactly(-128f, 127f);
    TensorValue u16 = TensorValue.of(new int[] {65535}, DataType.DT_UINT16);
    assertThat(u16.ints()).containsExactly(65535);
    assertThat(TensorValue.of(new float[] {0.1f}).doubles()).containsExactly((double) 0.1f);
    assertThat(TensorValue.of(new int[] {Integer.MAX_VALUE}).doubles()).containsExactly((double) Integer.MAX_VALUE);
  }

  @Test
  void ndArraysInAndOut() {
    FloatNdArray nd = NdArrays.ofFloats(Shape.of(2, 3));
    nd.setFloat(5f, 1, 2);
    nd.setFloat(-1f, 0, 0);
    TensorValue v = TensorValue.of(nd);
    assertThat(v.shape()).containsExactly(2, 3);
    assertThat(v.floats()).containsExactly(-1f, 0f, 0f, 0f, 0f, 5f);
    FloatNdArray back = (FloatNdArray) v.toNdArray();
    assertThat(back.getFloat(1, 2)).isEqualTo(5f);
    assertThat(back.shape().asArray()).containsExactly(2, 3);
    IntNdArray ints = (IntNdArray) TensorValue.of(new int[][] {{1, 2}, {3, 4}}).toNdArray();
    assertThat(ints.getInt(1, 0)).isEqualTo(3);
    NdArray<String> s = NdArrays.vectorOfObjects("a", "b");
    assertThat(TensorValue.of(s).strings()).containsExactly("a", "b");
    @SuppressWarnings("unchecked")
    NdArray<String> sb = (NdArray<String>) TensorValue.of(new String[] {"x", "y"}).toNdArray();
    assertThat(sb.getObject(1)).isEqualTo("y");
    assertThat(TensorValue.of(nd, DataType.DT_HALF).dtype()).isEqualTo(DataType.DT_HALF);
  }

  @Test
  void imagesBecomeBatchedHwcTensorsAndBack() {
    BufferedImage img = new BufferedImage(2, 3, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0xFF0000);
    img.setRGB(1, 0, 0x00FF80);
    img.setRGB(1, 2, 0x102030);
    TensorValue u8 = TensorValue.of(img);
    assertThat(u8.dtype()).isEqualTo(DataType.DT_UINT8);
    assertThat(u8.shape()).containsExactly(1, 3, 2, 3);
    int[] px = u8.ints();
    assertThat(new int[] {px[0], px[1], px[2]}).containsExactly(255, 0, 0);
    assertThat(new int[] {px[3], px[4], px[5]}).containsExactly(0, 255, 128);
    int last = (2 * 2 + 1) * 3;
    assertThat(new int[] {px[last], px[last + 1], px[last + 2]}).containsExactly(0x10, 0x20, 0x30);

    TensorValue f = TensorValue.of(img, DataType.DT_FLOAT);
    assertThat(f.floats()[4]).isEqualTo(1f);
    assertThat(f.floats()[5]).isEqualTo(128 / 255f);

    for (TensorValue t : List.of(u8, f)) {
      BufferedImage back = t.asImage();
      assertThat(back.getWidth()).isEqualTo(2);
      assertThat(back.getHeight()).isEqualTo(3);
      assertThat(back.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0x00FF80);
      assertThat(back.getRGB(1, 2) & 0xFFFFFF).isEqualTo(0x102030);
    }
    assertThatThrownBy(() -> TensorValue.of(new float[] {1, 2}).asImage()).hasMessageContaining("[H,W]");
  }

  @Test
  void matrixCastReshapeAndToString() {
    TensorValue v = TensorValue.fromFlat(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
    assertThat(v.asFloatMatrix()).isDeepEqualTo(new float[][] {{1, 2, 3, 4}, {5, 6, 7, 8}});
    assertThat(v.reshape(4, 2).asFloatMatrix()[3]).containsExactly(7, 8);
    assertThat(TensorValue.of(new float[] {1, 2}).asFloatMatrix()).isDeepEqualTo(new float[][] {{1, 2}});
    assertThat(v.toString()).isEqualTo("float32[2,2,2] [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, ...]");
    assertThat(TensorValue.of("hi").toString()).isEqualTo("string[] [\"hi\"]");
    assertThat(TensorValue.of(new int[] {1, 2}).cast(DataType.DT_FLOAT).floats()).containsExactly(1f, 2f);
    assertThat(TensorValue.of(new float[] {2f}).cast(DataType.DT_INT64).longs()).containsExactly(2L);
    assertThatThrownBy(() -> TensorValue.of(new float[] {2.5f}).cast(DataType.DT_INT64)).hasMessageContaining("2.5");
    assertThatThrownBy(() -> TensorValue.of(new int[] {200}, DataType.DT_UINT8).cast(DataType.DT_INT8))
        .hasMessageContaining("200 is out of range for int8");
    // Same bytes, different dtype: not equal.
    assertThat(TensorValue.of(new byte[] {1}, DataType.DT_INT8)).isNotEqualTo(TensorValue.of(new byte[] {1}, DataType.DT_UINT8));
    assertThat(TensorValue.of(7).intValue()).isEqualTo(7);
    assertThat(TensorValue.of("s").stringValue()).isEqualTo("s");
  }

  @Test
  void slicesAndBatchImages() {
    TensorValue m = TensorValue.of(new int[][] {{1, 2}, {3, 4}, {5, 6}});
    assertThat(m.slice(1).ints()).containsExactly(3, 4);
    assertThat(m.slice(1).shape()).containsExactly(2);
    assertThat(TensorValue.of(new String[][] {{"a"}, {"b"}}).slice(1).strings()).containsExactly("b");
    assertThatThrownBy(() -> m.slice(3)).hasMessageContaining("element 3");
    float[] px = new float[2 * 1 * 1 * 3];
    px[3] = 1f; // second image: one red pixel
    BufferedImage second = TensorValue.fromFlat(px, 2, 1, 1, 3).asImage(1);
    assertThat(second.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFF0000);
    assertThat(TensorValue.fromFlat(px, 2, 1, 1, 3).asImage(0).getRGB(0, 0) & 0xFFFFFF).isEqualTo(0);
  }

  @Test
  void dataTypeNamesParseBothWays() {
    assertThat(DataTypes.base(DataType.DT_FLOAT_REF)).isEqualTo(DataType.DT_FLOAT);
    assertThat(DataTypes.base(DataType.DT_STRING_REF)).isEqualTo(DataType.DT_STRING);
    assertThat(DataTypes.base(DataType.DT_INT8)).isEqualTo(DataType.DT_INT8);
    for (DataType d : DataTypes.supported()) {
      assertThat(DataTypes.parse(DataTypes.name(d))).isEqualTo(d);
      assertThat(DataTypes.parse(d.name())).isEqualTo(d);
    }
    assertThat(DataTypes.parse("half")).isEqualTo(DataType.DT_HALF);
    assertThat(DataTypes.parse(" Float ")).isEqualTo(DataType.DT_FLOAT);
    assertThat(DataTypes.byteSize(DataType.DT_COMPLEX128)).isEqualTo(16);
    assertThat(DataTypes.byteSize(DataType.DT_BFLOAT16)).isEqualTo(2);
  }
}
