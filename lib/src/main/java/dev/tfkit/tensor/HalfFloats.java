package dev.tfkit.tensor;

/**
 * Bit-exact conversions between {@code float} and the two 16-bit float formats TensorFlow uses:
 * IEEE 754 binary16 ({@code DT_HALF}) and bfloat16 ({@code DT_BFLOAT16}, the upper half of a
 * float32). Java 17 has no binary16 support of its own; both directions round to nearest even and
 * keep NaN, infinities, signed zero and subnormals.
 */
public final class HalfFloats {
  private HalfFloats() {}

  /** The binary16 bits (low 16 bits of the result) nearest to {@code value}. */
  public static short floatToHalf(float value) {
    int f = Float.floatToRawIntBits(value);
    int sign = (f >>> 16) & 0x8000;
    int exp = (f >>> 23) & 0xff;
    int mant = f & 0x7fffff;
    if (exp == 0xff) {
      // Infinity stays infinity; NaN stays a (quiet) NaN, keeping the top payload bits.
      return (short) (mant == 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) return (short) (sign | 0x7c00);
    if (e <= 0) {
      // Below 2^-25 (or exactly 2^-25, a tie that rounds to even zero) nothing survives.
      if (e < -10) return (short) sign;
      int full = mant | 0x800000;
      int shift = 14 - e;
      int m = full >>> shift;
      int rem = full & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rem > halfway || (rem == halfway && (m & 1) == 1)) m++;
      // A carry out of the subnormal range lands exactly on the smallest normal's bits.
      return (short) (sign | m);
    }
    int bits = sign | (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (bits & 1) == 1)) bits++;
    // A carry may run into the exponent: that is the correct next value, up to infinity.
    return (short) bits;
  }

  /** The float value of binary16 bits (the low 16 bits of {@code bits}); exact. */
  public static float halfToFloat(int bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** The bfloat16 bits nearest to {@code value} (round to nearest even; NaN stays quiet NaN). */
  public static short floatToBfloat16(float value) {
    int f = Float.floatToRawIntBits(value);
    if ((f & 0x7fffffff) > 0x7f800000) {
      return (short) ((f >>> 16) | 0x40);
    }
    int rounded = f + 0x7fff + ((f >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  /** The float value of bfloat16 bits (the low 16 bits of {@code bits}); exact. */
  public static float bfloat16ToFloat(int bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }
}
