package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/** Every dtype × ranks 0–4 × both encodings: Java values → TensorProto → wire bytes → values. */
class TensorRoundTripTest {

  static final long[][] SHAPES = {{}, {5}, {2, 3}, {2, 1, 3}, {1, 2, 2, 3}};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DataType d : DataTypes.supported()) {
      for (long[] s : SHAPES) {
        for (TensorEncoding e : TensorEncoding.values()) out.add(Arguments.of(d, s, e));
      }
    }
    return out.stream();
  }

  /** Input values for each dtype that the dtype holds exactly, in the Java type that carries it. */
  static Object values(DataType d, int n, Random r) {
    switch (d) {
      case DT_FLOAT: {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 200 - 100;
        return a;
      }
      case DT_DOUBLE: {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextDouble() * 2e6 - 1e6;
        return a;
      }
      case DT_HALF:
      case DT_BFLOAT16: {
        // Multiples of 1/8 below 32 have at most 8 significant bits: exact in both 16-bit floats.
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (r.nextInt(512) - 256) / 8f;
        return a;
      }
      case DT_COMPLEX64: {
        float[] a = new float[2 * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        return a;
      }
      case DT_COMPLEX128: {
        double[] a = new double[2 * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        return a;
      }
      case DT_INT8: return longs(n, r, -128, 127);
      case DT_UINT8: return longs(n, r, 0, 255);
      case DT_INT16: return longs(n, r, -32768, 32767);
      case DT_UINT16: return longs(n, r, 0, 65535);
      case DT_INT32: return longs(n, r, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case DT_UINT32: return longs(n, r, 0, 0xffffffffL);
      case DT_INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = r.nextLong();
        return a;
      }
      case DT_UINT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) a[i] = r.nextLong() >>> 1; // non-negative: a valid uint64 value
        if (n > 0) a[0] = Long.MAX_VALUE;
        return a;
      }
      case DT_BOOL: {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) a[i] = r.nextBoolean();
        return a;
      }
      case DT_STRING: {
        String[] a = new String[n];
        for (int i = 0; i < n; i++) a[i] = "s" + i + "\u00e9\u4e2d" + r.nextInt(1000);
        return a;
      }
      default:
        throw new AssertionError(d);
    }
  }

  private static long[] longs(int n, Random r, long min, long max) {
    long[] a = new long[n];
    for (int i = 0; i < n; i++) a[i] = min + (long) (r.nextDouble() * (max - min + 1));
    if (n > 1) {
      a[0] = min;
      a[1] = max;
    }
    return a;
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void roundTrip(DataType d, long[] shape, TensorEncoding enc) throws Exception {
    int n = 1;
    for (long x : shape) n *= (int) x;
    Object flat = values(d, n, new Random(n * 31L + d.getNumber()));
    TensorValue v = TensorValue.fromFlat(d, flat, shape);
    assertThat(v.dtype()).isEqualTo(d);
    assertThat(v.shape()).containsExactly(shape);

    TensorProto p = v.toProto(enc);
    if (d == DataType.DT_STRING || enc == TensorEncoding.TYPED_FIELDS) {
      assertThat(p.getTensorContent().isEmpty()).isTrue();
    } else {
      assertThat(p.getTensorContent().size()).isEqualTo(n * DataTypes.byteSize(d));
    }
    TensorProto wire = TensorProto.parseFrom(p.toByteArray());
    TensorValue back = TensorValue.fromProto(wire);
    assertThat(back).isEqualTo(v);
    assertThat(back.hashCode()).isEqualTo(v.hashCode());
    assertThat(back.shape()).containsExactly(shape);
    assertSameValues(back, d, flat);
  }

  /** Reads the value back through the accessor for its dtype and compares with the input. */
  static void assertSameValues(TensorValue v, DataType d, Object flat) {
    switch (d) {
      case DT_FLOAT: case DT_HALF: case DT_BFLOAT16: case DT_COMPLEX64:
        assertThat(v.floats()).containsExactly((float[]) flat);
        break;
      case DT_DOUBLE: case DT_COMPLEX128:
        assertThat(v.doubles()).containsExactly((double[]) flat);
        break;
      case DT_BOOL:
        assertThat(v.booleans()).containsExactly((boolean[]) flat);
        break;
      case DT_STRING: {
        String[] s = (String[]) flat;
        assertThat(v.strings()).containsExactly(s);
        byte[][] b = v.bytes();
        for (int i = 0; i < s.length; i++) assertThat(b[i]).isEqualTo(s[i].getBytes(StandardCharsets.UTF_8));
        break;
      }
      default:
        assertThat(v.longs()).containsExactly((long[]) flat);
    }
  }
}
