/**
 * @file el_tanh_s8.c
 * @brief int8 TANH (output scale 1/128, zero point 0) as TFLite Micro's reference kernel computes it: x - zp rescaled to
 *        Q4.27 (inputs at or beyond the radius saturate without computing), gemmlowp's
 *        fixed-point function (el_gemmlowp.h), the Q0.31 result rounded to the output.
 */
#include "el_elementwise_s8.h"
#include "el_gemmlowp.h"

/** Q4.27: TFLM's kInputIntegerBits for int8 LOGISTIC and TANH. */
#define EL_TANH_INPUT_INTEGER_BITS 4

el_status el_tanh_s8(const el_logistic_tanh_s8_params *params, const int8_t *input,
                     int8_t *output)
{
    const int32_t radius = params->input_range_radius;
    int32_t i;

    for (i = 0; i < params->size; i++) {
        const int32_t x = input[i] - params->input_zero_point;
        int32_t y;
        if (x <= -radius) {
            y = -128;
        } else if (x >= radius) {
            y = 127;
        } else {
            const int32_t q4 =
                el_mbqm(x, params->input_multiplier, params->input_left_shift);
            y = el_rdbp(el_gl_tanh(q4, EL_TANH_INPUT_INTEGER_BITS), 24);
            y = el_clamp(y, -128, 127);
        }
        output[i] = (int8_t)y;
    }
    return EL_STATUS_SUCCESS;
}

int32_t el_tanh_s8_buffer_size(const el_logistic_tanh_s8_params *params)
{
    (void)params;
    return 0;
}
