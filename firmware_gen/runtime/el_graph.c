/**
 * @file el_graph.c
 * @brief The walk of a whole-sequence model's operator table (el_graph.h): the input copied
 *        into the arena, each operator in order on arena offsets, the output copied out.
 */
#include "el_graph.h"

#include <string.h>

int el_graph_init(const el_graph *graph)
{
    int32_t i;

    for (i = 0; i < graph->op_count; i++) {
        const el_graph_op *op = &graph->ops[i];
        if (op->kernel == 0 || op->kernel->run == 0) {
            return EL_STATUS_ARG_ERROR;
        }
        if (op->kernel->buffer_size != 0 &&
            op->kernel->buffer_size(op->params) > graph->scratch_bytes) {
            return EL_GRAPH_SCRATCH_TOO_SMALL;
        }
    }
    el_graph_reset(graph);
    return 0;
}

void el_graph_reset(const el_graph *graph)
{
    graph->state->steps = 0;
    graph->state->done = 0;
}

/* Every operator once, in table order; the input must be in the arena already. */
static int el_graph_run(const el_graph *graph)
{
    int8_t *const arena = graph->arena;
    const el_graph_op *op = graph->ops;
    const el_graph_op *const end = op + graph->op_count;
    int status = 0;

    for (; op != end; op++) {
        const int8_t *in2 = op->const2 != 0 ? op->const2 : (op->in2 >= 0 ? arena + op->in2 : 0);
        status |= (int)op->kernel->run(op->params, arena + op->in1, in2, arena + op->out,
                                       graph->scratch);
    }
    graph->state->done = 1u;
    return status;
}

int el_graph_step(const el_graph *graph, const int8_t *x_t)
{
    const uint32_t steps = graph->state->steps;

    if (steps >= (uint32_t)graph->timesteps) {
        return EL_GRAPH_SEQUENCE_FULL;
    }
    memcpy(graph->arena + graph->input + steps * (uint32_t)graph->features, x_t,
           (size_t)graph->features);
    graph->state->steps = steps + 1u;
    graph->state->done = 0;
    return 0;
}

int el_graph_output(const el_graph *graph, int8_t *out)
{
    int status = 0;

    if (graph->state->steps < (uint32_t)graph->timesteps) {
        return EL_GRAPH_NEEDS_SEQUENCE;
    }
    if (!graph->state->done) {
        status = el_graph_run(graph);
    }
    memcpy(out, graph->arena + graph->output, (size_t)graph->output_bytes);
    return status;
}

int el_graph_invoke(const el_graph *graph, const int8_t *in, int8_t *out)
{
    memcpy(graph->arena + graph->input, in, (size_t)graph->timesteps * (size_t)graph->features);
    graph->state->steps = (uint32_t)graph->timesteps;
    graph->state->done = 0;
    return el_graph_output(graph, out);
}
