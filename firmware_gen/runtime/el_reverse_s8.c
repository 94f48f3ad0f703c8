/**
 * @file el_reverse_s8.c
 * @brief int8 REVERSE_V2 of one axis (a Bidirectional layer's backward direction reads the
 *        sequence reversed in time): bytes moved, never rescaled, as TFLite Micro does.
 */
#include <string.h>

#include "el_elementwise_s8.h"

el_status el_reverse_s8(const el_reverse_s8_params *params, const int8_t *input, int8_t *output)
{
    const int32_t axis = params->axis;
    const size_t inner = (size_t)params->inner;
    int32_t o;
    int32_t i;

    if (params->outer <= 0 || axis <= 0 || params->inner <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (o = 0; o < params->outer; o++) {
        const int8_t *src = input + (size_t)o * (size_t)axis * inner;
        int8_t *dst = output + (size_t)o * (size_t)axis * inner;
        for (i = 0; i < axis; i++) {
            memcpy(dst + (size_t)(axis - 1 - i) * inner, src + (size_t)i * inner, inner);
        }
    }
    return EL_STATUS_SUCCESS;
}

int32_t el_reverse_s8_buffer_size(const el_reverse_s8_params *params)
{
    (void)params;
    return 0;
}
