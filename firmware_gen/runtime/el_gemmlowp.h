/**
 * @file el_gemmlowp.h
 * @brief gemmlowp's 32-bit fixed-point logistic and tanh, as TFLite Micro's int8 LOGISTIC and
 *        TANH kernels call them: exp of negative values (a polynomial on [-1/4, 0) times a
 *        barrel of exp(-2^k) constants) and 1 / (1 + x) by three Newton-Raphson steps. The same
 *        operations in the same order (quantize/fixedpoint.py is the numpy twin) give the same
 *        bytes. Shared by el_logistic_s8.c and el_tanh_s8.c.
 */
#ifndef EL_GEMMLOWP_H
#define EL_GEMMLOWP_H

#include <stdint.h>

#include "el_fixedpoint.h"

/** Saturating rounding multiply by 2^exponent, exponent > 0 (SaturatingRoundingMultiplyByPOT). */
static inline int32_t el_gl_sat_shl(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return el_shl(x, exponent);
}

/** Wrapping int32 addition (gemmlowp's raw + on FixedPoint<int32_t>). */
static inline int32_t el_gl_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/** exp(x) for x in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
static inline int32_t el_gl_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = el_gl_add(a, 1 << 28);
    const int32_t x2 = el_srdhm(x, x);
    const int32_t x3 = el_srdhm(x2, x);
    const int32_t x4 = el_srdhm(x2, x2);
    const int32_t x4_over_4 = el_rdbp(x4, 2);
    const int32_t poly = el_rdbp(el_gl_add(el_srdhm(el_gl_add(x4_over_4, x3), one_third), x2), 1);
    return el_gl_add(constant_term, el_srdhm(constant_term, el_gl_add(x, poly)));
}

/** exp(a) for a <= 0 given with integer_bits (1..5) integer bits; Q0.31 out. */
static inline int32_t el_gl_exp_on_negative(int32_t a, int32_t integer_bits)
{
    static const int32_t barrel[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242         /* exp(-16) */
    };
    const int32_t frac = 31 - integer_bits;
    const int32_t quarter = 1 << (frac - 2);
    const int32_t mod = el_gl_add(a & (quarter - 1), -quarter);
    const int32_t remainder = (int32_t)((uint32_t)mod - (uint32_t)a);
    int32_t result = el_gl_exp_quarter(el_gl_sat_shl(mod, integer_bits));
    int32_t k;
    for (k = 0; k < 7 && k - 2 < integer_bits; k++) {
        if ((remainder & (1 << (frac + k - 2))) != 0) {
            result = el_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/** Three Newton-Raphson steps for 1 / half_denominator, Q2.29 out. */
static inline int32_t el_gl_newton_reciprocal(int32_t half_denominator)
{
    int32_t x = el_gl_add(1515870810, el_srdhm(half_denominator, -1010580540));
    int32_t i;
    for (i = 0; i < 3; i++) {
        const int32_t hd_x = el_srdhm(half_denominator, x);
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)hd_x);
        x = el_gl_add(x, el_gl_sat_shl(el_srdhm(x, one_minus), 2));
    }
    return x;
}

/** (a + 1) / 2 in Q0.31 with gemmlowp's RoundingHalfSum against One. */
static inline int32_t el_gl_half_denominator(int32_t a)
{
    const int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** gemmlowp logistic: Q(integer_bits).(31 - integer_bits) in, Q0.31 out. */
static inline int32_t el_gl_logistic(int32_t a, int32_t integer_bits)
{
    int32_t abs_in;
    int32_t if_pos;
    if (a == 0) {
        return 1 << 30;
    }
    abs_in = a > 0 ? a : (int32_t)(0u - (uint32_t)a);
    if_pos = el_gl_sat_shl(el_gl_newton_reciprocal(el_gl_half_denominator(
                               el_gl_exp_on_negative((int32_t)(0u - (uint32_t)abs_in),
                                                     integer_bits))),
                           1);
    return a > 0 ? if_pos : (int32_t)((uint32_t)INT32_MAX - (uint32_t)if_pos);
}

/** gemmlowp tanh: Q(integer_bits).(31 - integer_bits) in, Q0.31 out. */
static inline int32_t el_gl_tanh(int32_t a, int32_t integer_bits)
{
    int32_t n;
    int32_t t;
    if (a == 0) {
        return 0;
    }
    n = a < 0 ? a : (int32_t)(0u - (uint32_t)a);
    t = el_gl_newton_reciprocal(el_gl_half_denominator(el_gl_exp_on_negative(n, integer_bits + 1)));
    t = el_gl_sat_shl(el_gl_add(t, -(1 << 29)), 2);
    return a < 0 ? (int32_t)(0u - (uint32_t)t) : t;
}

#endif /* EL_GEMMLOWP_H */
