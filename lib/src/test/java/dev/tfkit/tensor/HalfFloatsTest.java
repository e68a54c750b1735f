package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * float16 and bfloat16 bits checked against patterns worked out from the IEEE 754 layout by hand,
 * and against a brute-force "nearest representable value, ties to even" reference.
 */
class HalfFloatsTest {

  /** The exact value of binary16 bits from the IEEE 754 definition, computed in double. */
  static double halfValue(int h) {
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1f;
    int frac = h & 0x3ff;
    double mag;
    if (exp == 0) mag = frac * Math.pow(2, -24);
    else if (exp == 31) mag = frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    else mag = (1 + frac / 1024.0) * Math.pow(2, exp - 15);
    return sign == 1 ? -mag : mag;
  }

  @Test
  void halfEncodesKnownPatterns() {
    assertThat(bits(1.0f)).isEqualTo(0x3C00);
    assertThat(bits(-2.0f)).isEqualTo(0xC000);
    assertThat(bits(0.0f)).isEqualTo(0x0000);
    assertThat(bits(-0.0f)).isEqualTo(0x8000);
    assertThat(bits(65504f)).as("max half").isEqualTo(0x7BFF);
    assertThat(bits(65519f)).as("below the rounding midpoint to infinity").isEqualTo(0x7BFF);
    assertThat(bits(65520f)).as("midpoint ties to even: infinity").isEqualTo(0x7C00);
    assertThat(bits(1e6f)).as("overflow").isEqualTo(0x7C00);
    assertThat(bits(Float.POSITIVE_INFINITY)).isEqualTo(0x7C00);
    assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xFC00);
    assertThat(bits(0x1p-14f)).as("smallest normal").isEqualTo(0x0400);
    assertThat(bits(0x1p-24f)).as("smallest subnormal").isEqualTo(0x0001);
    assertThat(bits(1023 * 0x1p-24f)).as("largest subnormal").isEqualTo(0x03FF);
    assertThat(bits(0x1p-25f)).as("half the smallest subnormal ties to even zero").isEqualTo(0x0000);
    assertThat(bits(0x1.8p-25f)).as("above the midpoint rounds up").isEqualTo(0x0001);
    assertThat(bits(-0x1p-26f)).as("underflow keeps the sign").isEqualTo(0x8000);
    assertThat(bits(0.1f)).isEqualTo(0x2E66);
    assertThat(bits(1f / 3f)).isEqualTo(0x3555);
    assertThat(bits(1 + 0x1p-11f)).as("tie between 1 and 1+2^-10: even is 1").isEqualTo(0x3C00);
    assertThat(bits(1 + 3 * 0x1p-11f)).as("tie: even is 1+2^-9").isEqualTo(0x3C02);
    int nan = bits(Float.NaN);
    assertThat(nan & 0x7C00).isEqualTo(0x7C00);
    assertThat(nan & 0x03FF).isNotZero();
  }

  @Test
  void halfDecodesEveryPatternToItsIeeeValue() {
    for (int h = 0; h < 0x10000; h++) {
      double expected = halfValue(h);
      float got = HalfFloats.halfToFloat(h);
      if (Double.isNaN(expected)) {
        assertThat(Float.isNaN(got)).as("0x%04X", h).isTrue();
      } else {
        assertThat((double) got).as("0x%04X", h).isEqualTo(expected);
        assertThat(Float.floatToRawIntBits(got) >>> 31).as("sign of 0x%04X", h).isEqualTo(h >>> 15);
      }
    }
  }

  @Test
  void halfEncodingIsNearestTiesToEvenAgainstBruteForce() {
    // All finite non-negative halves in increasing order.
    double[] values = new double[0x7C00 + 1];
    for (int h = 0; h <= 0x7C00; h++) values[h] = halfValue(h);
    Random r = new Random(1);
    for (int i = 0; i < 200_000; i++) {
      float f;
      if (i % 3 == 0) {
        // Exact midpoints between neighbours, the hard cases for rounding.
        int h = r.nextInt(0x7BFF);
        f = (float) ((values[h] + values[h + 1]) / 2);
      } else {
        f = Float.intBitsToFloat(r.nextInt());
        if (Float.isNaN(f)) continue;
      }
      assertThat(HalfFloats.floatToHalf(f) & 0xffff).as("%s", f).isEqualTo(referenceHalf(f, values));
    }
  }

  private static int referenceHalf(float f, double[] values) {
    double a = Math.abs((double) f);
    int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
    double maxFinite = values[0x7BFF];
    // Beyond max + half an ulp (2^5) IEEE rounds to infinity; the midpoint itself ties to even (inf).
    if (a >= maxFinite + 16) return sign | 0x7C00;
    int lo = 0;
    int hi = 0x7BFF;
    while (lo < hi) { // largest h with values[h] <= a
      int mid = (lo + hi + 1) >>> 1;
      if (values[mid] <= a) lo = mid;
      else hi = mid - 1;
    }
    if (lo == 0x7BFF) return sign | 0x7BFF;
    double dLo = a - values[lo];
    double dHi = values[lo + 1] - a;
    int h = dLo < dHi ? lo : dHi < dLo ? lo + 1 : ((lo & 1) == 0 ? lo : lo + 1);
    return sign | h;
  }

  @Test
  void bfloat16EncodesKnownPatterns() {
    assertThat(bf(1.0f)).isEqualTo(0x3F80);
    assertThat(bf(-2.0f)).isEqualTo(0xC000);
    assertThat(bf(-0.0f)).isEqualTo(0x8000);
    assertThat(bf(Float.POSITIVE_INFINITY)).isEqualTo(0x7F80);
    assertThat(bf(Float.NEGATIVE_INFINITY)).isEqualTo(0xFF80);
    assertThat(bf(Float.NaN)).isEqualTo(0x7FC0);
    assertThat(bf(Float.intBitsToFloat(0x7F7F0000))).as("max bfloat16").isEqualTo(0x7F7F);
    assertThat(bf(Float.MAX_VALUE)).as("rounds past max to infinity").isEqualTo(0x7F80);
    assertThat(bf(0x1p-133f)).as("smallest bfloat16 subnormal").isEqualTo(0x0001);
    assertThat(bf(Float.MIN_VALUE)).as("2^-149 rounds to zero").isEqualTo(0x0000);
    assertThat(bf(0x1p-126f)).as("smallest normal").isEqualTo(0x0080);
    assertThat(bf(0.1f)).as("0x3DCCCCCD rounds up").isEqualTo(0x3DCD);
    assertThat(bf((float) Math.PI)).as("0x40490FDB rounds down").isEqualTo(0x4049);
    assertThat(bf(Float.intBitsToFloat(0x3F808000))).as("tie, even is 0x3F80").isEqualTo(0x3F80);
    assertThat(bf(Float.intBitsToFloat(0x3F818000))).as("tie, even is 0x3F82").isEqualTo(0x3F82);
    assertThat(HalfFloats.bfloat16ToFloat(0x0001)).isEqualTo(0x1p-133f);
    assertThat(HalfFloats.bfloat16ToFloat(0xFF80)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(HalfFloats.bfloat16ToFloat(0x7F7F)).isEqualTo(3.3895314e38f);
  }

  @Test
  void bfloat16EncodingIsNearestTiesToEvenAgainstBruteForce() {
    Random r = new Random(2);
    for (int i = 0; i < 200_000; i++) {
      int fb = r.nextInt();
      float f = Float.intBitsToFloat(fb);
      if (Float.isNaN(f) || Float.isInfinite(f)) continue;
      int lo = fb >>> 16;
      float vLo = Float.intBitsToFloat(lo << 16);
      double vHi = Float.intBitsToFloat((lo + 1) << 16); // next magnitude
      // IEEE rounds past the largest finite value as if 2^128 came next, then gives infinity.
      if (Double.isInfinite(vHi)) vHi = Math.copySign(0x1p128, f);
      double dLo = Math.abs((double) f - vLo);
      double dHi = Math.abs(vHi - f);
      int expected = dLo < dHi ? lo : dHi < dLo ? lo + 1 : ((lo & 1) == 0 ? lo : lo + 1);
      assertThat(HalfFloats.floatToBfloat16(f) & 0xffff).as("%s", f).isEqualTo(expected & 0xffff);
    }
  }

  @Test
  void edgeValuesTravelThroughBothEncodings() {
    float[] edge = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-24f, -0x1p-24f, 65504f, -0.0f};
    int[] halfBits = {-1, 0x7C00, 0xFC00, 0x0001, 0x8001, 0x7BFF, 0x8000};
    TensorValue v = TensorValue.of(edge, DataType.DT_HALF);
    TensorProto packed = v.toProto();
    TensorProto typed = v.toProto(TensorEncoding.TYPED_FIELDS);
    ByteBuffer b = packed.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < edge.length; i++) {
      int fromContent = b.getShort() & 0xffff;
      int fromTyped = typed.getHalfVal(i);
      assertThat(fromTyped).as("half_val[%d] is the same uint16 as tensor_content", i).isEqualTo(fromContent);
      if (halfBits[i] >= 0) assertThat(fromContent).as("element %d", i).isEqualTo(halfBits[i]);
    }
    float[] back = TensorValue.fromProto(typed).floats();
    assertThat(Float.isNaN(back[0])).isTrue();
    assertThat(back[1]).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(back[3]).isEqualTo(0x1p-24f);
    assertThat(back[5]).isEqualTo(65504f);
    assertThat(Float.floatToRawIntBits(back[6])).isEqualTo(0x80000000);

    TensorValue bv = TensorValue.of(edge, DataType.DT_BFLOAT16);
    TensorProto bt = bv.toProto(TensorEncoding.TYPED_FIELDS);
    assertThat(bt.getHalfValList()).containsExactly(0x7FC0, 0x7F80, 0xFF80, 0x3380, 0xB380, 0x4780, 0x8000);
    assertThat(TensorValue.fromProto(bt)).isEqualTo(bv);
  }

  private static int bits(float f) {
    return HalfFloats.floatToHalf(f) & 0xffff;
  }

  private static int bf(float f) {
    return HalfFloats.floatToBfloat16(f) & 0xffff;
  }
}
