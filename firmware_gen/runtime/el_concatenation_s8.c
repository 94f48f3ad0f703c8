/**
 * @file el_concatenation_s8.c
 * @brief int8 CONCATENATION of two inputs along one axis (a Bidirectional layer's "concat"
 *        merge). TFLite Micro's int8 kernel requires each input to carry the output's scale and
 *        zero point (the generator checks it); a differing input is rescaled by the QUANTIZE the
 *        converter puts in front of it (el_requantize_s8.c), so this kernel only moves bytes.
 */
#include <string.h>

#include "el_elementwise_s8.h"

el_status el_concatenation_s8(const el_concatenation_s8_params *params, const int8_t *input1,
                              const int8_t *input2, int8_t *output)
{
    const size_t inner1 = (size_t)params->inner1;
    const size_t inner2 = (size_t)params->inner2;
    int32_t o;

    if (params->outer <= 0 || params->inner1 <= 0 || params->inner2 <= 0) {
        return EL_STATUS_ARG_ERROR;
    }
    for (o = 0; o < params->outer; o++) {
        memcpy(output, input1 + (size_t)o * inner1, inner1);
        memcpy(output + inner1, input2 + (size_t)o * inner2, inner2);
        output += inner1 + inner2;
    }
    return EL_STATUS_SUCCESS;
}

int32_t el_concatenation_s8_buffer_size(const el_concatenation_s8_params *params)
{
    (void)params;
    return 0;
}
