/**
 * @file el_depthwise_conv_s8.c
 * @brief int8 DEPTHWISE_CONV_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * Each output value is a short sum over the KH * KW taps of one channel, so there is nothing
 * for a dual 16-bit MAC to pair without first transposing the taps: one plain MAC per tap. The
 * accumulators of one output position live in the scratch (one int32 per output channel), so
 * the loop runs over the in-image taps of the window (taps outside it add nothing, as in TFLM)
 * with the channels innermost, reading input and weights in memory order.
 */
#include "el_depthwise_conv_s8.h"

#include "el_fixedpoint.h"

int32_t el_depthwise_conv_s8_buffer_size(const el_depthwise_conv_s8_params *params)
{
    return params->output_c * (int32_t)sizeof(int32_t);
}

el_status el_depthwise_conv_s8(const el_depthwise_conv_s8_params *params, const int8_t *input,
                               int8_t *output, int32_t *scratch)
{
    const el_depthwise_conv_s8_params *const p = params;
    const int32_t m_count = p->depth_multiplier;
    int32_t oy;
    int32_t ox;

    if (m_count <= 0 || p->output_c != p->input_c * m_count || p->stride_h <= 0 ||
        p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (oy = 0; oy < p->output_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        for (ox = 0; ox < p->output_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            int8_t *const out = output + (oy * p->output_w + ox) * p->output_c;
            int32_t o;
            int32_t ky;
            for (o = 0; o < p->output_c; o++) {
                scratch[o] = p->bias[o];
            }
            for (ky = 0; ky < p->filter_h; ky++) {
                const int32_t iy = iy0 + ky * p->dilation_h;
                int32_t kx;
                if (iy < 0 || iy >= p->input_h) {
                    continue;
                }
                for (kx = 0; kx < p->filter_w; kx++) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    const int8_t *src;
                    const int8_t *w;
                    int32_t *acc = scratch;
                    int32_t c;
                    if (ix < 0 || ix >= p->input_w) {
                        continue;
                    }
                    src = input + (iy * p->input_w + ix) * p->input_c;
                    w = p->weights + (ky * p->filter_w + kx) * p->output_c;
                    if (m_count == 1) {
                        for (c = 0; c < p->input_c; c++) {
                            acc[c] += (int32_t)w[c] * ((int32_t)src[c] - p->input_zero_point);
                        }
                    } else {
                        for (c = 0; c < p->input_c; c++) {
                            const int32_t x = (int32_t)src[c] - p->input_zero_point;
                            int32_t m;
                            for (m = 0; m < m_count; m++) {
                                *acc++ += (int32_t)*w++ * x;
                            }
                        }
                    }
                }
            }
            for (o = 0; o < p->output_c; o++) {
                int32_t y = el_mbqm(scratch[o], p->rq[o].multiplier, p->rq[o].shift);
                y += p->output_zero_point;
                out[o] = (int8_t)el_clamp(y, p->activation_min, p->activation_max);
            }
        }
    }
    return EL_STATUS_SUCCESS;
}
