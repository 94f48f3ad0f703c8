/**
 * @file el_mul_s8.c
 * @brief int8 MUL as TFLite Micro computes it (mul_common): the product of the zero-point
 *        corrected inputs, rescaled by one multiplier to the output scale, offset and clamped
 *        (a Keras Multiply, or the Normalization layer's division by the standard deviation).
 */
#include "el_elementwise_s8.h"
#include "el_fixedpoint.h"

el_status el_mul_s8(const el_mul_s8_params *params, const int8_t *input1, const int8_t *input2,
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
        const int32_t prod =
            (input1[j1] + params->input1_offset) * (input2[j2] + params->input2_offset);
        const int32_t y = el_mbqm(prod, params->output_rq.multiplier, params->output_rq.shift) +
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

int32_t el_mul_s8_buffer_size(const el_mul_s8_params *params)
{
    (void)params;
    return 0;
}
