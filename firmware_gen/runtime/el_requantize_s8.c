/**
 * @file el_requantize_s8.c
 * @brief int8 -> int8 QUANTIZE as TFLite Micro computes it (Requantize): the converter puts one
 *        in front of a CONCATENATION input whose scale differs from the output's.
 */
#include "el_elementwise_s8.h"
#include "el_fixedpoint.h"

el_status el_requantize_s8(const el_requantize_s8_params *params, const int8_t *input,
                           int8_t *output)
{
    int32_t i;

    for (i = 0; i < params->size; i++) {
        const int32_t y = el_mbqm(input[i] + params->input_offset, params->rq.multiplier,
                                  params->rq.shift) +
                          params->output_offset;
        output[i] = (int8_t)el_clamp(y, params->activation_min, params->activation_max);
    }
    return EL_STATUS_SUCCESS;
}

int32_t el_requantize_s8_buffer_size(const el_requantize_s8_params *params)
{
    (void)params;
    return 0;
}
