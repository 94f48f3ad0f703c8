/**
 * @file el_depthwise_conv_s8.c
 * @brief int8 DEPTHWISE_CONV_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * Each output value is a short sum over the KH * KW taps of one channel, so there is nothing
 * for a dual 16-bit MAC to pair without first transposing the taps: one plain MAC per tap.
 * The loop walks only the in-image part of each window (taps outside it add nothing, as in
 * TFLM), so no scratch is needed.
 */
#include "el_depthwise_conv_s8.h"

#include "el_fixedpoint.h"

int32_t el_depthwise_conv_s8_buffer_size(const el_depthwise_conv_s8_params *params)
{
    (void)params;
    return 0;
}

el_status el_depthwise_conv_s8(const el_depthwise_conv_s8_params *params, const int8_t *input,
                               int8_t *output, int32_t *scratch)
{
    const el_depthwise_conv_s8_params *const p = params;
    const int32_t m_count = p->depth_multiplier;
    int32_t oy;
    int32_t ox;

    (void)scratch;
    if (m_count <= 0 || p->output_c != p->input_c * m_count || p->stride_h <= 0 ||
        p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (oy = 0; oy < p->output_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        for (ox = 0; ox < p->output_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            int8_t *const out = output + (oy * p->output_w + ox) * p->output_c;
            int32_t c;
            for (c = 0; c < p->input_c; c++) {
                int32_t m;
                for (m = 0; m < m_count; m++) {
                    const int32_t o = c * m_count + m;
                    int32_t acc = p->bias[o];
                    int32_t ky;
                    for (ky = 0; ky < p->filter_h; ky++) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        int32_t kx;
                        if (iy < 0 || iy >= p->input_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->filter_w; kx++) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            int32_t x;
                            if (ix < 0 || ix >= p->input_w) {
                                continue;
                            }
                            x = (int32_t)input[(iy * p->input_w + ix) * p->input_c + c];
                            acc += (int32_t)p->weights[(ky * p->filter_w + kx) * p->output_c + o] *
                                   (x - p->input_zero_point);
                        }
                    }
                    acc = el_mbqm(acc, p->rq[o].multiplier, p->rq[o].shift);
                    acc += p->output_zero_point;
                    out[o] = (int8_t)el_clamp(acc, p->activation_min, p->activation_max);
                }
            }
        }
    }
    return EL_STATUS_SUCCESS;
}
