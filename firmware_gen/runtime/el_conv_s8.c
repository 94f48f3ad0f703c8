/**
 * @file el_conv_s8.c
 * @brief int8 CONV_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * For each output position the taps of one group are gathered once as int16 pairs (x - zp_x,
 * zero for a tap outside the image: TFLM leaves those out of its sum, which is the same), then
 * every output channel of the group is one dot product with its packed weight row (el_mac4:
 * two SXTB16 and two SMLAD per four MACs on cores with the DSP extension, the same integers in
 * plain C elsewhere), two output channels per pass so each input pair is loaded once for both.
 * The zero point cannot be folded into the bias because the padded taps differ per position.
 *
 * A window wholly inside the image whose rows are contiguous in memory (one group, no
 * dilation along the width, and one row or rows of a multiple of 4 values: every Conv1D
 * position away from the edges) is gathered four values at a time (el_widen_s8(), SXTB16 on
 * DSP cores) and the zero point subtracted from both halves of each word (SSUB16); the other
 * positions take the value-by-value gather. Both give the same words wherever the weights are
 * not zero padding.
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

/* col[i] - (zp, zp) for each of n words of int16 pairs: |x - zp| <= 255 never wraps. */
static void el_conv_offset(int32_t *col, int32_t n, int32_t zero_point)
{
    int32_t i;
#if EL_USE_DSP
    const uint32_t zp2 = (uint32_t)el_pack_s16x2(zero_point, zero_point);
    for (i = 0; i < n; i++) {
        col[i] = (int32_t)__ssub16((uint32_t)col[i], zp2);
    }
#else
    for (i = 0; i < n; i++) {
        const int32_t w = col[i];
        col[i] = el_pack_s16x2((int16_t)(w & 0xFFFF) - zero_point, (w >> 16) - zero_point);
    }
#endif
}

/* 1 when the window of every in-image position can be gathered row by row with
 * el_widen_s8(): one group, contiguous rows, and rows that end on a word pair. */
static int32_t el_conv_rows_contiguous(const el_conv_s8_params *p)
{
    const int32_t row = p->filter_w * p->filter_c;
    return p->filter_c == p->input_c && (p->dilation_w == 1 || p->filter_w == 1) &&
           (p->filter_h == 1 || (row & 3) == 0);
}

el_status el_conv_s8(const el_conv_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch)
{
    const el_conv_s8_params *const p = params;
    const int32_t words = (p->filter_h * p->filter_w * p->filter_c + 3) >> 2;
    int32_t groups;
    int32_t per_group;
    int32_t rows_contiguous;
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
    rows_contiguous = el_conv_rows_contiguous(p);
    for (oy = 0; oy < p->output_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const int32_t y_inside =
            iy0 >= 0 && iy0 + (p->filter_h - 1) * p->dilation_h < p->input_h;
        for (ox = 0; ox < p->output_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            int8_t *const out = output + (oy * p->output_w + ox) * p->output_c;
            const int32_t inside = y_inside && ix0 >= 0 &&
                                   ix0 + (p->filter_w - 1) * p->dilation_w < p->input_w;
            for (g = 0; g < groups; g++) {
                const int32_t o0 = g * per_group;
                const int32_t o_end = o0 + per_group;
                const int32_t *const end = scratch + 2 * words;
                int32_t o;
                if (inside && rows_contiguous) {
                    const int32_t row = p->filter_w * p->input_c;
                    int32_t ky;
                    int32_t *dst = scratch;
                    for (ky = 0; ky < p->filter_h; ky++) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        el_widen_s8(input + (iy * p->input_w + ix0) * p->input_c, row, dst);
                        dst += 2 * ((row + 3) >> 2);
                    }
                    el_conv_offset(scratch, 2 * words, p->input_zero_point);
                } else {
                    (void)el_conv_gather(p, input, iy0, ix0, g * p->filter_c, scratch);
                }
                for (o = o0; o + 1 < o_end; o += 2) {
                    const int32_t *w0 = p->weights + o * words;
                    const int32_t *w1 = w0 + words;
                    const int32_t *in = scratch;
                    int32_t acc0 = p->bias[o];
                    int32_t acc1 = p->bias[o + 1];
                    while (in != end) {
                        const int32_t x01 = in[0];
                        const int32_t x23 = in[1];
                        acc0 = el_mac4(acc0, *w0++, x01, x23);
                        acc1 = el_mac4(acc1, *w1++, x01, x23);
                        in += 2;
                    }
                    acc0 = el_mbqm(acc0, p->rq[o].multiplier, p->rq[o].shift);
                    acc1 = el_mbqm(acc1, p->rq[o + 1].multiplier, p->rq[o + 1].shift);
                    acc0 += p->output_zero_point;
                    acc1 += p->output_zero_point;
                    out[o] = (int8_t)el_clamp(acc0, p->activation_min, p->activation_max);
                    out[o + 1] = (int8_t)el_clamp(acc1, p->activation_min, p->activation_max);
                }
                if (o < o_end) {
                    const int32_t *w = p->weights + o * words;
                    const int32_t *in = scratch;
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
