/**
 * @file el_reduce_max_s8.h
 * @brief int8 REDUCE_MAX over constant axes, bit-exact with TFLite Micro.
 *
 * Keras' GlobalMaxPooling1D reaches TFLite as REDUCE_MAX over the time axis. Input and output
 * share one scale and zero point (TFLM requires it; quantize.op_params.same_quantization()
 * refuses anything else), so the kernel moves raw int8 values: the largest of each reduced set.
 * Any set of axes of an input of rank <= 4, given as a 4-D shape padded with leading 1s.
 */
#ifndef EL_REDUCE_MAX_S8_H
#define EL_REDUCE_MAX_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One REDUCE_MAX; the output is the kept axes in their order. */
typedef struct {
    int32_t dims[4];   /**< input shape, padded on the left with 1s */
    int32_t reduce[4]; /**< 1: the axis is reduced; 0: kept */
} el_reduce_max_s8_params;

/**
 * @brief Scratch bytes for el_reduce_max_s8() (none).
 * @param[in] params  op constants
 * @return 0
 */
int32_t el_reduce_max_s8_buffer_size(const el_reduce_max_s8_params *params);

/**
 * @brief int8 maximum over the reduced axes.
 * @param[in]  params   op constants
 * @param[in]  input    the input tensor, row-major over dims
 * @param[out] output   the product of the kept dims int8 values (must not alias input)
 * @param[out] scratch  unused (el_reduce_max_s8_buffer_size() is 0); may be null
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for bad dimensions
 */
el_status el_reduce_max_s8(const el_reduce_max_s8_params *params, const int8_t *input,
                           int8_t *output, int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_REDUCE_MAX_S8_H */
