/**
 * @file el_avg_pool_s8.c
 * @brief int8 AVERAGE_POOL_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * The window is clipped to the image and the sum divided by the number of in-image values (a
 * window cut by SAME padding averages fewer values, it does not count padding), rounding half
 * away from zero the way TFLM writes it with C's truncating division:
 * sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n.
 */
#include "el_avg_pool_s8.h"

#include "el_fixedpoint.h"

int32_t el_avg_pool_s8_buffer_size(const el_avg_pool_s8_params *params)
{
    return params->channels * (int32_t)sizeof(int32_t);
}

el_status el_avg_pool_s8(const el_avg_pool_s8_params *params, const int8_t *input, int8_t *output,
                         int32_t *scratch)
{
    const el_avg_pool_s8_params *const p = params;
    int32_t oy;
    int32_t ox;

    if (p->channels <= 0 || p->stride_h <= 0 || p->stride_w <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (oy = 0; oy < p->output_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_h;
        const int32_t y_lo = iy0 < 0 ? 0 : iy0;
        const int32_t y_hi = iy0 + p->filter_h > p->input_h ? p->input_h : iy0 + p->filter_h;
        for (ox = 0; ox < p->output_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_w;
            const int32_t x_lo = ix0 < 0 ? 0 : ix0;
            const int32_t x_hi = ix0 + p->filter_w > p->input_w ? p->input_w : ix0 + p->filter_w;
            const int32_t count = (y_hi - y_lo) * (x_hi - x_lo);
            int8_t *const out = output + (oy * p->output_w + ox) * p->channels;
            int32_t c;
            int32_t iy;
            if (y_hi <= y_lo || x_hi <= x_lo) {
                return EL_STATUS_ARG_ERROR;
            }
            /* per-channel sums in the scratch, channels innermost: the input is read in
             * memory order */
            for (c = 0; c < p->channels; c++) {
                scratch[c] = 0;
            }
            for (iy = y_lo; iy < y_hi; iy++) {
                int32_t ix;
                for (ix = x_lo; ix < x_hi; ix++) {
                    const int8_t *src = input + (iy * p->input_w + ix) * p->channels;
                    for (c = 0; c < p->channels; c++) {
                        scratch[c] += src[c];
                    }
                }
            }
            for (c = 0; c < p->channels; c++) {
                const int32_t sum = scratch[c];
                const int32_t mean =
                    sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                out[c] = (int8_t)el_clamp(mean, p->activation_min, p->activation_max);
            }
        }
    }
    return EL_STATUS_SUCCESS;
}
