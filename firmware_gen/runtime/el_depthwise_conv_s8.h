/**
 * @file el_depthwise_conv_s8.h
 * @brief int8 DEPTHWISE_CONV_2D (NHWC, batch 1, depth multiplier, per-channel requantization),
 *        bit-exact with TFLite Micro.
 *
 * Keras' DepthwiseConv1D and the first half of SeparableConv1D reach TFLite as this op on a
 * height-1 image. Output channel c * M + m reads input channel c (M: the depth multiplier).
 * Constants from quantize.op_params.conv_params() through firmware_gen.native_ops.
 */
#ifndef EL_DEPTHWISE_CONV_S8_H
#define EL_DEPTHWISE_CONV_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One DEPTHWISE_CONV_2D; output_c = input_c * depth_multiplier. */
typedef struct {
    int32_t input_h;           /**< H of the NHWC input */
    int32_t input_w;           /**< W */
    int32_t input_c;           /**< C */
    int32_t output_h;          /**< OH */
    int32_t output_w;          /**< OW */
    int32_t output_c;          /**< O = C * depth_multiplier */
    int32_t depth_multiplier;  /**< M: output channels per input channel */
    int32_t filter_h;          /**< KH */
    int32_t filter_w;          /**< KW */
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_h;             /**< padding before the first row */
    int32_t pad_w;             /**< padding before the first column */
    int32_t input_zero_point;  /**< zp_x: taps outside the image count as this value */
    int32_t output_zero_point;
    int32_t activation_min;    /**< fused activation, in the output's int8 domain */
    int32_t activation_max;
    const int8_t *weights;     /**< [KH][KW][O] as TFLite stores them */
    const int32_t *bias;       /**< [O] as stored (zero without a bias) */
    const el_requant *rq;      /**< [O] per output channel */
} el_depthwise_conv_s8_params;

/**
 * @brief Scratch bytes for el_depthwise_conv_s8(): one int32 accumulator per output channel.
 * @param[in] params  op constants
 * @return 4 * output_c
 */
int32_t el_depthwise_conv_s8_buffer_size(const el_depthwise_conv_s8_params *params);

/**
 * @brief int8 depthwise convolution:
 *        y[o] = clamp(MBQM(sum W[o] (x[o / M] - zp_x) + b[o], m[o], s[o]) + zp_y).
 * @param[in]  params   op constants
 * @param[in]  input    [input_h][input_w][input_c] int8
 * @param[out] output   [output_h][output_w][output_c] int8 (must not alias input)
 * @param[out] scratch  el_depthwise_conv_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for inconsistent dimensions
 */
el_status el_depthwise_conv_s8(const el_depthwise_conv_s8_params *params, const int8_t *input,
                               int8_t *output, int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_DEPTHWISE_CONV_S8_H */
