/*
 * The short requantization forms of the LSTM kernel against el_mbqm(): every x in
 * [-2^20, 2^20], then a stride through (-2^30, 2^30) with the values around each power of
 * two, for every cell shift 1..29 (el_mbqm_pow2) and a set of multipliers and right shifts
 * 1..31 (el_mbqm_fast) and 0..31 (el_mbqm_short), and left shifts 1..29 on el_mbqm_short of
 * the shifted doubled value wherever it fits an int32. Exit status 0 when every result is
 * equal.
 */
#include <stdint.h>
#include <stdio.h>

#include "el_fixedpoint.h"

static long failures;

static void check(int32_t x)
{
    static const int32_t multipliers[] = {1073741824, 1073741825, 1252358183, 1530194381,
                                          1990522796, 2147483647, 0, 1};
    int32_t s;
    int32_t m;
    for (s = 1; s <= 29; s++) {
        const int32_t add = (int32_t)(1u << s) + 1;
        if (el_mbqm_pow2(x, add, s + 1) != el_mbqm(x, 1073741824, -s)) {
            if (failures++ < 10) {
                printf("pow2 x=%ld s=%ld\n", (long)x, (long)s);
            }
        }
    }
    for (m = 0; m < (int32_t)(sizeof(multipliers) / sizeof(multipliers[0])); m++) {
        /* right 0: no rounding shift, nothing to subtract */
        if (el_mbqm_short(el_shl(x, 1), multipliers[m], 0, 0, 0) != el_mbqm(x, multipliers[m], 0)) {
            if (failures++ < 10) {
                printf("short x=%ld m=%ld s=0\n", (long)x, (long)multipliers[m]);
            }
        }
        for (s = 1; s <= 31; s += (s < 24 ? 1 : 7)) {
            if (el_mbqm_short(el_shl(x, 1), multipliers[m], (int32_t)(1u << (s - 1)), s, 1) !=
                el_mbqm(x, multipliers[m], -s)) {
                if (failures++ < 10) {
                    printf("short x=%ld m=%ld s=%ld\n", (long)x, (long)multipliers[m], (long)s);
                }
            }
        }
        /* left shift s: the doubled accumulator shifted by s (el_gate_rq.left), where it fits */
        for (s = 1; s <= 29; s++) {
            const int32_t x2 = el_shl(x, 1);
            if (x >= ((int32_t)1 << (30 - s)) || x <= -((int32_t)1 << (30 - s))) {
                break;
            }
            if (el_mbqm_short((int32_t)((uint32_t)x2 << s), multipliers[m], 0, 0, 0) !=
                el_mbqm(x, multipliers[m], s)) {
                if (failures++ < 10) {
                    printf("left x=%ld m=%ld s=%ld\n", (long)x, (long)multipliers[m], (long)s);
                }
            }
        }
        for (s = 1; s <= 31; s += (s < 24 ? 1 : 7)) {
            const int32_t half = (int32_t)(1u << (s - 1));
            if (el_mbqm_fast(x, multipliers[m], s, half) != el_mbqm(x, multipliers[m], -s)) {
                if (failures++ < 10) {
                    printf("fast x=%ld m=%ld s=%ld\n", (long)x, (long)multipliers[m], (long)s);
                }
            }
        }
    }
}

int main(void)
{
    const int32_t limit = (int32_t)1 << 30;
    int32_t x;
    int32_t p;
    for (x = -(1 << 20); x <= (1 << 20); x++) {
        check(x);
    }
    for (x = -limit + 1; x < limit - 9973; x += 9973) {
        check(x);
    }
    for (p = 1; p < 30; p++) {
        int32_t d;
        for (d = -3; d <= 3; d++) {
            check(((int32_t)1 << p) + d);
            check(-((int32_t)1 << p) + d);
        }
    }
    check(limit - 1);
    check(-limit + 1);
    printf("%ld failures\n", failures);
    return failures != 0;
}
