package dev.tfkit.serving.rest;

/**
 * IEEE half precision and bfloat16 bit patterns to and from float, for the JSON codec (Java 17 has
 * no {@code Float.float16ToFloat}). Both round to nearest, ties to even.
 */
final class HalfFloats {
  private HalfFloats() {}

  /** The float value of a half-precision bit pattern (low 16 bits of {@code bits}). */
  static float halfToFloat(int bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) return Float.intBitsToFloat(sign);
      // subnormal half: value is mant * 2^-24
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** The half-precision bit pattern nearest to {@code f}. */
  static int floatToHalf(float f) {
    int x = Float.floatToRawIntBits(f);
    int sign = (x >>> 16) & 0x8000;
    int exp = (x >>> 23) & 0xff;
    int mant = x & 0x7fffff;
    if (exp == 0xff) { // infinity or NaN (keep NaN a NaN)
      return sign | 0x7c00 | (mant != 0 ? 0x200 : 0);
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
    if (e <= 0) {
      if (e < -10) return sign; // underflows to zero
      // subnormal: shift the mantissa (with its implicit 1) into place, rounding to nearest even
      int m = mant | 0x800000;
      int shift = 14 - e;
      int half = m >>> shift;
      int rem = m & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
      return sign | half;
    }
    int half = sign | (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) half++; // may carry into exponent: fine
    return half;
  }

  /** The float value of a bfloat16 bit pattern (low 16 bits of {@code bits}). */
  static float bfloat16ToFloat(int bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** The bfloat16 bit pattern nearest to {@code f}. */
  static int floatToBfloat16(float f) {
    int x = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return ((x >>> 16) | 0x40) & 0xffff;
    int rounding = 0x7fff + ((x >>> 16) & 1);
    return ((x + rounding) >>> 16) & 0xffff;
  }
}
