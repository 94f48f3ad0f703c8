/**
 * @file el_graph_kernels.c
 * @brief How el_graph.c calls each kernel: one el_graph_kernel per kind, whose run() turns the
 *        row's params back into the kernel's own struct. Each is its own const object (the build
 *        drops the ones no table points to, and the kernels they alone reach).
 */
#include <string.h>

#include "el_elementwise_s8.h"
#include "el_graph.h"
#include "el_nnfunctions.h"

/* --- LSTM over the whole sequence --------------------------------------------------------- */

static el_status el_graph_lstm_run(const void *params, const int8_t *in1, const int8_t *in2,
                                   int8_t *out, int32_t *scratch)
{
    const el_graph_lstm_params *p = (const el_graph_lstm_params *)params;
    const el_lstm_s8_params *lstm = p->params;
    const int32_t input_size = lstm->input_size;
    const size_t units = (size_t)lstm->hidden_size;
    int32_t status = 0;
    int32_t t;

    (void)in2;
    memset(p->hidden, lstm->hidden_zero_point, units);
    memset(p->cell, 0, units * sizeof(int16_t));
    for (t = 0; t < p->timesteps; t++) {
        status |= (int32_t)el_lstm_s8_step(lstm, in1 + t * input_size, p->hidden, p->cell,
                                           scratch);
        if (p->return_sequences) {
            memcpy(out + (size_t)t * units, p->hidden, units);
        }
    }
    if (!p->return_sequences) {
        memcpy(out, p->hidden, units);
    }
    return status != 0 ? EL_STATUS_ARG_ERROR : EL_STATUS_SUCCESS;
}

static int32_t el_graph_lstm_buffer_size(const void *params)
{
    return el_lstm_s8_buffer_size(((const el_graph_lstm_params *)params)->params);
}

const el_graph_kernel el_graph_lstm_kernel = {el_graph_lstm_run, el_graph_lstm_buffer_size};

/* --- row-wise kernels --------------------------------------------------------------------- */

static el_status el_graph_fc_run(const void *params, const int8_t *in1, const int8_t *in2,
                                 int8_t *out, int32_t *scratch)
{
    const el_graph_rows_params *p = (const el_graph_rows_params *)params;
    int32_t status = 0;
    int32_t r;

    (void)in2;
    for (r = 0; r < p->rows; r++) {
        status |= (int32_t)el_fully_connected_s8(
            (const el_fully_connected_s8_params *)p->params, in1 + r * p->input_size, scratch,
            out + r * p->output_size);
    }
    return status != 0 ? EL_STATUS_ARG_ERROR : EL_STATUS_SUCCESS;
}

static int32_t el_graph_fc_buffer_size(const void *params)
{
    const el_graph_rows_params *p = (const el_graph_rows_params *)params;
    return el_fully_connected_s8_buffer_size((const el_fully_connected_s8_params *)p->params);
}

const el_graph_kernel el_graph_fully_connected_kernel = {el_graph_fc_run,
                                                         el_graph_fc_buffer_size};

static el_status el_graph_softmax_run(const void *params, const int8_t *in1, const int8_t *in2,
                                      int8_t *out, int32_t *scratch)
{
    const el_graph_rows_params *p = (const el_graph_rows_params *)params;
    int32_t status = 0;
    int32_t r;

    (void)in2;
    (void)scratch;
    for (r = 0; r < p->rows; r++) {
        status |= (int32_t)el_softmax_s8((const el_softmax_s8_params *)p->params,
                                         in1 + r * p->input_size, out + r * p->output_size);
    }
    return status != 0 ? EL_STATUS_ARG_ERROR : EL_STATUS_SUCCESS;
}

static int32_t el_graph_softmax_buffer_size(const void *params)
{
    const el_graph_rows_params *p = (const el_graph_rows_params *)params;
    return el_softmax_s8_buffer_size((const el_softmax_s8_params *)p->params);
}

const el_graph_kernel el_graph_softmax_kernel = {el_graph_softmax_run,
                                                 el_graph_softmax_buffer_size};

/* --- the simple kernels (el_elementwise_s8.h) ------------------------------------------ */

static el_status el_graph_reverse_run(const void *params, const int8_t *in1, const int8_t *in2,
                                      int8_t *out, int32_t *scratch)
{
    (void)in2;
    (void)scratch;
    return el_reverse_s8((const el_reverse_s8_params *)params, in1, out);
}

const el_graph_kernel el_graph_reverse_kernel = {el_graph_reverse_run, 0};

static el_status el_graph_concatenation_run(const void *params, const int8_t *in1,
                                            const int8_t *in2, int8_t *out, int32_t *scratch)
{
    (void)scratch;
    return el_concatenation_s8((const el_concatenation_s8_params *)params, in1, in2, out);
}

const el_graph_kernel el_graph_concatenation_kernel = {el_graph_concatenation_run, 0};

static el_status el_graph_add_run(const void *params, const int8_t *in1, const int8_t *in2,
                                  int8_t *out, int32_t *scratch)
{
    (void)scratch;
    return el_add_s8((const el_add_s8_params *)params, in1, in2, out);
}

const el_graph_kernel el_graph_add_kernel = {el_graph_add_run, 0};

static el_status el_graph_mul_run(const void *params, const int8_t *in1, const int8_t *in2,
                                  int8_t *out, int32_t *scratch)
{
    (void)scratch;
    return el_mul_s8((const el_mul_s8_params *)params, in1, in2, out);
}

const el_graph_kernel el_graph_mul_kernel = {el_graph_mul_run, 0};

static el_status el_graph_logistic_run(const void *params, const int8_t *in1, const int8_t *in2,
                                       int8_t *out, int32_t *scratch)
{
    (void)in2;
    (void)scratch;
    return el_logistic_s8((const el_logistic_tanh_s8_params *)params, in1, out);
}

const el_graph_kernel el_graph_logistic_kernel = {el_graph_logistic_run, 0};

static el_status el_graph_tanh_run(const void *params, const int8_t *in1, const int8_t *in2,
                                   int8_t *out, int32_t *scratch)
{
    (void)in2;
    (void)scratch;
    return el_tanh_s8((const el_logistic_tanh_s8_params *)params, in1, out);
}

const el_graph_kernel el_graph_tanh_kernel = {el_graph_tanh_run, 0};

static el_status el_graph_requantize_run(const void *params, const int8_t *in1,
                                         const int8_t *in2, int8_t *out, int32_t *scratch)
{
    (void)in2;
    (void)scratch;
    return el_requantize_s8((const el_requantize_s8_params *)params, in1, out);
}

const el_graph_kernel el_graph_requantize_kernel = {el_graph_requantize_run, 0};
