/**
 * @file el_fully_connected_s8.c
 * @brief int8 FULLY_CONNECTED with per-channel requantization, bit-exact with TFLite Micro.
 *
 * The input zero point is folded into the bias when the model is generated, so each
 * output is a plain dot product of raw int8 values (SMLAD on DSP cores) plus a constant.
 */
#include "el_nnfunctions.h"

#include "el_fixedpoint.h"

int32_t el_fully_connected_s8_buffer_size(const el_fully_connected_s8_params *params)
{
    return 2 * ((params->input_size + 3) >> 2) * (int32_t)sizeof(int32_t);
}

el_status el_fully_connected_s8(const el_fully_connected_s8_params *params, const int8_t *input,
                                int32_t *scratch, int8_t *output)
{
    const int32_t groups = (params->input_size + 3) >> 2;
    const int32_t *w = params->weights;
    int32_t n;

    if (params->input_size <= 0 || params->output_size <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    el_widen_s8(input, params->input_size, scratch);
    for (n = 0; n < params->output_size; n++) {
        int32_t acc = params->bias[n];
        const int32_t *in = scratch;
        const int32_t *const end = scratch + 2 * groups;
        while (in != end) {
            acc = el_mac4(acc, *w++, in[0], in[1]);
            in += 2;
        }
        acc = el_mbqm(acc, params->rq[n].multiplier, params->rq[n].shift);
        acc += params->output_zero_point;
        output[n] = (int8_t)el_clamp(acc, params->activation_min, params->activation_max);
    }
    return EL_STATUS_SUCCESS;
}
