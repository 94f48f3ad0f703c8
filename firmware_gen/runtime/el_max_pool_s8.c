/**
 * @file el_max_pool_s8.c
 * @brief int8 MAX_POOL_2D, bit-exact with TFLite Micro's reference kernel.
 *
 * The window is clipped to the image (padding never wins the maximum), the maximum starts from
 * -128 as in TFLM, and the result is clamped to the fused activation.
 */
#include "el_max_pool_s8.h"

#include "el_fixedpoint.h"

int32_t el_max_pool_s8_buffer_size(const el_max_pool_s8_params *params)
{
    (void)params;
    return 0;
}

el_status el_max_pool_s8(const el_max_pool_s8_params *params, const int8_t *input, int8_t *output,
                         int32_t *scratch)
{
    const el_max_pool_s8_params *const p = params;
    int32_t oy;
    int32_t ox;

    (void)scratch;
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
            int8_t *const out = output + (oy * p->output_w + ox) * p->channels;
            int32_t c;
            int32_t iy;
            /* the running maximum is kept in the output row, channels innermost: input and
             * output are read in memory order */
            for (c = 0; c < p->channels; c++) {
                out[c] = -128;
            }
            for (iy = y_lo; iy < y_hi; iy++) {
                int32_t ix;
                for (ix = x_lo; ix < x_hi; ix++) {
                    const int8_t *src = input + (iy * p->input_w + ix) * p->channels;
                    for (c = 0; c < p->channels; c++) {
                        out[c] = src[c] > out[c] ? src[c] : out[c];
                    }
                }
            }
            for (c = 0; c < p->channels; c++) {
                out[c] = (int8_t)el_clamp(out[c], p->activation_min, p->activation_max);
            }
        }
    }
    return EL_STATUS_SUCCESS;
}
