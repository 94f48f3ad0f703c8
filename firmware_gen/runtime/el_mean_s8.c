/**
 * @file el_mean_s8.c
 * @brief int8 MEAN, bit-exact with TFLite Micro's reference kernel.
 *
 * The outer four loops walk the kept axes in order (one output each), the inner four the
 * reduced axes; on every axis one of the two counters stays 0, so one index formula serves
 * both. The sum wraps in 32 bits as TFLM's int32 accumulator does (unsigned arithmetic here,
 * so a wrap is defined behaviour rather than luck).
 */
#include "el_mean_s8.h"

#include "el_fixedpoint.h"

int32_t el_mean_s8_buffer_size(const el_mean_s8_params *params)
{
    (void)params;
    return 0;
}

el_status el_mean_s8(const el_mean_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch)
{
    const el_mean_s8_params *const p = params;
    int32_t keep[4];
    int32_t red[4];
    int32_t stride[4];
    int32_t a;
    int32_t k0;
    int32_t k1;
    int32_t k2;
    int32_t k3;
    const uint32_t offset = (uint32_t)p->input_zero_point * (uint32_t)p->count;

    (void)scratch;
    for (a = 0; a < 4; a++) {
        if (p->dims[a] <= 0) {
            return EL_STATUS_ARG_ERROR;
        }
        keep[a] = p->reduce[a] ? 1 : p->dims[a];
        red[a] = p->reduce[a] ? p->dims[a] : 1;
    }
    stride[3] = 1;
    for (a = 2; a >= 0; a--) {
        stride[a] = stride[a + 1] * p->dims[a + 1];
    }
    for (k0 = 0; k0 < keep[0]; k0++) {
        for (k1 = 0; k1 < keep[1]; k1++) {
            for (k2 = 0; k2 < keep[2]; k2++) {
                for (k3 = 0; k3 < keep[3]; k3++) {
                    const int8_t *base =
                        input + k0 * stride[0] + k1 * stride[1] + k2 * stride[2] + k3;
                    uint32_t sum = 0u;
                    int32_t r0;
                    int32_t r1;
                    int32_t r2;
                    int32_t r3;
                    int32_t y;
                    int32_t i0 = 0;
                    for (r0 = 0; r0 < red[0]; r0++, i0 += stride[0]) {
                        int32_t i1 = i0;
                        for (r1 = 0; r1 < red[1]; r1++, i1 += stride[1]) {
                            int32_t i2 = i1;
                            for (r2 = 0; r2 < red[2]; r2++, i2 += stride[2]) {
                                const int8_t *q = base + i2;
                                for (r3 = 0; r3 < red[3]; r3++) {
                                    sum += (uint32_t)(int32_t)q[r3];
                                }
                            }
                        }
                    }
                    y = el_mbqm((int32_t)(sum - offset), p->rq.multiplier, p->rq.shift);
                    y += p->output_zero_point;
                    *output++ = (int8_t)el_clamp(y, -128, 127);
                }
            }
        }
    }
    return EL_STATUS_SUCCESS;
}
