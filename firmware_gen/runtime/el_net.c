/**
 * @file el_net.c
 * @brief The control flow of the native engine: a walk over a model's const layer table.
 *
 * One time step runs through all stacked LSTM layers before the next one starts (a stacked
 * LSTM is causal, so interleaving the layers gives the integers of running each layer over
 * the whole sequence): the RAM is the layers' state plus one shared scratch buffer whatever
 * the sequence length, and el_net_step() serves a stream sample by sample.
 */
#include "el_net.h"

#include <string.h>

#include "el_nnfunctions.h"

int el_net_init(const el_net *net)
{
    int32_t i;

    for (i = 0; i < net->lstm_count; i++) {
        const el_net_lstm *layer = &net->lstm[i];
        const int32_t need = layer->gru != 0 ? layer->gru_kernels->buffer_size(layer->gru)
                                             : el_lstm_s8_buffer_size(layer->params);
        if (need > net->scratch_bytes) {
            return EL_NET_SCRATCH_TOO_SMALL;
        }
    }
    for (i = 0; i < net->op_count; i++) {
        const el_net_op *op = &net->ops[i];
        int32_t need = 0;
        switch (op->kind) {
        case EL_NET_FULLY_CONNECTED:
            need = el_fully_connected_s8_buffer_size(op->params.fully_connected);
            break;
        case EL_NET_SOFTMAX:
            need = el_softmax_s8_buffer_size(op->params.softmax);
            break;
        default:
            return EL_STATUS_ARG_ERROR;
        }
        if (need > net->scratch_bytes) {
            return EL_NET_SCRATCH_TOO_SMALL;
        }
    }
    el_net_reset(net);
    return 0;
}

void el_net_reset(const el_net *net)
{
    int32_t i;

    for (i = 0; i < net->lstm_count; i++) {
        const el_net_lstm *layer = &net->lstm[i];
        if (layer->gru != 0) {
            layer->gru_kernels->reset(layer->gru, layer->hidden);
        } else {
            const size_t units = (size_t)layer->params->hidden_size;
            memset(layer->hidden, layer->params->hidden_zero_point, units);
            memset(layer->cell, 0, units * sizeof(int16_t));
        }
    }
    net->state->steps = 0;
}

/* The head applied to the last layer's h, into out; intermediate results alternate between
 * the two activation buffers. */
static int el_net_head(const el_net *net, int8_t *out)
{
    const el_net_lstm *last = &net->lstm[net->lstm_count - 1];
    const int8_t *in = last->output;
    int status = 0;
    int32_t i;

    if (net->op_count == 0) {
        memcpy(out, in, (size_t)net->step_output_bytes);
        return 0;
    }
    for (i = 0; i < net->op_count; i++) {
        const el_net_op *op = &net->ops[i];
        int8_t *dst = i == net->op_count - 1 ? out
                                             : net->activations + (i & 1) * net->activation_bytes;
        switch (op->kind) {
        case EL_NET_FULLY_CONNECTED:
            status |= (int)el_fully_connected_s8(op->params.fully_connected, in, net->scratch, dst);
            break;
        case EL_NET_SOFTMAX:
            status |= (int)el_softmax_s8(op->params.softmax, in, dst);
            break;
        default:
            return EL_STATUS_ARG_ERROR;
        }
        in = dst;
    }
    return status;
}

/* One time step through the layers [layer, end) (never empty), its status OR'ed into status.
 * Inline, with the table's fields passed in registers: el_net_invoke() runs it T times, and
 * re-reading the table around every kernel call (which may write any memory, as far as the
 * compiler knows) would cost instructions per step. */
static inline int el_net_layers(const el_net_lstm *layer, const el_net_lstm *end,
                                int32_t *scratch, const int8_t *x_t, int status)
{
    do {
        if (layer->gru == 0) {
            status |= (int)el_lstm_s8_step(layer->params, x_t, layer->hidden, layer->cell, scratch);
        } else {
            int8_t *requantized = layer->output != layer->hidden ? layer->output : 0;
            status |= (int)layer->gru_kernels->step(layer->gru, x_t, layer->hidden, requantized,
                                                    scratch);
        }
        x_t = layer->output;
    } while (++layer != end);
    return status;
}

int el_net_step(const el_net *net, const int8_t *x_t)
{
    const uint32_t steps = net->state->steps;
    int status;

    if (net->sequence_output && steps >= (uint32_t)net->timesteps) {
        return EL_NET_SEQUENCE_FULL;
    }
    status = el_net_layers(net->lstm, net->lstm + net->lstm_count, net->scratch, x_t, 0);
    if (net->sequence_output) {
        status |= el_net_head(net, net->sequence + steps * (uint32_t)net->step_output_bytes);
    }
    net->state->steps = steps + 1u;
    return status;
}

int el_net_output(const el_net *net, int8_t *out)
{
    if (net->sequence_output) {
        memcpy(out, net->sequence, (size_t)net->timesteps * (size_t)net->step_output_bytes);
        return 0;
    }
    return el_net_head(net, out);
}

/* T steps as el_net_step() would run them. A model without a sequence output has the fast loop:
 * no bound check or counter per step, the table's fields in registers. */
int el_net_invoke(const el_net *net, const int8_t *in, int8_t *out)
{
    const int32_t features = net->features;
    const int8_t *const in_end = in + net->timesteps * features;
    int status = 0;

    el_net_reset(net);
    if (net->sequence_output) {
        for (; in != in_end; in += features) {
            status |= el_net_step(net, in);
        }
    } else {
        const el_net_lstm *const first = net->lstm;
        const el_net_lstm *const end = first + net->lstm_count;
        int32_t *const scratch = net->scratch;
        for (; in != in_end; in += features) {
            status = el_net_layers(first, end, scratch, in, status);
        }
        net->state->steps = (uint32_t)net->timesteps;
    }
    return status | el_net_output(net, out);
}
