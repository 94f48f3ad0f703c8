/**
 * @file el_mean_s8.h
 * @brief int8 MEAN over constant axes, bit-exact with TFLite Micro (QuantizedMeanOrSum).
 *
 * Keras' GlobalAveragePooling1D reaches TFLite as MEAN over the time axis. The kernel takes any
 * set of axes of an input of rank <= 4 (given as a 4-D shape padded with leading 1s): the sum
 * of the raw int8 inputs minus zp_x * n, requantized once by a multiplier that folds
 * s_in / s_out with 1 / n (quantize.op_params.mean_params()), plus zp_y.
 */
#ifndef EL_MEAN_S8_H
#define EL_MEAN_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One MEAN; the output is the kept axes in their order (keep_dims does not change the bytes). */
typedef struct {
    int32_t dims[4];           /**< input shape, padded on the left with 1s */
    int32_t reduce[4];         /**< 1: the axis is averaged; 0: kept */
    int32_t count;             /**< n: the number of inputs in each mean */
    int32_t input_zero_point;  /**< zp_x */
    int32_t output_zero_point; /**< zp_y */
    el_requant rq;             /**< s_in / s_out / n as TFLM folds it */
} el_mean_s8_params;

/**
 * @brief Scratch bytes for el_mean_s8() (none).
 * @param[in] params  op constants
 * @return 0
 */
int32_t el_mean_s8_buffer_size(const el_mean_s8_params *params);

/**
 * @brief int8 mean: y = clamp(MBQM(sum x - zp_x n, m, s) + zp_y, -128, 127), the sum in int32.
 * @param[in]  params   op constants
 * @param[in]  input    the input tensor, row-major over dims
 * @param[out] output   the product of the kept dims int8 values (must not alias input)
 * @param[out] scratch  unused (el_mean_s8_buffer_size() is 0); may be null
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for bad dimensions
 */
el_status el_mean_s8(const el_mean_s8_params *params, const int8_t *input, int8_t *output,
                     int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_MEAN_S8_H */
