/**
 * @file el_add_s8.c
 * @brief int8 ADD and SUB as TFLite Micro computes them (add_common / sub_common): both inputs
 *        offset by their zero points, shifted left by 20 bits, each rescaled by its own
 *        multiplier (the larger input scale maps to 1/2), added or subtracted in int32, rescaled
 *        to the output scale, offset and clamped.
 */
#include "el_elementwise_s8.h"
#include "el_fixedpoint.h"

el_status el_add_s8(const el_add_s8_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    const int32_t size = params->size;
    int32_t j1 = 0;
    int32_t j2 = 0;
    int32_t i;

    if (params->period1 <= 0 || params->period2 <= 0 || size % params->period1 != 0 ||
        size % params->period2 != 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (i = 0; i < size; i++) {
        const int32_t a = el_shl(input1[j1] + params->input1_offset, params->left_shift);
        const int32_t b = el_shl(input2[j2] + params->input2_offset, params->left_shift);
        const int32_t sa = el_mbqm(a, params->input1_rq.multiplier, params->input1_rq.shift);
        const int32_t sb = el_mbqm(b, params->input2_rq.multiplier, params->input2_rq.shift);
        /* wraps like TFLM's int32 sum; |sa|, |sb| < 2^28 in practice */
        const int32_t raw = (int32_t)(params->subtract ? (uint32_t)sa - (uint32_t)sb
                                                       : (uint32_t)sa + (uint32_t)sb);
        const int32_t y = el_mbqm(raw, params->output_rq.multiplier, params->output_rq.shift) +
                          params->output_offset;
        output[i] = (int8_t)el_clamp(y, params->activation_min, params->activation_max);
        if (++j1 == params->period1) {
            j1 = 0;
        }
        if (++j2 == params->period2) {
            j2 = 0;
        }
    }
    return EL_STATUS_SUCCESS;
}

int32_t el_add_s8_buffer_size(const el_add_s8_params *params)
{
    (void)params;
    return 0;
}
