/**
 * @file el_model.c
 * @brief el_model.h on the native engine: thin functions over the model's generated layer
 *        table (el_model_net, in model/model.c).
 *
 * The control flow is el_net.c's, shared by every model of an image; this file only binds the
 * API's names to one model's table, so a firmware holding several models compiles it once per
 * model with another name prefix.
 */
#include "el_model.h"

#include "el_net.h"

/** The model's layer table, generated into model/model.c. */
extern const el_net el_model_net;

const char el_model_sha256[65] = EL_MODEL_SHA256;
const char el_model_runtime[] = "native";

int el_model_init(void)
{
    return el_net_init(&el_model_net);
}

void el_model_reset(void)
{
    el_net_reset(&el_model_net);
}

int el_model_invoke(const int8_t *in, int8_t *out)
{
    return el_net_invoke(&el_model_net, in, out);
}

int el_model_step(const int8_t *x_t)
{
    return el_net_step(&el_model_net, x_t);
}

int el_model_output(int8_t *out)
{
    return el_net_output(&el_model_net, out);
}

uint32_t el_model_ram_bytes(void)
{
    return EL_MODEL_RAM_BYTES;
}
