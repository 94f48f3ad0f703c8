/**
 * @file el_graph_native_ops.c
 * @brief How el_graph.c calls the convolution, pooling and reduction kernels (one kernel per
 *        el_X_s8.c file, all of the form el_X_s8(params, input, output, scratch)): one
 *        el_graph_kernel each, so an image links only those its operator tables point to.
 */
#include "el_avg_pool_s8.h"
#include "el_conv_s8.h"
#include "el_depthwise_conv_s8.h"
#include "el_graph.h"
#include "el_max_pool_s8.h"
#include "el_mean_s8.h"
#include "el_reduce_max_s8.h"

/* One wrapper pair per kernel: run() and buffer_size() with the kernel's own params type. */
#define EL_GRAPH_UNARY_KERNEL(k)                                                                \
    static el_status el_graph_##k##_run(const void *params, const int8_t *in1,                  \
                                        const int8_t *in2, int8_t *out, int32_t *scratch)      \
    {                                                                                           \
        (void)in2;                                                                              \
        return el_##k##_s8((const el_##k##_s8_params *)params, in1, out, scratch);              \
    }                                                                                           \
    static int32_t el_graph_##k##_buffer_size(const void *params)                               \
    {                                                                                           \
        return el_##k##_s8_buffer_size((const el_##k##_s8_params *)params);                    \
    }                                                                                           \
    const el_graph_kernel el_graph_##k##_kernel = {el_graph_##k##_run, el_graph_##k##_buffer_size}

EL_GRAPH_UNARY_KERNEL(conv);
EL_GRAPH_UNARY_KERNEL(depthwise_conv);
EL_GRAPH_UNARY_KERNEL(max_pool);
EL_GRAPH_UNARY_KERNEL(avg_pool);
EL_GRAPH_UNARY_KERNEL(mean);
EL_GRAPH_UNARY_KERNEL(reduce_max);
