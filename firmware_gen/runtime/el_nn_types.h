/**
 * @file el_nn_types.h
 * @brief Status codes and the constant parameter structs of the edge-lstm native kernels.
 *
 * Every quantization constant a kernel needs is computed when the model is generated and
 * stored in one of these structs in flash, so the kernels do no floating point and no
 * per-call setup.
 */
#ifndef EL_NN_TYPES_H
#define EL_NN_TYPES_H

#include <stdint.h>

/** Kernel status: 0 on success, negative on a bad argument. */
typedef enum {
    EL_STATUS_SUCCESS = 0,
    EL_STATUS_ARG_ERROR = -1
} el_status;

/** A per-tensor requantization: MultiplyByQuantizedMultiplier(x, multiplier, shift). */
typedef struct {
    int32_t multiplier; /**< Q0.31, in [2^30, 2^31) (or 0) */
    int32_t shift;      /**< > 0: left shift, < 0: right shift */
} el_requant;

/**
 * A requantization on the short form, el_mbqm_short(): (SMMLAR(2x, multiplier, half) -
 * round_neg [x < 0]) >> right.
 */
typedef struct {
    int32_t multiplier; /**< Q0.31 */
    int32_t half;       /**< 2^(right - 1), 0 for right 0 */
    int32_t right;      /**< right shift, >= 0 */
    int32_t round_neg;  /**< 1 for right >= 1, 0 for right 0 */
} el_short_rq;

/**
 * A gate side's requantization on the short form: el_mbqm_short(2x << left, ...). A left
 * shift (a scale ratio of 1 or more, as for inputs with a wide range) has right 0, half 0 and
 * round_neg 0; the generator proves that 2x << left fits an int32. The field order is the
 * order the DSP-extension routine loads them in (LDM {r0, r9-r12}).
 */
typedef struct {
    int32_t left;       /**< left shift, >= 0 (0 with a right shift) */
    int32_t multiplier; /**< Q0.31 */
    int32_t half;       /**< 2^(right - 1), 0 for right 0 */
    int32_t right;      /**< right shift, >= 0 */
    int32_t round_neg;  /**< 1 for right >= 1, 0 for right 0 */
} el_gate_rq;

/**
 * The constants of an LSTM layer on the short requantization forms (see el_mbqm_fast2() and
 * el_mbqm_pow2()), computed when the model is generated. The fields are in the order the
 * kernel uses them: the DSP-extension routine streams them with LDM, so their order and
 * size (55 words) are part of the kernel's interface.
 */
typedef struct {
    el_gate_rq gate[4][2];    /**< per gate i, f, g, o: input side, then recurrent side */
    int32_t kept_add;         /**< forget x cell: 2^s + 1 and s + 1 */
    int32_t kept_s1;
    int32_t added_add;        /**< input gate x cell gate: 2^s + 1 and s + 1 */
    int32_t added_s1;
    int32_t cell_lo;          /**< the cell clip, or the int16 range without one */
    int32_t cell_hi;
    int32_t tanh_multiplier;  /**< the cell tanh input scaling, see el_tanh_s16_in32() */
    int32_t tanh_round;       /**< 2^(tanh_shift - 1), or 0 for shift 0 */
    int32_t tanh_shift;
    el_short_rq hidden;       /**< o x tanh(c) -> h (right >= 1) */
    int32_t hidden_zero_point;
    int32_t saturate;         /**< 1: saturate the gate sides and sums (gates_in_range 0) */
} el_lstm_short_rq;

/**
 * One UNIDIRECTIONAL_SEQUENCE_LSTM layer (int8 input and hidden state, int16 cell state).
 *
 * Weights are packed four int8 values to an int32 word, byte order (w0, w2, w1, w3) so
 * that SXTB16 and SXTB16 ROR #8 give the pairs (w0, w1) and (w2, w3). For each hidden unit
 * j the words are: for every 4 input columns the words of gates i, f, g, o; then for every
 * 4 recurrent columns the words of gates i, f, g, o. Columns are zero-padded to a multiple
 * of 4. With weight_bits 16 the same values are stored sign-extended, two words per gate
 * and column group, the int16 pairs (w0, w1) and (w2, w3) (low half first).
 */
typedef struct {
    int32_t input_size;           /**< I: features of x */
    int32_t hidden_size;          /**< H: units */
    const int32_t *weights;       /**< H * 4 * (ceil(I/4) + ceil(H/4)) packed words, twice
                                       that with weight_bits 16 */
    const int32_t *bias;          /**< [H][8]: input-side bias of i, f, g, o with the
                                       input zero point folded in, then the recurrent
                                       zero-point correction of i, f, g, o; doubled
                                       when shift_only is 1 (the kernel then doubles
                                       x and h too) */
    el_requant input_rq[4];       /**< input FC -> Q3.12 per gate i, f, g, o */
    el_requant recurrent_rq[4];   /**< recurrent FC -> Q3.12 per gate i, f, g, o */
    el_requant forget_cell_rq;    /**< f (Q0.15) * c -> cell scale */
    el_requant input_gate_rq;     /**< i (Q0.15) * g (Q0.15) -> cell scale */
    el_requant hidden_rq;         /**< o (Q0.15) * tanh(c) (Q0.15) -> hidden scale */
    int32_t hidden_zero_point;    /**< zero point of h */
    int32_t cell_tanh_multiplier; /**< tanh input scaling of c, see el_tanh_s16() */
    int32_t cell_tanh_shift;
    int32_t cell_clip;            /**< quantized cell clip (c in [-clip, clip]); < 0: none */
    int32_t shift_only;           /**< 1 when the generator proved the short requantization
                                       forms exact for this layer (every gate accumulator
                                       below 2^30, and 2x << left below 2^31 for a left
                                       shift; cell multipliers 2^30),
                                       see el_mbqm_fast() and el_mbqm_pow2(); 0: general form */
    int32_t gates_in_range;       /**< 1 when the generator proved (with shift_only) that no
                                       requantized gate side and no sum of the two sides of a
                                       gate can leave [-32767, 32767]: the kernel then skips
                                       their int16 saturation; 0: saturate */
    int32_t weight_bits;          /**< 8: four int8 weights per word; 16: int16 pairs (no
                                       unpacking in the loop, twice the flash) */
    const el_lstm_short_rq *short_rq; /**< the short forms' constants when shift_only is 1,
                                           else 0 */
} el_lstm_s8_params;

/**
 * An int8 FULLY_CONNECTED layer with per-channel (or per-tensor) int8 weights.
 * Rows are packed like the LSTM weights: ceil(K/4) words per output, byte order
 * (w0, w2, w1, w3), zero-padded.
 */
typedef struct {
    int32_t input_size;       /**< K */
    int32_t output_size;      /**< N */
    const int32_t *weights;   /**< N * ceil(K/4) packed words */
    const int32_t *bias;      /**< [N]: bias - input_zero_point * sum_k W[n][k] */
    const el_requant *rq;     /**< [N] per output channel */
    int32_t output_zero_point;
    int32_t activation_min;   /**< fused activation, already in the output's int8 domain */
    int32_t activation_max;
} el_fully_connected_s8_params;

/** SOFTMAX int8 -> int8 (output scale 1/256, zero point -128). */
typedef struct {
    int32_t size;             /**< classes */
    int32_t input_multiplier; /**< beta * input scale, Q5.26 rescale, as TFLite computes it */
    int32_t input_left_shift;
    int32_t diff_min;         /**< input differences below this give exp() == 0 */
} el_softmax_s8_params;

#endif /* EL_NN_TYPES_H */
