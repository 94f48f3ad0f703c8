/**
 * @file el_net_gru.c
 * @brief el_gru_s8's kernels as the layer table reaches them (see el_net_gru_kernels): only a
 *        model with a GRU or SimpleRNN layer refers to this table, so only its image links them.
 */
#include "el_net.h"

const el_net_gru_kernels el_net_gru_s8 = {
    .buffer_size = el_gru_s8_buffer_size,
    .reset = el_gru_s8_reset,
    .step = el_gru_s8_step,
};
