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

extern const uint16_t el_sigmoid_table_u16[256];

/**
 * Sigmoid of a Q3.12 value, result in Q0.15. The input is scaled by 3 (table step 1/24),
 * so |x * 3| < 2^17 and the table index never passes 192: no range check is needed.
 */
EL_INLINE int16_t el_sigmoid_s16_one(int16_t x);

/** el_sigmoid_s16_one() of an int32 already in the int16 range (no sign-extension). */
EL_INLINE int32_t el_sigmoid_s16_in32(int32_t x)
{
    const int32_t v = x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    const uint32_t ua = el_sigmoid_table_u16[uh];
    const uint32_t ub = el_sigmoid_table_u16[uh + 1u];
    uint32_t r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    r = (v >= 0) ? (r + (1u << 9)) : ((1u << 25) - r + (1u << 9) - 1u);
    return (int32_t)(r >> 10);
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
 */
EL_INLINE int32_t el_tanh_s16_in32(int32_t x, int32_t multiplier, int32_t shift, int32_t round)
{
    const int32_t v = (x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = el_sigmoid_table_u16[uh];
        const uint32_t ub = el_sigmoid_table_u16[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = (v >= 0) ? (r - (1 << 23) + (1 << 7)) : (-r + (1 << 23) + (1 << 7) - 1);
    return r >> 8;
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
