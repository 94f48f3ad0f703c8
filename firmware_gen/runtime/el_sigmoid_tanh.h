/**
 * @file el_sigmoid_tanh.h
 * @brief int16 sigmoid and tanh (Q3.12 or scaled input, Q0.15 output) as TFLite Micro's
 *        LSTM computes them: one 256-entry table of sigmoid(i/24) with linear
 *        interpolation, tanh(x) = 2 sigmoid(2x) - 1 through the same table.
 *
 * The single-value forms are inline because the LSTM kernel applies them per unit right
 * after the gate dot products; the array forms exist for tests and other callers.
 */
#ifndef EL_SIGMOID_TANH_H
#define EL_SIGMOID_TANH_H

#include <stdint.h>

#include "el_fixedpoint.h"

/* Value and slope of the table in one word each, see el_sigmoid_tanh.c. */
extern const uint32_t el_sigmoid_table_packed[256];

/**
 * (value(i) - 32768) * 2^bits + frac * slope(i) for the packed word p of entry i and
 * 0 <= frac < 2^bits (bits 8 or 9): the interpolated table value times 2^bits, less 2^(15 +
 * bits). With the DSP extension one SMUAD of p with the halves (frac, 2^bits); no term
 * overflows (32767 * 2^9 + 683 * 511 < 2^31).
 */
EL_INLINE int32_t el_sigmoid_interp(uint32_t p, uint32_t frac, int32_t bits)
{
#if EL_USE_DSP
    return (int32_t)__smuad(p, frac | (1u << (16 + bits)));
#else
    return (int32_t)(((p >> 16) << bits) + (p & 0xFFFFu) * frac);
#endif
}

/** min(u, 255) for an unsigned value below 2^31 (USAT where the core has it). */
EL_INLINE uint32_t el_min255(uint32_t u)
{
#if EL_USE_DSP
    return (uint32_t)__usat((int32_t)u, 8);
#elif EL_USE_SSAT_ASM
    uint32_t r;
    __asm__("usat %0, #8, %1" : "=r"(r) : "r"(u));
    return r;
#else
    return u > 255u ? 255u : u;
#endif
}

/**
 * Sigmoid of a Q3.12 value, result in Q0.15. The input is scaled by 3 (table step 1/24),
 * so |x * 3| < 2^17 and the table index never passes 192: no range check is needed.
 */
EL_INLINE int16_t el_sigmoid_s16_one(int16_t x);

/**
 * el_sigmoid_s16_one() of an int32 already in the int16 range (no sign-extension).
 *
 * TFLite interpolates r = value(i) * 2^9 + frac * slope(i) (= s + 2^24 with s from
 * el_sigmoid_interp()) and returns (r + 2^9) >> 10 for x >= 0 and (2^25 - r + 2^9 - 1) >> 10
 * for x < 0. The second is (2^24 + 2^9 + ~s) >> 10, so both are (s ^ sign + 2^24 + 2^9) >> 10
 * with sign = 0 or -1.
 */
EL_INLINE int32_t el_sigmoid_s16_in32(int32_t x)
{
    const int32_t v = x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const int32_t s = el_sigmoid_interp(el_sigmoid_table_packed[a >> 9], a & 0x1FFu, 9);
    return ((s ^ (v >> 31)) + (1 << 24) + (1 << 9)) >> 10;
}

EL_INLINE int16_t el_sigmoid_s16_one(int16_t x)
{
    return (int16_t)el_sigmoid_s16_in32(x);
}

/**
 * Tanh in Q0.15 of ((x * multiplier + round) >> shift) read as Q4.11 on the table's
 * scale; multiplier 3 and shift 0 for Q3.12 gate values, other pairs for the cell state
 * (derived from its power-of-two scale when the model is generated).
 */
EL_INLINE int16_t el_tanh_s16_one(int16_t x, int32_t multiplier, int32_t shift);

/**
 * el_tanh_s16_one() of an int32 already in the int16 range, with the rounding constant
 * (2^(shift - 1), or 0 for shift 0) given.
 *
 * TFLite interpolates r = value(i) * 2^8 + frac * slope(i) (= s + 2^23), or takes r = 65535 *
 * 2^8 for i >= 255, and returns (r - 2^23 + 2^7) >> 8 for x >= 0 and (2^23 + 2^7 - 1 - r) >> 8
 * for x < 0, that is (s ^ sign + 2^7) >> 8. Entry 255 has slope 0 and value 65535, so
 * clamping the index to 255 gives the same r as the range check.
 */
EL_INLINE int32_t el_tanh_s16_in32(int32_t x, int32_t multiplier, int32_t shift, int32_t round)
{
    const int32_t v = (x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const int32_t s =
        el_sigmoid_interp(el_sigmoid_table_packed[el_min255(a >> 8)], a & 0xFFu, 8);
    return ((s ^ (v >> 31)) + (1 << 7)) >> 8;
}

EL_INLINE int16_t el_tanh_s16_one(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = (shift > 0) ? (int32_t)(1u << (shift - 1)) : 0;
    return (int16_t)el_tanh_s16_in32(x, multiplier, shift, round);
}

/**
 * @brief Sigmoid over an array.
 * @param[in]  input   Q3.12 values
 * @param[in]  size    number of values
 * @param[out] output  Q0.15 results (may alias input)
 */
void el_sigmoid_s16(const int16_t *input, int32_t size, int16_t *output);

/**
 * @brief Tanh over an array.
 * @param[in]  input       int16 values
 * @param[in]  size        number of values
 * @param[in]  multiplier  input scaling, see el_tanh_s16_one()
 * @param[in]  shift       input scaling, see el_tanh_s16_one()
 * @param[out] output      Q0.15 results (may alias input)
 */
void el_tanh_s16(const int16_t *input, int32_t size, int32_t multiplier, int32_t shift,
                 int16_t *output);

#endif /* EL_SIGMOID_TANH_H */
