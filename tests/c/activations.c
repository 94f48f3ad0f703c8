/*
 * The int16 sigmoid and tanh of the runtime (packed value-and-slope table, one
 * multiply-accumulate per interpolation) against TFLite's formulas on the plain uint16 table
 * (el_sigmoid_ref_u16[256], given by the including build as SIGMOID_REF_TABLE): every int16
 * input, for the gate scaling (multiplier 3, shift 0) and every cell-state scaling the
 * generator can emit ((3 << left, 0) and (3, shift)). Exit status 0 when every result is equal.
 */
#include <stdint.h>
#include <stdio.h>

#include "el_sigmoid_tanh.h"

static const uint16_t el_sigmoid_ref_u16[256] = {SIGMOID_REF_TABLE};

static long failures;

static int32_t ref_sigmoid(int32_t x)
{
    const int32_t v = x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    const uint32_t ua = el_sigmoid_ref_u16[uh];
    const uint32_t ub = el_sigmoid_ref_u16[uh + 1u];
    uint32_t r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    r = (v >= 0) ? (r + (1u << 9)) : ((1u << 25) - r + (1u << 9) - 1u);
    return (int32_t)(r >> 10);
}

static int32_t ref_tanh(int32_t x, int32_t multiplier, int32_t shift, int32_t round)
{
    const int32_t v = (x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = el_sigmoid_ref_u16[uh];
        const uint32_t ub = el_sigmoid_ref_u16[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = (v >= 0) ? (r - (1 << 23) + (1 << 7)) : (-r + (1 << 23) + (1 << 7) - 1);
    return r >> 8;
}

static void check_tanh(int32_t multiplier, int32_t shift)
{
    const int32_t round = (shift > 0) ? (int32_t)(1u << (shift - 1)) : 0;
    int32_t x;
    for (x = -32768; x <= 32767; x++) {
        const int32_t got = el_tanh_s16_in32(x, multiplier, shift, round);
        if (got != ref_tanh(x, multiplier, shift, round) ||
            el_tanh_s16_one((int16_t)x, multiplier, shift) != (int16_t)got) {
            if (failures++ < 10) {
                printf("tanh x=%ld m=%ld s=%ld\n", (long)x, (long)multiplier, (long)shift);
            }
        }
    }
}

int main(void)
{
    int32_t x;
    int32_t k;
    for (x = -32768; x <= 32767; x++) {
        if (el_sigmoid_s16_in32(x) != ref_sigmoid(x) ||
            el_sigmoid_s16_one((int16_t)x) != (int16_t)ref_sigmoid(x)) {
            if (failures++ < 10) {
                printf("sigmoid x=%ld\n", (long)x);
            }
        }
    }
    for (k = 0; k <= 14; k++) {
        check_tanh(3 << k, 0);
    }
    for (k = 1; k <= 24; k++) {
        check_tanh(3, k);
    }
    printf("%ld failures\n", failures);
    return failures == 0 ? 0 : 1;
}
