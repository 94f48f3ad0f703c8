/**
 * @file el_elementwise_s8.h
 * @brief The whole-sequence graph's simple int8 kernels: REVERSE_V2, CONCATENATION, ADD/SUB,
 *        MUL, LOGISTIC, TANH and QUANTIZE (int8 -> int8), each bit-exact with TFLite Micro's
 *        reference kernel (one kernel per el_X_s8.c file).
 *
 * Every constant (multipliers, shifts, zero points, bounds) is computed when the model is
 * generated (quantize/op_params.py, the derivation the numpy reference uses as well) and
 * written into the const params structs below.
 */
#ifndef EL_ELEMENTWISE_S8_H
#define EL_ELEMENTWISE_S8_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** REVERSE_V2 over one axis of a tensor seen as [outer][axis][inner]. */
typedef struct {
    int32_t outer; /**< product of the dimensions before the axis */
    int32_t axis;  /**< length of the reversed axis (the time steps) */
    int32_t inner; /**< bytes of one element of the axis (product of the later dimensions) */
} el_reverse_s8_params;

/** CONCATENATION of two int8 tensors seen as [outer][inner1] and [outer][inner2]. */
typedef struct {
    int32_t outer;  /**< product of the dimensions before the axis */
    int32_t inner1; /**< bytes per outer index of the first input */
    int32_t inner2; /**< bytes per outer index of the second input */
} el_concatenation_s8_params;

/**
 * ADD or SUB int8 (TFLM add_common/sub_common): each input + its offset, shifted left by
 * left_shift and rescaled by its own multiplier, added or subtracted, rescaled to the output.
 * Broadcasting: input k's element j is input_k[j % period_k] (a constant of shape [1, 1, F]
 * over [1, T, F] has period F; same shapes have period size).
 */
typedef struct {
    int32_t size;          /**< output elements */
    int32_t period1;       /**< elements of input 1, dividing size */
    int32_t period2;       /**< elements of input 2, dividing size */
    int32_t subtract;      /**< 1: SUB, 0: ADD */
    int32_t left_shift;    /**< 20 for int8 */
    int32_t input1_offset; /**< -zero point */
    int32_t input2_offset;
    el_requant input1_rq;  /**< shift <= 0 */
    el_requant input2_rq;
    el_requant output_rq;
    int32_t output_offset; /**< + zero point of the output */
    int32_t activation_min;
    int32_t activation_max;
} el_add_s8_params;

/** MUL int8 (TFLM mul_common): clamp(MBQM((x1 - zp1) * (x2 - zp2)) + zp_y); periods as ADD. */
typedef struct {
    int32_t size;
    int32_t period1;
    int32_t period2;
    int32_t input1_offset; /**< -zero point */
    int32_t input2_offset;
    el_requant output_rq;
    int32_t output_offset;
    int32_t activation_min;
    int32_t activation_max;
} el_mul_s8_params;

/**
 * LOGISTIC or TANH int8 (TFLM logistic_common / tanh): x - zp rescaled to Q4.27, gemmlowp's
 * fixed-point function, rounded to Q0.8 (LOGISTIC, zero point -128) or Q0.7 (TANH, 0);
 * inputs at or beyond the radius saturate.
 */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_multiplier;
    int32_t input_left_shift;  /**< the frexp exponent: MBQM's shift */
    int32_t input_range_radius;
} el_logistic_tanh_s8_params;

/** QUANTIZE int8 -> int8 (TFLM Requantize): clamp(MBQM(x - zp_x) + zp_y, lo, hi). */
typedef struct {
    int32_t size;
    int32_t input_offset; /**< -zero point of the input */
    el_requant rq;
    int32_t output_offset;
    int32_t activation_min;
    int32_t activation_max;
} el_requantize_s8_params;

/**
 * @brief REVERSE_V2 of one axis.
 * @param[in]  params  shape
 * @param[in]  input   outer * axis * inner values
 * @param[out] output  as many values; must not overlap input
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for empty dimensions
 */
el_status el_reverse_s8(const el_reverse_s8_params *params, const int8_t *input, int8_t *output);

/** @brief Scratch bytes of el_reverse_s8(): none. @param[in] params shape @return 0 */
int32_t el_reverse_s8_buffer_size(const el_reverse_s8_params *params);

/**
 * @brief CONCATENATION of two inputs that carry the output's scale and zero point (the
 *        converter inserts a QUANTIZE, el_requantize_s8(), in front of one that does not).
 * @param[in]  params  shapes
 * @param[in]  input1  outer * inner1 values
 * @param[in]  input2  outer * inner2 values
 * @param[out] output  outer * (inner1 + inner2) values
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for empty dimensions
 */
el_status el_concatenation_s8(const el_concatenation_s8_params *params, const int8_t *input1,
                              const int8_t *input2, int8_t *output);

/** @brief Scratch bytes of el_concatenation_s8(): none. @param[in] params shapes @return 0 */
int32_t el_concatenation_s8_buffer_size(const el_concatenation_s8_params *params);

/**
 * @brief ADD or SUB int8 with trailing broadcasting.
 * @param[in]  params  constants
 * @param[in]  input1  period1 values
 * @param[in]  input2  period2 values
 * @param[out] output  size values (may be input1 or input2 when that has size values)
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for a period that does not divide size
 */
el_status el_add_s8(const el_add_s8_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

/** @brief Scratch bytes of el_add_s8(): none. @param[in] params constants @return 0 */
int32_t el_add_s8_buffer_size(const el_add_s8_params *params);

/**
 * @brief MUL int8 with trailing broadcasting.
 * @param[in]  params  constants
 * @param[in]  input1  period1 values
 * @param[in]  input2  period2 values
 * @param[out] output  size values
 * @return EL_STATUS_SUCCESS, or EL_STATUS_ARG_ERROR for a period that does not divide size
 */
el_status el_mul_s8(const el_mul_s8_params *params, const int8_t *input1, const int8_t *input2,
                    int8_t *output);

/** @brief Scratch bytes of el_mul_s8(): none. @param[in] params constants @return 0 */
int32_t el_mul_s8_buffer_size(const el_mul_s8_params *params);

/**
 * @brief LOGISTIC int8 (output scale 1/256, zero point -128).
 * @param[in]  params  constants
 * @param[in]  input   size values
 * @param[out] output  size values (may be input)
 * @return EL_STATUS_SUCCESS
 */
el_status el_logistic_s8(const el_logistic_tanh_s8_params *params, const int8_t *input,
                         int8_t *output);

/** @brief Scratch bytes of el_logistic_s8(): none. @param[in] params constants @return 0 */
int32_t el_logistic_s8_buffer_size(const el_logistic_tanh_s8_params *params);

/**
 * @brief TANH int8 (output scale 1/128, zero point 0).
 * @param[in]  params  constants
 * @param[in]  input   size values
 * @param[out] output  size values (may be input)
 * @return EL_STATUS_SUCCESS
 */
el_status el_tanh_s8(const el_logistic_tanh_s8_params *params, const int8_t *input,
                     int8_t *output);

/** @brief Scratch bytes of el_tanh_s8(): none. @param[in] params constants @return 0 */
int32_t el_tanh_s8_buffer_size(const el_logistic_tanh_s8_params *params);

/**
 * @brief QUANTIZE int8 -> int8.
 * @param[in]  params  constants
 * @param[in]  input   size values
 * @param[out] output  size values (may be input)
 * @return EL_STATUS_SUCCESS
 */
el_status el_requantize_s8(const el_requantize_s8_params *params, const int8_t *input,
                           int8_t *output);

/** @brief Scratch bytes of el_requantize_s8(): none. @param[in] params constants @return 0 */
int32_t el_requantize_s8_buffer_size(const el_requantize_s8_params *params);

#ifdef __cplusplus
}
#endif

#endif /* EL_ELEMENTWISE_S8_H */
