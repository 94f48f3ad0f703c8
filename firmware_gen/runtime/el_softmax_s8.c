/**
 * @file el_softmax_s8.c
 * @brief int8 SOFTMAX (output scale 1/256, zero point -128), bit-exact with TFLite Micro.
 *
 * TFLite's int8 softmax works in gemmlowp fixed point: differences to the row maximum are
 * rescaled to Q5.26, exp() of negative values is a polynomial on [-1/4, 0) times a barrel
 * of exp(-2^k) constants, the sum is in Q12.19 and its reciprocal comes from three
 * Newton-Raphson steps. The same operations in the same order give the same bytes.
 */
#include "el_nnfunctions.h"

#include "el_fixedpoint.h"

/* Saturating multiply by 2^exponent, exponent > 0 (gemmlowp SaturatingRoundingMultiplyByPOT). */
static int32_t el_sat_shl(int32_t x, int32_t exponent)
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

/* exp(x) for x in [-1/4, 0), Q0.31 in and out. */
static int32_t el_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668; /* exp(-1/8) */
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28); /* a + 1/8 */
    const int32_t x2 = el_srdhm(x, x);
    const int32_t x3 = el_srdhm(x2, x);
    const int32_t x4 = el_srdhm(x2, x2);
    const int32_t x4_over_4 = el_rdbp(x4, 2);
    const int32_t poly = el_rdbp(el_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return constant_term + el_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t el_exp_on_negative(int32_t a)
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
    const int32_t quarter = 1 << 24;
    const int32_t mod = (a & (quarter - 1)) - quarter;
    const int32_t remainder = mod - a;
    int32_t result = el_exp_quarter(el_sat_shl(mod, 5));
    int32_t k;
    for (k = 0; k < 7; k++) {
        if ((remainder & (1 << (24 + k))) != 0) {
            result = el_srdhm(result, barrel[k]);
        }
    }
    return (a == 0) ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out. */
static int32_t el_one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t one_q29 = 1 << 29; /* 1.0 in Q2.29 */
    int32_t x = 1515870810 + el_srdhm(half_denominator, -1010580540); /* 48/17 - 32/17 d */
    int32_t i;
    for (i = 0; i < 3; i++) {
        const int32_t hd_x = el_srdhm(half_denominator, x);
        x = x + el_sat_shl(el_srdhm(x, one_q29 - hd_x), 2);
    }
    return el_sat_shl(x, 1);
}

static int32_t el_clz(uint32_t x)
{
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        n++;
    }
    return n;
}

int32_t el_softmax_s8_buffer_size(const el_softmax_s8_params *params)
{
    (void)params;
    return 0;
}

el_status el_softmax_s8(const el_softmax_s8_params *params, const int8_t *input, int8_t *output)
{
    const int32_t n = params->size;
    int32_t max_in = -128;
    int32_t sum = 0; /* Q12.19 */
    int32_t c;
    int32_t headroom;
    int32_t bits_over_unit;
    int32_t scale;
    int32_t exponent;

    if (n <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (c = 0; c < n; c++) {
        max_in = input[c] > max_in ? input[c] : max_in;
    }
    for (c = 0; c < n; c++) {
        const int32_t diff = input[c] - max_in;
        if (diff >= params->diff_min) {
            const int32_t scaled = el_srdhm(el_shl(diff, params->input_left_shift),
                                            params->input_multiplier);
            sum += el_rdbp(el_exp_on_negative(scaled), 12);
        }
    }
    headroom = el_clz((uint32_t)sum);
    bits_over_unit = 12 - headroom;
    scale = el_one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
    exponent = bits_over_unit + 31 - 8;
    for (c = 0; c < n; c++) {
        const int32_t diff = input[c] - max_in;
        if (diff >= params->diff_min) {
            const int32_t scaled = el_srdhm(el_shl(diff, params->input_left_shift),
                                            params->input_multiplier);
            const int32_t e = el_exp_on_negative(scaled);
            const int32_t out = el_rdbp(el_srdhm(scale, e), exponent) - 128;
            output[c] = (int8_t)el_clamp(out, -128, 127);
        } else {
            output[c] = -128;
        }
    }
    return EL_STATUS_SUCCESS;
}
