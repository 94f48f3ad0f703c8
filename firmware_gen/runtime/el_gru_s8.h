/**
 * @file el_gru_s8.h
 * @brief int8 GRU and SimpleRNN layers (edge-lstm's EL_GRU / EL_SIMPLE_RNN custom ops).
 *
 * The arithmetic is docs/integer_gru.md, bit for bit equal to quantize/gru_reference.py:
 * int8 input and state, int8 weights (one requantization per output row), int32 biases with
 * the zero points folded in, gate pre-activations in int16 Q3.12, TFLite Micro's int16
 * sigmoid and tanh (Q0.15), and fixed-point products with TFLite's rounding. Every constant
 * comes from quantize.gru_params.gru_params() when the model is generated.
 */
#ifndef EL_GRU_S8_H
#define EL_GRU_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Layer kinds (el_gru_s8_params.kind). */
#define EL_GRU_KIND_GRU 0
#define EL_GRU_KIND_SIMPLE_RNN 1

/**
 * One GRU or SimpleRNN layer. G = 3 row blocks (z, r, n) for a GRU, 1 for a SimpleRNN; each
 * block has H rows, padded with zero rows to H4 = 4 ceil(H / 4).
 *
 * The weights are stored packed for the dual 16-bit MACs (the generator packs them,
 * firmware_gen/native.py gru_packed_weights()): the rows of each gate block, four at a time,
 * and within four rows the columns four at a time (a column group, padded with zeros), one
 * 32-bit word per row holding its int8 weights of columns c, c+2, c+1, c+3 in bytes 0..3.
 * So SXTB16 of a word gives the int16 pair (w[c], w[c+1]) and SXTB16 ROR #8 gives (w[c+2],
 * w[c+3]), to be multiplied with the input widened to int16 pairs in their natural order; and
 * one load of a column group's inputs feeds the four rows.
 */
typedef struct {
    int32_t kind;                     /**< EL_GRU_KIND_GRU or EL_GRU_KIND_SIMPLE_RNN */
    int32_t reset_after;              /**< GRU: 1 for Keras reset_after=True, else 0 */
    int32_t input_size;               /**< I: features of x */
    int32_t hidden_size;              /**< H: units */
    const int32_t *w_x;               /**< G*H4/4 blocks x ceil(I/4) groups x 4 rows, packed */
    const int32_t *w_h;               /**< G*H4/4 blocks x ceil(H/4) groups x 4 rows, packed */
    const int32_t *input_bias;        /**< [G*H] bias - zp_x * row sums of w_x */
    const int32_t *recurrent_bias;    /**< [G*H] recurrent bias - zp_h * row sums of w_h */
    const el_requant *input_rq;       /**< [G*H] input accumulator -> Q3.12 */
    const el_requant *recurrent_rq;   /**< [G*H] recurrent accumulator -> Q3.12 (GRU
                                           reset_after n rows: -> 2^candidate_power) */
    int32_t candidate_shift;          /**< 3 - candidate_power: r x (U_n h + b_rn) -> Q3.12 */
    el_requant hidden_rq;             /**< 2^-15 / s_h: Q0.15 values to units of h */
    int32_t hidden_zero_point;        /**< zp_h: the state's zero point (real 0) */
    el_requant output_rq;             /**< s_h / s_out; multiplier 0: output = state */
    int32_t output_zero_point;        /**< zp_out */
    int32_t short_rq;                 /**< 1: every row's |accumulator + bias| shifted left
                                           by its shift is below 2^30 (checked when the
                                           model is generated), so the requantizations take
                                           the short SMMLAR form; 0: the general one */
} el_gru_s8_params;

/**
 * @brief Scratch bytes for el_gru_s8_step() and el_gru_s8(): the input and recurrent
 *        accumulators of every row (int32, G*H4 each), and x, h and r x h widened to int16
 *        pairs (ceil(I/4), ceil(H/4) and ceil(H/4) column groups of two words).
 * @param[in] params  layer constants
 * @return bytes
 */
int32_t el_gru_s8_buffer_size(const el_gru_s8_params *params);

/**
 * @brief Set the state to real zero (h = zp_h), as at the start of every sequence.
 * @param[in]  params  layer constants
 * @param[out] hidden  params->hidden_size int8 values
 */
void el_gru_s8_reset(const el_gru_s8_params *params, int8_t *hidden);

/**
 * @brief One time step: updates the state h in place and writes the step's output.
 * @param[in]     params   layer constants
 * @param[in]     input    x(t), params->input_size int8 values
 * @param[in,out] hidden   h, params->hidden_size int8 values: h(t-1) in, h(t) out
 * @param[out]    output   params->hidden_size int8 values in the output quantization, or
 *                         NULL for none (must not alias hidden when requantized)
 * @param[out]    scratch  el_gru_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for empty dimensions or an unknown kind
 */
el_status el_gru_s8_step(const el_gru_s8_params *params, const int8_t *input, int8_t *hidden,
                         int8_t *output, int32_t *scratch);

/**
 * @brief A whole sequence from the current state (call el_gru_s8_reset() first for an
 *        independent sequence).
 * @param[in]     params            layer constants
 * @param[in]     input             time_steps x params->input_size int8 values
 * @param[in]     time_steps        T
 * @param[in]     return_sequences  1: every step's output (T x H), 0: the last step's (H)
 * @param[in,out] hidden            h, params->hidden_size int8 values
 * @param[out]    output            T x H or H int8 values
 * @param[out]    scratch           el_gru_s8_buffer_size() bytes, word aligned
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR
 */
el_status el_gru_s8(const el_gru_s8_params *params, const int8_t *input, int32_t time_steps,
                    int32_t return_sequences, int8_t *hidden, int8_t *output,
                    int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EL_GRU_S8_H */
