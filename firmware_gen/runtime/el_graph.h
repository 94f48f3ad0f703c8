/**
 * @file el_graph.h
 * @brief The native engine's whole-sequence mode: a const table of operators over one int8
 *        arena, for models whose layers need the whole sequence (Bidirectional LSTMs, Conv1D and
 *        pooling front ends, global pooling, element-wise and activation layers).
 *
 * The generator plans everything at export time (quantize -> firmware_gen/native.py): which
 * kernel each operator runs, its constant params struct, and where in the arena each
 * intermediate tensor lives (a lifetime-based planner: tensors whose lives do not overlap share
 * bytes; reshapes and the last-step slice are views). The arena's size is known at compile time
 * and _Static_assert'ed. The walk below has no model-specific code: each row reaches its kernel
 * through a small const table of functions (el_graph_kernels.c), so an image links only the
 * kernels its models use.
 *
 * Streaming: a whole-sequence model cannot produce an output before its last step (its
 * backward direction starts there), so el_graph_step() buffers x_t into the arena's input
 * tensor and el_graph_output() runs the graph once all timesteps steps are in (the same
 * contract as the TFLM runtime's el_model_step()).
 */
#ifndef EL_GRAPH_H
#define EL_GRAPH_H

#include <stdint.h>

#include "el_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes of el_graph_* beyond the kernels' el_status (el_net.h uses -1 and -2 alike). */
#define EL_GRAPH_SCRATCH_TOO_SMALL (-1) /**< a kernel needs more scratch than the graph has */
#define EL_GRAPH_SEQUENCE_FULL (-2)     /**< more than timesteps calls of el_graph_step() */
#define EL_GRAPH_NEEDS_SEQUENCE (-3)    /**< el_graph_output() before timesteps steps */

/** What an operator row computes (for init's checks and for reading a table in a debugger). */
typedef enum {
    EL_GRAPH_LSTM = 0,            /**< UNIDIRECTIONAL_SEQUENCE_LSTM over the whole sequence */
    EL_GRAPH_FULLY_CONNECTED = 1, /**< FULLY_CONNECTED, row by row */
    EL_GRAPH_SOFTMAX = 2,         /**< SOFTMAX, row by row */
    EL_GRAPH_REVERSE = 3,         /**< REVERSE_V2 */
    EL_GRAPH_CONCATENATION = 4,   /**< CONCATENATION of two inputs */
    EL_GRAPH_ADD = 5,             /**< ADD or SUB */
    EL_GRAPH_MUL = 6,             /**< MUL */
    EL_GRAPH_LOGISTIC = 7,        /**< LOGISTIC */
    EL_GRAPH_TANH = 8,            /**< TANH */
    EL_GRAPH_REQUANTIZE = 9,      /**< QUANTIZE int8 -> int8 */
    EL_GRAPH_CONV = 10,           /**< CONV_2D (el_conv_s8) */
    EL_GRAPH_DEPTHWISE_CONV = 11, /**< DEPTHWISE_CONV_2D (el_depthwise_conv_s8) */
    EL_GRAPH_MAX_POOL = 12,       /**< MAX_POOL_2D (el_max_pool_s8) */
    EL_GRAPH_AVG_POOL = 13,       /**< AVERAGE_POOL_2D (el_avg_pool_s8) */
    EL_GRAPH_MEAN = 14,           /**< MEAN (el_mean_s8) */
    EL_GRAPH_REDUCE_MAX = 15      /**< REDUCE_MAX (el_reduce_max_s8) */
} el_graph_op_kind;

/**
 * How the walk calls one kind of kernel: run() casts params back to the kernel's own struct.
 * in2 is 0 for one-input kernels.
 */
typedef struct {
    el_status (*run)(const void *params, const int8_t *in1, const int8_t *in2, int8_t *out,
                     int32_t *scratch);
    int32_t (*buffer_size)(const void *params);
} el_graph_kernel;

/**
 * An LSTM over the whole sequence (the params of an EL_GRAPH_LSTM row): h = zp_h and c = 0,
 * then timesteps steps of the kernel el_lstm_s8_step() that the streaming mode runs too.
 */
typedef struct {
    const el_lstm_s8_params *params; /**< the layer's constants */
    int8_t *hidden;                  /**< h, hidden_size values (RAM) */
    int16_t *cell;                   /**< c, hidden_size values (RAM) */
    int32_t timesteps;               /**< T */
    int32_t return_sequences;        /**< 1: out is [T][H]; 0: out is the last h, [H] */
} el_graph_lstm_params;

/** A row-wise kernel (FULLY_CONNECTED, SOFTMAX) applied to rows rows of its input. */
typedef struct {
    const void *params;  /**< el_fully_connected_s8_params or el_softmax_s8_params */
    int32_t rows;        /**< >= 1 */
    int32_t input_size;  /**< bytes per input row */
    int32_t output_size; /**< bytes per output row */
} el_graph_rows_params;

/** One operator: its kernel, its constants and where its tensors are. */
typedef struct {
    el_graph_op_kind kind;
    const el_graph_kernel *kernel;
    const void *params;   /**< the kernel's own const params struct */
    int32_t in1;          /**< arena offset of the first input */
    int32_t in2;          /**< arena offset of the second input, or -1 */
    const int8_t *const2; /**< the second input when it is a constant (flash), or 0 */
    int32_t out;          /**< arena offset of the output */
} el_graph_op;

/** What changes between calls. */
typedef struct {
    uint32_t steps; /**< el_graph_step() calls since the last reset */
    uint32_t done;  /**< 1: the graph ran on the buffered steps; the output is in the arena */
} el_graph_state;

/** A whole-sequence model. */
typedef struct {
    int32_t timesteps;        /**< T */
    int32_t features;         /**< F */
    int32_t op_count;
    const el_graph_op *ops;   /**< [op_count], in execution order */
    int8_t *arena;            /**< every activation tensor, at the offsets of the ops */
    int32_t arena_bytes;
    int32_t input;            /**< arena offset of the [T][F] input */
    int32_t output;           /**< arena offset of the output */
    int32_t output_bytes;
    int32_t *scratch;         /**< shared kernel scratch, word aligned */
    int32_t scratch_bytes;
    el_graph_state *state;
} el_graph;

/**
 * @brief Check every kernel's scratch need against the graph's, then reset.
 * @param[in] graph  the model
 * @return 0, EL_GRAPH_SCRATCH_TOO_SMALL, or EL_STATUS_ARG_ERROR for a row without a kernel
 */
int el_graph_init(const el_graph *graph);

/** @brief Start a new sequence: no steps buffered. @param[in] graph the model */
void el_graph_reset(const el_graph *graph);

/**
 * @brief Buffer one time step.
 * @param[in] graph  the model
 * @param[in] x_t    features int8 values
 * @return 0, or EL_GRAPH_SEQUENCE_FULL past timesteps steps
 */
int el_graph_step(const el_graph *graph, const int8_t *x_t);

/**
 * @brief The output of the buffered sequence, running the graph on the first call after the
 *        last step.
 * @param[in]  graph  the model
 * @param[out] out    output_bytes values
 * @return 0, the kernels' status OR'ed, or EL_GRAPH_NEEDS_SEQUENCE before timesteps steps
 */
int el_graph_output(const el_graph *graph, int8_t *out);

/**
 * @brief Run the graph on a whole sequence.
 * @param[in]  graph  the model
 * @param[in]  in     timesteps * features int8 values
 * @param[out] out    output_bytes values
 * @return 0, or the kernels' status OR'ed
 */
int el_graph_invoke(const el_graph *graph, const int8_t *in, int8_t *out);

/** The kernels the generated tables point to (el_graph_kernels.c). */
extern const el_graph_kernel el_graph_lstm_kernel;
extern const el_graph_kernel el_graph_fully_connected_kernel;
extern const el_graph_kernel el_graph_softmax_kernel;
extern const el_graph_kernel el_graph_reverse_kernel;
extern const el_graph_kernel el_graph_concatenation_kernel;
extern const el_graph_kernel el_graph_add_kernel;
extern const el_graph_kernel el_graph_mul_kernel;
extern const el_graph_kernel el_graph_logistic_kernel;
extern const el_graph_kernel el_graph_tanh_kernel;
extern const el_graph_kernel el_graph_requantize_kernel;
/* the convolution, pooling and reduction kernels (el_graph_native_ops.c) */
extern const el_graph_kernel el_graph_conv_kernel;
extern const el_graph_kernel el_graph_depthwise_conv_kernel;
extern const el_graph_kernel el_graph_max_pool_kernel;
extern const el_graph_kernel el_graph_avg_pool_kernel;
extern const el_graph_kernel el_graph_mean_kernel;
extern const el_graph_kernel el_graph_reduce_max_kernel;

#ifdef __cplusplus
}
#endif

#endif /* EL_GRAPH_H */
