/**
 * @file el_fixedpoint.h
 * @brief Inline fixed-point helpers with TFLite Micro's rounding, and the DSP switch.
 *
 * The arithmetic is the double-rounding MultiplyByQuantizedMultiplier of TFLite (a
 * saturating rounding doubling high multiply, then a rounding right shift, ties away from
 * zero) so that every result equals the TFLite Micro reference kernels bit for bit.
 *
 * EL_USE_DSP selects the Armv7E-M / Armv8-M DSP-extension paths (SMLAD, SXTB16, SSAT).
 * It defaults to on when the compiler reports __ARM_FEATURE_DSP; define it to 0 to build
 * the plain C path, which gives identical results.
 */
#ifndef EL_FIXEDPOINT_H
#define EL_FIXEDPOINT_H

#include <stdint.h>

#ifndef EL_USE_DSP
#if defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1)
#define EL_USE_DSP 1
#else
#define EL_USE_DSP 0
#endif
#endif

#if EL_USE_DSP
#include <arm_acle.h>
#include <string.h>
#endif

#if defined(__GNUC__)
#define EL_INLINE static inline __attribute__((always_inline))
#else
#define EL_INLINE static inline
#endif

/* SSAT is in Armv7-M itself (Cortex-M3), not only in the DSP extension. */
#if !EL_USE_DSP && defined(__GNUC__) && defined(__ARM_FEATURE_SAT) && (__ARM_FEATURE_SAT == 1)
#define EL_USE_SSAT_ASM 1
#else
#define EL_USE_SSAT_ASM 0
#endif

/** Saturate to int16. */
EL_INLINE int32_t el_sat16(int32_t x)
{
#if EL_USE_DSP
    return __ssat(x, 16);
#elif EL_USE_SSAT_ASM
    int32_t r;
    __asm__("ssat %0, #16, %1" : "=r"(r) : "r"(x));
    return r;
#else
    return x < -32768 ? -32768 : (x > 32767 ? 32767 : x);
#endif
}

/** Saturate to int8. */
EL_INLINE int32_t el_sat8(int32_t x)
{
#if EL_USE_DSP
    return __ssat(x, 8);
#elif EL_USE_SSAT_ASM
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
    return r;
#else
    return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/** Clamp to [lo, hi]. */
EL_INLINE int32_t el_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/** Wrapping left shift (no undefined behaviour on overflow, as two's complement does). */
EL_INLINE int32_t el_shl(int32_t x, int32_t n)
{
    return (int32_t)((uint32_t)x << n);
}

/**
 * Saturating rounding doubling high multiply (gemmlowp): round(a * b / 2^31), ties
 * towards +infinity, which equals gemmlowp's nudge-and-truncate form for every input.
 * The only overflow, a == b == INT32_MIN, saturates.
 */
EL_INLINE int32_t el_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/** el_srdhm() for a multiplier known to be >= 0 (every requantization multiplier). */
EL_INLINE int32_t el_srdhm_pos(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/** Rounding divide by 2^exponent, ties away from zero (gemmlowp RoundingDivideByPOT). */
EL_INLINE int32_t el_rdbp(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite's MultiplyByQuantizedMultiplier (double rounding) for multiplier >= 0. */
EL_INLINE int32_t el_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift > 0) {
        return el_srdhm_pos(el_shl(x, shift), multiplier);
    }
    return el_rdbp(el_srdhm_pos(x, multiplier), -shift);
}

/** round(a * b / 2^32), ties towards +infinity (the SMMULR instruction). */
EL_INLINE int32_t el_smmulr(int32_t a, int32_t b)
{
#if EL_USE_DSP && defined(__GNUC__)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
#elif defined(__ARM_ARCH_6M__)
    /* Armv6-M has no SMULL and the library's 64-bit multiply is a call: four 16 x 16 MULS
     * pieces instead, each of which fits an int32. With a = ah 2^16 + al, b = bh 2^16 + bl:
     * a b + 2^31 = ah bh 2^32 + (mid_a + mid_b + 2^15) 2^16 + (al bl & 0xFFFF), mid_a = ah bl +
     * (al bl >> 16), mid_b = al bh; the low 16 bits never carry past 2^32 (the 2^16 sum is an
     * integer), and the middle sum is split so that no partial sum overflows. */
    const int32_t ah = a >> 16;
    const int32_t bh = b >> 16;
    const uint32_t al = (uint32_t)a & 0xFFFFu;
    const uint32_t bl = (uint32_t)b & 0xFFFFu;
    const int32_t mid_a = ah * (int32_t)bl + (int32_t)((al * bl) >> 16);
    const int32_t mid_b = (int32_t)al * bh;
    const int32_t carry =
        (int32_t)(((uint32_t)mid_a & 0xFFFFu) + ((uint32_t)mid_b & 0xFFFFu) + 0x8000u);
    return ah * bh + (mid_a >> 16) + (mid_b >> 16) + (carry >> 16);
#else
    /* The high word plus the carry of adding 2^31 to the low word: SMULL and one ADD. */
    const int64_t p = (int64_t)a * (int64_t)b;
    return (int32_t)(p >> 32) + (int32_t)((uint32_t)p >> 31);
#endif
}

/** c + el_smmulr(a, b) (the SMMLAR instruction); the caller ensures the sum fits. */
EL_INLINE int32_t el_smmlar(int32_t a, int32_t b, int32_t c)
{
#if EL_USE_DSP && defined(__GNUC__)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#else
    return c + el_smmulr(a, b);
#endif
}

/**
 * el_mbqm_fast() (below) of x given as x2 = 2x (|x| < 2^30), e.g. an accumulator whose bias
 * and inputs were doubled. The rounding constant is added by the multiply itself (SMMLAR), and
 * [r < 0] is replaced by [x < 0]: for a multiplier >= 0, x >= 0 gives r >= 0, and x < 0 gives
 * r <= 0, where r = 0 shifts to 0 with or without the -1 (half - 1 < half < 2^right).
 */
EL_INLINE int32_t el_mbqm_fast2(int32_t x2, int32_t multiplier, int32_t right, int32_t half)
{
    return (el_smmlar(x2, multiplier, half) - (int32_t)((uint32_t)x2 >> 31)) >> right;
}

/**
 * el_mbqm() for |x| < 2^30, a multiplier >= 0 and shift = -right with right >= 1, half =
 * 2^(right - 1); the same result in a few instructions:
 * - el_srdhm(x, m) = floor((x m + 2^30) / 2^31) = floor((2x m + 2^31) / 2^32), and 2x fits;
 * - el_rdbp(r, right) = floor((r + half - [r < 0]) / 2^right) (ties away from zero), with
 *   |r| <= |x| < 2^30 so the sum does not overflow.
 */
EL_INLINE int32_t el_mbqm_fast(int32_t x, int32_t multiplier, int32_t right, int32_t half)
{
    return el_mbqm_fast2(el_shl(x, 1), multiplier, right, half);
}

/**
 * el_mbqm_fast2() that also covers right = 0 (half = 0, round_neg = 0): with no shift
 * el_mbqm() is el_srdhm(x, m) alone, floor((2x m + 2^31) / 2^32), which is the SMMLAR with
 * nothing to subtract; for right >= 1, round_neg = 1 and it is el_mbqm_fast2().
 */
EL_INLINE int32_t el_mbqm_short(int32_t x2, int32_t multiplier, int32_t half, int32_t right,
                                int32_t round_neg)
{
    return (el_smmlar(x2, multiplier, half) - (round_neg & (int32_t)((uint32_t)x2 >> 31))) >>
           right;
}

/**
 * el_mbqm(x, 2^30, -s) for |x| < 2^30 and 1 <= s <= 29, with add = 2^s + 1: the
 * multiplication by 2^30 is floor((x + 1) / 2), and the two roundings fold into one shift:
 * floor((x + 2^s + 1 - 2 [x < 0]) / 2^(s + 1)). (x = -1 gives 0 either way.)
 */
EL_INLINE int32_t el_mbqm_pow2(int32_t x, int32_t add, int32_t s1)
{
    return (x + add - (int32_t)(((uint32_t)x >> 31) << 1)) >> s1;
}

/** Sign-extend an int8 to int16 and pack two as one word (low half first). */
EL_INLINE int32_t el_pack_s16x2(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

#if EL_USE_DSP
/** SXTB16 of the word rotated by 8 (bytes 1 and 3), one instruction where the compiler
 *  would emit a separate rotate. */
EL_INLINE uint32_t el_sxtb16_ror8(uint32_t w)
{
#if defined(__GNUC__)
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
    return r;
#else
    return __sxtb16((w >> 8) | (w << 24));
#endif
}
#endif

/**
 * acc + dot product of one packed weight word (bytes w0, w2, w1, w3) with the four
 * int16 inputs packed in x01 = (x0, x1) and x23 = (x2, x3).
 */
EL_INLINE int32_t el_mac4(int32_t acc, int32_t w, int32_t x01, int32_t x23)
{
#if EL_USE_DSP
    const uint32_t uw = (uint32_t)w;
    acc = __smlad(__sxtb16(uw), (uint32_t)x01, acc);
    return __smlad(el_sxtb16_ror8(uw), (uint32_t)x23, acc);
#else
    const uint32_t uw = (uint32_t)w;
    const int32_t w0 = (int8_t)(uw & 0xFFu);
    const int32_t w2 = (int8_t)((uw >> 8) & 0xFFu);
    const int32_t w1 = (int8_t)((uw >> 16) & 0xFFu);
    const int32_t w3 = (int8_t)(uw >> 24);
    acc += w0 * (int16_t)(x01 & 0xFFFF) + w1 * (x01 >> 16);
    acc += w2 * (int16_t)(x23 & 0xFFFF) + w3 * (x23 >> 16);
    return acc;
#endif
}

/** acc + w0 x0 + w1 x1 for the int16 pairs w = (w0, w1) and x = (x0, x1): one SMLAD. */
EL_INLINE int32_t el_mac2_s16(int32_t acc, int32_t w, int32_t x)
{
#if EL_USE_DSP
    return __smlad((uint32_t)w, (uint32_t)x, acc);
#else
    return acc + (int16_t)(w & 0xFFFF) * (int16_t)(x & 0xFFFF) + (w >> 16) * (x >> 16);
#endif
}

/**
 * Pack n int8 values, shifted left by shift (0, or 1: twice an int8 still fits an int16), as
 * int16 pairs into dst (ceil(n/4) * 2 words); the padding up to a multiple of 4 is zero.
 * Returns nothing: done once per time step, not per MAC.
 */
EL_INLINE void el_widen_s8_shl(const int8_t *src, int32_t n, int32_t *dst, int32_t shift)
{
    int32_t k = 0;
#if EL_USE_DSP && defined(__GNUC__)
    /* Four values per word: SXTB16 gives (x0, x2), SXTB16 ROR #8 (x1, x3); SADD16 doubles
     * both halves; PKHBT and PKHTB re-pair them as (x0, x1), (x2, x3). */
#define EL_WIDEN4(dbl)                                                                      \
    for (; k + 3 < n; k += 4) {                                                             \
        uint32_t w;                                                                         \
        uint32_t even;                                                                      \
        uint32_t odd;                                                                       \
        uint32_t lo;                                                                        \
        uint32_t hi;                                                                        \
        memcpy(&w, src + k, sizeof(w));                                                     \
        even = __sxtb16(w);                                                                 \
        odd = el_sxtb16_ror8(w);                                                            \
        if (dbl) {                                                                          \
            even = __sadd16(even, even);                                                    \
            odd = __sadd16(odd, odd);                                                       \
        }                                                                                   \
        __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(lo) : "r"(even), "r"(odd));              \
        __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(hi) : "r"(odd), "r"(even));              \
        dst[0] = (int32_t)lo;                                                               \
        dst[1] = (int32_t)hi;                                                               \
        dst += 2;                                                                           \
    }
    if (shift != 0) {
        EL_WIDEN4(1)
    } else {
        EL_WIDEN4(0)
    }
#undef EL_WIDEN4
#endif
    for (; k + 1 < n; k += 2) {
        *dst++ = el_pack_s16x2(el_shl(src[k], shift), el_shl(src[k + 1], shift));
    }
    if (k < n) {
        *dst++ = el_pack_s16x2(el_shl(src[k], shift), 0);
        k += 2;
    }
    if ((k & 3) != 0) {
        *dst = 0;
    }
}

/** el_widen_s8_shl() with shift 0. */
EL_INLINE void el_widen_s8(const int8_t *src, int32_t n, int32_t *dst)
{
    el_widen_s8_shl(src, n, dst, 0);
}

#endif /* EL_FIXEDPOINT_H */
