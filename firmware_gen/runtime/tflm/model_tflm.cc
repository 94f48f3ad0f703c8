/**
 * @file model_tflm.cc
 * @brief el_model.h on tflite::MicroInterpreter: a TFLM firmware answers the same serial
 *        protocol as a native one, so the same validation runs against both.
 *
 * Everything per model comes from generated headers: the figures and sha256 from
 * model_config.h, the flatbuffer from model_data.h, the op resolver from op_resolver.h and the
 * arena size from arena.h. This file is the same for every model.
 */
#include <stdint.h>
#include <string.h>

#include <new>

#include "arena.h"
#include "el_model.h"
#include "model_data.h"
#include "op_resolver.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"

const char el_model_sha256[65] = EL_MODEL_SHA256;
const char el_model_runtime[] = "tflm";

namespace {

/* Placement storage instead of static objects: bare-metal startup code need not run C++
 * constructors, and el_model_init() decides when the interpreter is built. */
alignas(16) uint8_t el_arena[EL_TFLM_ARENA_BYTES];
alignas(ElOpResolver) unsigned char el_resolver_storage[sizeof(ElOpResolver)];
alignas(tflite::MicroInterpreter) unsigned char el_interpreter_storage[sizeof(
    tflite::MicroInterpreter)];
tflite::MicroInterpreter *el_interpreter = nullptr;
int8_t el_steps_in[EL_MODEL_INPUT_BYTES];
uint32_t el_steps = 0;

int el_run(const int8_t *in, int8_t *out)
{
    if (el_interpreter == nullptr) {
        return -1;
    }
    if (el_interpreter->Reset() != kTfLiteOk) {
        return -5;
    }
    memcpy(el_interpreter->input(0)->data.int8, in, EL_MODEL_INPUT_BYTES);
    if (el_interpreter->Invoke() != kTfLiteOk) {
        return -6;
    }
    memcpy(out, el_interpreter->output(0)->data.int8, EL_MODEL_OUTPUT_BYTES);
    return 0;
}

}  // namespace

extern "C" int el_model_init(void)
{
    if (el_interpreter != nullptr) {
        return 0;
    }
    const tflite::Model *model = tflite::GetModel(g_model_data);
    if (model->version() != TFLITE_SCHEMA_VERSION) {
        return -1;
    }
    ElOpResolver *resolver = new (el_resolver_storage) ElOpResolver();
    if (el_register_ops(*resolver) != kTfLiteOk) {
        return -2;
    }
    tflite::MicroInterpreter *interpreter = new (el_interpreter_storage)
        tflite::MicroInterpreter(model, *resolver, el_arena, sizeof(el_arena));
    if (interpreter->AllocateTensors() != kTfLiteOk) {
        return -3;
    }
    TfLiteTensor *input = interpreter->input(0);
    TfLiteTensor *output = interpreter->output(0);
    if (input == nullptr || output == nullptr || input->type != kTfLiteInt8 ||
        output->type != kTfLiteInt8 || input->bytes != EL_MODEL_INPUT_BYTES ||
        output->bytes != EL_MODEL_OUTPUT_BYTES) {
        return -4;
    }
    el_interpreter = interpreter;
    el_model_reset();
    return 0;
}

extern "C" void el_model_reset(void)
{
    if (el_interpreter != nullptr) {
        (void)el_interpreter->Reset();
    }
    el_steps = 0;
}

extern "C" int el_model_invoke(const int8_t *in, int8_t *out)
{
    el_steps = 0;
    int status = el_run(in, out);
    if (status == 0) {
        memcpy(el_steps_in, in, EL_MODEL_INPUT_BYTES);
        el_steps = EL_MODEL_TIMESTEPS;
    }
    return status;
}

/* The fused TFLM graph runs whole sequences: steps are kept until el_model_output(). */
extern "C" int el_model_step(const int8_t *x_t)
{
    if (el_steps >= EL_MODEL_TIMESTEPS) {
        return -2;
    }
    memcpy(el_steps_in + el_steps * EL_MODEL_FEATURES, x_t, EL_MODEL_FEATURES);
    el_steps++;
    return 0;
}

extern "C" int el_model_output(int8_t *out)
{
    if (el_steps != EL_MODEL_TIMESTEPS) {
        return -3;
    }
    return el_run(el_steps_in, out);
}

extern "C" uint32_t el_model_ram_bytes(void)
{
    return EL_MODEL_RAM_BYTES;
}
