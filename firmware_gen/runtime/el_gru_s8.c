/**
 * @file el_gru_s8.c
 * @brief int8 GRU and SimpleRNN, plain C, bit-exact with quantize/gru_reference.py.
 *
 * One step follows docs/integer_gru.md: the z and r gates first (their values are needed by
 * every unit's candidate), then r x h for reset_after=0, then per unit the candidate and the
 * update. No intermediate leaves int32: the bounds are in the document's "Overflow" section
 * and are checked when the constants are derived.
 */
#include "el_gru_s8.h"

#include <stddef.h>

#include "el_fixedpoint.h"
#include "el_sigmoid_tanh.h"

#define EL_Q15_ONE 32768

int32_t el_gru_s8_buffer_size(const el_gru_s8_params *params)
{
    const int32_t h = params->hidden_size;
    /* z and r as int32, then the new state and r x h as int8, each padded to a word */
    return (int32_t)sizeof(int32_t) * (2 * h + 2 * ((h + 3) >> 2));
}

void el_gru_s8_reset(const el_gru_s8_params *params, int8_t *hidden)
{
    int32_t j;
    for (j = 0; j < params->hidden_size; j++) {
        hidden[j] = (int8_t)params->hidden_zero_point;
    }
}

/** bias + row . v for one int8 row of n values. */
static int32_t el_gru_dot(const int8_t *row, const int8_t *v, int32_t n, int32_t bias)
{
    int32_t acc = bias;
    int32_t k;
    for (k = 0; k < n; k++) {
        acc += (int32_t)row[k] * (int32_t)v[k];
    }
    return acc;
}

/** One row's accumulator requantized and saturated to int16. */
static int32_t el_gru_part(const int8_t *row, const int8_t *v, int32_t n, int32_t bias,
                           const el_requant *rq)
{
    return el_sat16(el_mbqm(el_gru_dot(row, v, n, bias), rq->multiplier, rq->shift));
}

/** Q3.12 tanh: TFLite Micro's input scaling by 3, no shift. */
static int32_t el_gru_tanh(int32_t x)
{
    return el_tanh_s16_in32(x, 3, 0, 0);
}

el_status el_gru_s8_step(const el_gru_s8_params *params, const int8_t *input, int8_t *hidden,
                         int8_t *output, int32_t *scratch)
{
    const int32_t in_n = params->input_size;
    const int32_t h_n = params->hidden_size;
    const int32_t zp = params->hidden_zero_point;
    int32_t *const z = scratch;
    int32_t *const r = scratch + h_n;
    int8_t *const new_h = (int8_t *)(scratch + 2 * h_n);
    int8_t *const rh = new_h + 4 * ((h_n + 3) >> 2);
    int32_t j;

    if (in_n <= 0 || h_n <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    if (params->kind == EL_GRU_KIND_SIMPLE_RNN) {
        for (j = 0; j < h_n; j++) {
            const int32_t gx = el_gru_part(params->w_x + j * in_n, input, in_n,
                                           params->input_bias[j], &params->input_rq[j]);
            const int32_t gh = el_gru_part(params->w_h + j * h_n, hidden, h_n,
                                           params->recurrent_bias[j], &params->recurrent_rq[j]);
            const int32_t t = el_gru_tanh(el_sat16(gx + gh));
            const int32_t v = el_mbqm(t, params->hidden_rq.multiplier, params->hidden_rq.shift);
            new_h[j] = (int8_t)el_sat8(v + zp);
        }
    } else if (params->kind == EL_GRU_KIND_GRU) {
        /* z rows 0..H-1, r rows H..2H-1: sigmoid of the saturated sum of the two parts */
        for (j = 0; j < 2 * h_n; j++) {
            const int32_t gx = el_gru_part(params->w_x + j * in_n, input, in_n,
                                           params->input_bias[j], &params->input_rq[j]);
            const int32_t gh = el_gru_part(params->w_h + j * h_n, hidden, h_n,
                                           params->recurrent_bias[j], &params->recurrent_rq[j]);
            const int32_t g = el_sigmoid_s16_in32(el_sat16(gx + gh));
            if (j < h_n) {
                z[j] = g;
            } else {
                r[j - h_n] = g;
            }
        }
        if (!params->reset_after) {
            /* r x h in h's own quantization: |r (h - zp)| < |h - zp|, never saturates */
            for (j = 0; j < h_n; j++) {
                rh[j] = (int8_t)el_sat8(el_rdbp(r[j] * ((int32_t)hidden[j] - zp), 15) + zp);
            }
        }
        for (j = 0; j < h_n; j++) {
            const int32_t row = 2 * h_n + j;
            const int32_t gx = el_gru_part(params->w_x + row * in_n, input, in_n,
                                           params->input_bias[row], &params->input_rq[row]);
            const int32_t d = (int32_t)hidden[j] - zp;
            int32_t pre;
            int32_t n;
            int32_t acc;
            if (params->reset_after) {
                const int32_t ghn =
                    el_gru_part(params->w_h + row * h_n, hidden, h_n, params->recurrent_bias[row],
                                &params->recurrent_rq[row]);
                pre = el_sat16(gx + el_rdbp(r[j] * ghn, params->candidate_shift));
            } else {
                const int32_t ghn =
                    el_gru_part(params->w_h + row * h_n, rh, h_n, params->recurrent_bias[row],
                                &params->recurrent_rq[row]);
                pre = el_sat16(gx + ghn);
            }
            n = el_gru_tanh(pre);
            /* h' = z h + (1 - z) n in units of s_h 2^-15, one rounding shift to int8 */
            acc = z[j] * d + el_mbqm((EL_Q15_ONE - z[j]) * n, params->hidden_rq.multiplier,
                                     params->hidden_rq.shift);
            new_h[j] = (int8_t)el_sat8(el_rdbp(acc, 15) + zp);
        }
    } else {
        return EL_STATUS_ARG_ERROR;
    }
    for (j = 0; j < h_n; j++) {
        hidden[j] = new_h[j];
    }
    if (output != NULL) {
        if (params->output_rq.multiplier == 0) {
            for (j = 0; j < h_n; j++) {
                output[j] = hidden[j];
            }
        } else {
            for (j = 0; j < h_n; j++) {
                const int32_t v = el_mbqm((int32_t)hidden[j] - zp, params->output_rq.multiplier,
                                          params->output_rq.shift);
                output[j] = (int8_t)el_sat8(v + params->output_zero_point);
            }
        }
    }
    return EL_STATUS_SUCCESS;
}

el_status el_gru_s8(const el_gru_s8_params *params, const int8_t *input, int32_t time_steps,
                    int32_t return_sequences, int8_t *hidden, int8_t *output,
                    int32_t *scratch)
{
    int32_t t;
    if (time_steps <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (t = 0; t < time_steps; t++) {
        int8_t *out = NULL;
        el_status status;
        if (return_sequences) {
            out = output + t * params->hidden_size;
        } else if (t == time_steps - 1) {
            out = output;
        }
        status = el_gru_s8_step(params, input + t * params->input_size, hidden, out, scratch);
        if (status != EL_STATUS_SUCCESS) {
            return status;
        }
    }
    return EL_STATUS_SUCCESS;
}
