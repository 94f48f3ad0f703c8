/**
 * @file el_net.h
 * @brief A model of the native engine as data: the const layer table that el_net.c walks.
 *
 * The generator writes only data (weights, parameter structs, state buffers and one el_net
 * describing them); every control path (init, reset, step, output, invoke) is here and in
 * el_net.c, one copy for every model linked into an image. An el_net is const (flash); what
 * changes while the model runs (h, c, the step count, the sequence output) is reached through
 * its pointers.
 */
#ifndef EL_NET_H
#define EL_NET_H

#include <stdint.h>

#include "el_gru_s8.h"
#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** _Static_assert where the compiler is C11 or later; a negative array size under C99. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define EL_NET_STATIC_ASSERT(cond, name) _Static_assert(cond, #name)
#else
#define EL_NET_STATIC_ASSERT(cond, name) typedef char el_net_static_assert_##name[(cond) ? 1 : -1]
#endif

/** Status codes of the el_net_* functions beyond the kernels' el_status. */
#define EL_NET_SCRATCH_TOO_SMALL (-1) /**< a kernel needs more scratch than the net has */
#define EL_NET_SEQUENCE_FULL (-2)     /**< a sequence model got more than timesteps steps */

/**
 * The GRU / SimpleRNN kernels (el_gru_s8.h), reached through the layer table so that an image
 * whose models have no such layer links none of their code (the build drops unreferenced
 * sections).
 */
typedef struct {
    int32_t (*buffer_size)(const el_gru_s8_params *params);
    void (*reset)(const el_gru_s8_params *params, int8_t *hidden);
    el_status (*step)(const el_gru_s8_params *params, const int8_t *input, int8_t *hidden,
                      int8_t *output, int32_t *scratch);
} el_net_gru_kernels;

/** el_gru_s8's kernels (el_net_gru.c): what a table's GRU / SimpleRNN rows point to. */
extern const el_net_gru_kernels el_net_gru_s8;

/**
 * One recurrent layer: an LSTM (gru == 0) or a GRU / SimpleRNN (edge-lstm's own cells), its
 * constants (flash) and its state (RAM).
 */
typedef struct {
    const el_lstm_s8_params *params; /**< the LSTM's constants, or 0 for a GRU / SimpleRNN */
    int8_t *hidden;                  /**< h, hidden_size values */
    int16_t *cell;                   /**< c of an LSTM, hidden_size values; 0 otherwise */
    const el_gru_s8_params *gru;     /**< a GRU / SimpleRNN's constants, or 0 for an LSTM */
    const el_net_gru_kernels *gru_kernels; /**< &el_net_gru_s8 for a GRU / SimpleRNN, or 0 */
    int8_t *output;                  /**< what the next layer or the head reads: hidden, or
                                          a GRU's own buffer when its output is requantized */
} el_net_lstm;

/** The operators of the head, applied to the last LSTM layer's h. */
typedef enum {
    EL_NET_FULLY_CONNECTED = 0,
    EL_NET_SOFTMAX = 1
} el_net_op_kind;

/** One head operator: its kind and its constants. */
typedef struct {
    el_net_op_kind kind;
    union {
        const el_fully_connected_s8_params *fully_connected;
        const el_softmax_s8_params *softmax;
    } params;
} el_net_op;

/** What changes between calls, besides the layers' h and c. */
typedef struct {
    uint32_t steps; /**< steps taken since the last reset */
} el_net_state;

/** A whole model: stacked LSTM layers, then the head. */
typedef struct {
    int32_t timesteps;         /**< T of el_net_invoke() (and the bound of a sequence model) */
    int32_t features;          /**< F: int8 values of one time step */
    int32_t lstm_count;        /**< >= 1 */
    const el_net_lstm *lstm;   /**< [lstm_count], first layer first */
    int32_t op_count;          /**< >= 0 */
    const el_net_op *ops;      /**< [op_count] */
    int32_t step_output_bytes; /**< the head's output, or the last h without a head */
    int32_t sequence_output;   /**< 1: the head runs at every step into sequence[] */
    int8_t *sequence;          /**< [timesteps * step_output_bytes] when sequence_output */
    int32_t *scratch;          /**< shared kernel scratch, word aligned */
    int32_t scratch_bytes;
    int8_t *activations;       /**< [2][activation_bytes]: between head ops, or 0 */
    int32_t activation_bytes;
    el_net_state *state;
} el_net;

/**
 * @brief Check every kernel's scratch need (*_buffer_size()) against the net's, then reset.
 * @param[in] net  the model
 * @return 0, or EL_NET_SCRATCH_TOO_SMALL
 */
int el_net_init(const el_net *net);

/**
 * @brief Start a new independent sequence: h = zero point of h, c = 0, no steps taken.
 * @param[in] net  the model
 */
void el_net_reset(const el_net *net);

/**
 * @brief One time step through every LSTM layer (and the head, for a sequence model).
 * @param[in] net  the model
 * @param[in] x_t  net->features int8 values
 * @return 0, the kernels' status OR'ed, or EL_NET_SEQUENCE_FULL
 */
int el_net_step(const el_net *net, const int8_t *x_t);

/**
 * @brief The output for the steps so far: the head applied to the current state, or for a
 *        sequence model the outputs of all timesteps steps.
 * @param[in]  net  the model
 * @param[out] out  step_output_bytes (timesteps times that for a sequence model) values
 * @return 0, or the kernels' status OR'ed
 */
int el_net_output(const el_net *net, int8_t *out);

/**
 * @brief Reset, run net->timesteps steps of in, write the output.
 * @param[in]  net  the model
 * @param[in]  in   timesteps * features int8 values
 * @param[out] out  as el_net_output()
 * @return 0, or the kernels' status OR'ed
 */
int el_net_invoke(const el_net *net, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* EL_NET_H */
