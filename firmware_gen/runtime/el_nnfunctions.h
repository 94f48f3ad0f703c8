/**
 * @file el_nnfunctions.h
 * @brief The kernels of the edge-lstm native engine.
 *
 * Each kernel takes a const parameter struct (generated per model, in flash), returns an
 * el_status and has a *_buffer_size() function giving the scratch it needs in bytes.
 * Scratch buffers are int32_t arrays (word aligned); no kernel allocates memory or uses
 * floating point.
 */
#ifndef EL_NNFUNCTIONS_H
#define EL_NNFUNCTIONS_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief One time step of an int8 LSTM layer: updates h and c in place.
 * @param[in]     params   layer constants
 * @param[in]     input    x(t), params->input_size int8 values
 * @param[in,out] hidden   h, params->hidden_size int8 values: h(t-1) in, h(t) out
 * @param[in,out] cell     c, params->hidden_size int16 values
 * @param[out]    scratch  el_lstm_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for empty dimensions
 */
el_status el_lstm_s8_step(const el_lstm_s8_params *params, const int8_t *input, int8_t *hidden,
                          int16_t *cell, int32_t *scratch);

/**
 * @brief Scratch bytes for el_lstm_s8_step(): x and h(t-1) widened to int16 pairs.
 * @param[in] params  layer constants
 * @return bytes
 */
int32_t el_lstm_s8_buffer_size(const el_lstm_s8_params *params);

/**
 * @brief int8 fully connected layer with per-channel requantization and fused activation.
 * @param[in]  params   layer constants
 * @param[in]  input    params->input_size int8 values
 * @param[out] scratch  el_fully_connected_s8_buffer_size() bytes, word aligned
 * @param[out] output   params->output_size int8 values (must not alias input)
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for empty dimensions
 */
el_status el_fully_connected_s8(const el_fully_connected_s8_params *params, const int8_t *input,
                                int32_t *scratch, int8_t *output);

/**
 * @brief Scratch bytes for el_fully_connected_s8(): the input widened to int16 pairs.
 * @param[in] params  layer constants
 * @return bytes
 */
int32_t el_fully_connected_s8_buffer_size(const el_fully_connected_s8_params *params);

/**
 * @brief int8 softmax over one row (output scale 1/256, zero point -128).
 * @param[in]  params  layer constants
 * @param[in]  input   params->size int8 values
 * @param[out] output  params->size int8 values (may alias input only if equal)
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for an empty row
 */
el_status el_softmax_s8(const el_softmax_s8_params *params, const int8_t *input, int8_t *output);

/**
 * @brief Scratch bytes for el_softmax_s8() (none).
 * @param[in] params  layer constants
 * @return 0
 */
int32_t el_softmax_s8_buffer_size(const el_softmax_s8_params *params);

#ifdef __cplusplus
}
#endif

#endif /* EL_NNFUNCTIONS_H */
