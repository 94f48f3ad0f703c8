/**
 * @file el_avg_pool_s8.h
 * @brief int8 AVERAGE_POOL_2D (NHWC, batch 1), bit-exact with TFLite Micro.
 *
 * Keras' AveragePooling1D reaches TFLite as this op on a height-1 image. Input and output
 * share one scale and zero point (TFLM requires it), so the kernel works on the raw int8
 * values: the rounded mean of the in-image values of each window, clamped to the fused
 * activation. Constants from quantize.op_params.pool_params() through firmware_gen.native_ops.
 */
#ifndef EL_AVG_POOL_S8_H
#define EL_AVG_POOL_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One AVERAGE_POOL_2D; the channels pass through (output_c = input_c). */
typedef struct {
    int32_t input_h;         /**< H of the NHWC input */
    int32_t input_w;         /**< W */
    int32_t channels;        /**< C, in and out */
    int32_t output_h;        /**< OH */
    int32_t output_w;        /**< OW */
    int32_t filter_h;        /**< window height */
    int32_t filter_w;        /**< window width */
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_h;           /**< padding before the first row (SAME: total / 2; VALID: 0) */
    int32_t pad_w;           /**< padding before the first column */
    int32_t activation_min;  /**< fused activation, in the int8 domain */
    int32_t activation_max;
} el_avg_pool_s8_params;

/**
 * @brief Scratch bytes for el_avg_pool_s8(): one int32 sum per channel.
 * @param[in] params  op constants
 * @return 4 * channels
 */
int32_t el_avg_pool_s8_buffer_size(const el_avg_pool_s8_params *params);

/**
 * @brief int8 AVERAGE_POOL_2D.
 * @param[in]  params   op constants
 * @param[in]  input    [input_h][input_w][channels] int8
 * @param[out] output   [output_h][output_w][channels] int8 (must not alias input)
 * @param[out] scratch  el_avg_pool_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for bad dimensions or a window with no
 *         in-image value
 */
el_status el_avg_pool_s8(const el_avg_pool_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_AVG_POOL_S8_H */
