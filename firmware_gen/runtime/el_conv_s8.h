/**
 * @file el_conv_s8.h
 * @brief int8 CONV_2D (NHWC, batch 1, per-channel requantization), bit-exact with TFLite Micro.
 *
 * Keras' Conv1D reaches TFLite as a CONV_2D over a height-1 image; the kernel takes the general
 * 2-D case: strides, dilations, SAME/VALID padding (as the padding before each axis), groups,
 * per-channel multipliers and a fused activation clamp. Every constant comes from
 * quantize.op_params.conv_params() through firmware_gen.native_ops when the model is generated.
 */
#ifndef EL_CONV_S8_H
#define EL_CONV_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One CONV_2D. K = filter_h * filter_w * filter_c values per output channel, in the order
 * (ky, kx, c), packed four to a word with byte order (w0, w2, w1, w3) like the fully connected
 * rows (SXTB16 and SXTB16 ROR #8 give the int16 pairs (w0, w1), (w2, w3)), zero-padded to a
 * multiple of 4.
 */
typedef struct {
    int32_t input_h;           /**< H of the NHWC input */
    int32_t input_w;           /**< W */
    int32_t input_c;           /**< C: channels of the input */
    int32_t output_h;          /**< OH */
    int32_t output_w;          /**< OW */
    int32_t output_c;          /**< O: output channels (filters) */
    int32_t filter_h;          /**< KH */
    int32_t filter_w;          /**< KW */
    int32_t filter_c;          /**< input channels per group (input_c for one group) */
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_h;             /**< padding before the first row (SAME: total / 2; VALID: 0) */
    int32_t pad_w;             /**< padding before the first column */
    int32_t input_zero_point;  /**< zp_x: taps outside the image count as this value */
    int32_t output_zero_point;
    int32_t activation_min;    /**< fused activation, in the output's int8 domain */
    int32_t activation_max;
    const int32_t *weights;    /**< [O][ceil(K / 4)] packed words */
    const int32_t *bias;       /**< [O] as stored (zero without a bias) */
    const el_requant *rq;      /**< [O] per output channel */
} el_conv_s8_params;

/**
 * @brief Scratch bytes for el_conv_s8(): one output position's taps (x - zp_x, 0 outside the
 *        image) as int16 pairs, 8 * ceil(K / 4).
 * @param[in] params  op constants
 * @return bytes
 */
int32_t el_conv_s8_buffer_size(const el_conv_s8_params *params);

/**
 * @brief int8 convolution: y = clamp(MBQM(sum W (x - zp_x) + b, m[o], s[o]) + zp_y).
 * @param[in]  params   op constants
 * @param[in]  input    [input_h][input_w][input_c] int8
 * @param[out] output   [output_h][output_w][output_c] int8 (must not alias input)
 * @param[out] scratch  el_conv_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for inconsistent dimensions
 */
el_status el_conv_s8(const el_conv_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_CONV_S8_H */
