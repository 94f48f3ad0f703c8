/**
 * @file el_model.c
 * @brief el_model.h on the native engine: thin functions over the model's generated layer
 *        table (el_model_net, in model/model.c), or, for a model that needs whole sequences
 *        (model_config.h defines EL_MODEL_WHOLE_SEQUENCE), over its operator table
 *        (el_model_graph, walked by el_graph.c).
 *
 * The control flow is el_net.c's, shared by every model of an image; this file only binds the
 * API's names to one model's table, so a firmware holding several models compiles it once per
 * model with another name prefix.
 */
#include "el_model.h"

#if defined(EL_MODEL_WHOLE_SEQUENCE) && EL_MODEL_WHOLE_SEQUENCE
/* A whole-sequence model (el_graph.h): its operator table, generated into model/model.c. */
#include "el_graph.h"

extern const el_graph el_model_graph;
#define EL_MODEL_TABLE el_model_graph
#define EL_MODEL_FN(fn) el_graph_##fn
#else
#include "el_net.h"

/** The model's layer table, generated into model/model.c. */
extern const el_net el_model_net;
#define EL_MODEL_TABLE el_model_net
#define EL_MODEL_FN(fn) el_net_##fn
#endif

const char el_model_sha256[65] = EL_MODEL_SHA256;
const char el_model_runtime[] = "native";

int el_model_init(void)
{
    return EL_MODEL_FN(init)(&EL_MODEL_TABLE);
}

void el_model_reset(void)
{
    EL_MODEL_FN(reset)(&EL_MODEL_TABLE);
}

int el_model_invoke(const int8_t *in, int8_t *out)
{
    return EL_MODEL_FN(invoke)(&EL_MODEL_TABLE, in, out);
}

int el_model_step(const int8_t *x_t)
{
    return EL_MODEL_FN(step)(&EL_MODEL_TABLE, x_t);
}

int el_model_output(int8_t *out)
{
    return EL_MODEL_FN(output)(&EL_MODEL_TABLE, out);
}

uint32_t el_model_ram_bytes(void)
{
    return EL_MODEL_RAM_BYTES;
}
