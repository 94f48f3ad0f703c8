/**
 * @file el_conv_s8.c
 * @brief int8 CONV_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * For each output position the taps of one group are gathered once as int16 pairs (x - zp_x,
 * zero for a tap outside the image: TFLM leaves those out of its sum, which is the same), then
 * every output channel of the group is one dot product with its packed weight row (el_mac4:
 * two SXTB16 and two SMLAD per four MACs on cores with the DSP extension, the same integers in
 * plain C elsewhere). The zero point cannot be folded into the bias because the padded taps
 * differ per position.
 */
#include "el_conv_s8.h"

#include "el_fixedpoint.h"

int32_t el_conv_s8_buffer_size(const el_conv_s8_params *params)
{
    const int32_t k = params->filter_h * params->filter_w * params->filter_c;
    return 2 * ((k + 3) >> 2) * (int32_t)sizeof(int32_t);
}

/* Gather the taps of one output position and group into col as int16 pairs; returns the
 * number of words written (2 ceil(K / 4)). */
static int32_t el_conv_gather(const el_conv_s8_params *p, const int8_t *input, int32_t iy0,
                              int32_t ix0, int32_t channel0, int32_t *col)
{
    int32_t *dst = col;
    int32_t pending = 0;
    int32_t have = 0;
    int32_t n = 0;
    int32_t ky;
    int32_t kx;
    int32_t c;

    for (ky = 0; ky < p->filter_h; ky++) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        const int32_t row_in = iy >= 0 && iy < p->input_h;
        for (kx = 0; kx < p->filter_w; kx++) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (row_in && ix >= 0 && ix < p->input_w) {
                const int8_t *src = input + (iy * p->input_w + ix) * p->input_c + channel0;
                for (c = 0; c < p->filter_c; c++) {
                    const int32_t v = (int32_t)src[c] - p->input_zero_point;
                    if (have) {
                        *dst++ = el_pack_s16x2(pending, v);
                    } else {
                        pending = v;
                    }
                    have ^= 1;
                }
            } else {
                for (c = 0; c < p->filter_c; c++) {
                    if (have) {
                        *dst++ = el_pack_s16x2(pending, 0);
                    } else {
                        pending = 0;
                    }
                    have ^= 1;
                }
            }
        }
    }
    if (have) {
        *dst++ = el_pack_s16x2(pending, 0);
    }
    n = (int32_t)(dst - col);
    if ((n & 1) != 0) {
        *dst = 0;
        n++;
    }
    return n;
}

el_status el_conv_s8(const el_conv_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch)
{
    const el_conv_s8_params *const p = params;
    const int32_t words = (p->filter_h * p->filter_w * p->filter_c + 3) >> 2;
    int32_t groups;
    int32_t per_group;
    int32_t oy;
    int32_t ox;
    int32_t g;

    if (p->filter_c <= 0 || p->input_c % p->filter_c != 0 || p->output_c <= 0 ||
        p->stride_h <= 0 || p->stride_w <= 0 || p->dilation_h <= 0 || p->dilation_w <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    groups = p->input_c / p->filter_c;
    if (p->output_c % groups != 0) {
        return EL_STATUS_ARG_ERROR;
    }
    per_group = p->output_c / groups;
    for (oy = 0; oy < p->output_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        for (ox = 0; ox < p->output_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            int8_t *const out = output + (oy * p->output_w + ox) * p->output_c;
            for (g = 0; g < groups; g++) {
                const int32_t o0 = g * per_group;
                int32_t o;
                (void)el_conv_gather(p, input, iy0, ix0, g * p->filter_c, scratch);
                for (o = o0; o < o0 + per_group; o++) {
                    const int32_t *w = p->weights + o * words;
                    const int32_t *in = scratch;
                    const int32_t *const end = scratch + 2 * words;
                    int32_t acc = p->bias[o];
                    while (in != end) {
                        acc = el_mac4(acc, *w++, in[0], in[1]);
                        in += 2;
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
