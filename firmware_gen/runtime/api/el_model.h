/**
 * @file el_model.h
 * @brief The C API of an exported model, the same for the native engine and for TFLite Micro.
 *
 * The firmware app (and any application) calls only these functions and reads only the
 * EL_MODEL_* figures of model_config.h, which the export generates for the model: sizes,
 * input/output quantization, memory, the tool version and the model's sha256. The native
 * runtime implements the functions in el_model.c over the generated layer table, the TFLM
 * runtime in model_tflm.cc over tflite::MicroInterpreter.
 */
#ifndef EL_MODEL_H
#define EL_MODEL_H

#include <stdint.h>

#include "model_config.h"

/*
 * The name of the model's functions. An export with `--name NAME` defines EL_MODEL_NAME in its
 * model_config.h; the el_model_* names below then stand for NAME_* (zlib's Z_PREFIX does the
 * same), so el_model.c, the app and any code written against this header compile unchanged,
 * and two models with different names link into one image. Without a name nothing is renamed.
 */
#ifndef EL_MODEL_NAME
#define EL_MODEL_NAME el_model
#endif
#define EL_MODEL_PASTE_(a, b) a##b
#define EL_MODEL_PASTE(a, b) EL_MODEL_PASTE_(a, b)
/** NAME_suffix for the suffix _suffix, e.g. EL_MODEL_SYMBOL(_init) is wake_init. */
#define EL_MODEL_SYMBOL(suffix) EL_MODEL_PASTE(EL_MODEL_NAME, suffix)
#define el_model_sha256 EL_MODEL_SYMBOL(_sha256)
#define el_model_runtime EL_MODEL_SYMBOL(_runtime)
#define el_model_init EL_MODEL_SYMBOL(_init)
#define el_model_reset EL_MODEL_SYMBOL(_reset)
#define el_model_invoke EL_MODEL_SYMBOL(_invoke)
#define el_model_step EL_MODEL_SYMBOL(_step)
#define el_model_output EL_MODEL_SYMBOL(_output)
#define el_model_ram_bytes EL_MODEL_SYMBOL(_ram_bytes)

#ifdef __cplusplus
extern "C" {
#endif

extern const char el_model_sha256[65]; /**< hex sha256 of the .tflite (EL_MODEL_SHA256) */
extern const char el_model_runtime[];  /**< "native" or "tflm" (EL_MODEL_RUNTIME) */

/**
 * @brief Prepare the model (native: check the kernels' scratch; TFLM: build the interpreter
 *        and allocate the arena) and reset it.
 * @return 0 on success
 */
int el_model_init(void);

/** @brief Start a new independent sequence: h = zero point of h, c = 0, no steps taken. */
void el_model_reset(void);

/**
 * @brief Reset, run all EL_MODEL_TIMESTEPS steps of in, write the output.
 * @param[in]  in   EL_MODEL_INPUT_BYTES int8 values, time step after time step
 * @param[out] out  EL_MODEL_OUTPUT_BYTES int8 values
 * @return 0 on success
 */
int el_model_invoke(const int8_t *in, int8_t *out);

/**
 * @brief One time step of the streaming API. The native engine runs it through every layer
 *        at once; TFLM, whose fused graph runs whole sequences, keeps it until
 *        el_model_output().
 * @param[in] x_t  EL_MODEL_FEATURES int8 values
 * @return 0 on success, -2 past EL_MODEL_TIMESTEPS steps (sequence models, TFLM)
 */
int el_model_step(const int8_t *x_t);

/**
 * @brief The output for the steps so far: the head applied to the current state (for a
 *        sequence model, the outputs of the steps taken). TFLM gives it only once all
 *        EL_MODEL_TIMESTEPS steps are in (-3 before).
 * @param[out] out  EL_MODEL_OUTPUT_BYTES int8 values
 * @return 0 on success
 */
int el_model_output(int8_t *out);

/** @brief RAM of the model: state + scratch (native), arena + step buffer (TFLM). */
uint32_t el_model_ram_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* EL_MODEL_H */
