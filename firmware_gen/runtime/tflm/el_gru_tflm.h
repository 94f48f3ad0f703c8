/**
 * @file el_gru_tflm.h
 * @brief TFLite Micro registrations of edge-lstm's recurrent custom ops, EL_GRU and
 *        EL_SIMPLE_RNN (docs/integer_gru.md, docs/tflm.md).
 *
 * Add them to an op resolver beside the builtin ops, one resolver slot each:
 *
 *     const TFLMRegistration gru = el_tflm_register_gru();
 *     resolver.AddCustom("EL_GRU", &gru);  // copies the registration
 *     const TFLMRegistration rnn = el_tflm_register_simple_rnn();
 *     resolver.AddCustom("EL_SIMPLE_RNN", &rnn);
 *
 * The kernel (el_gru_tflm.cc) runs every time step with the C step function el_gru_s8_step()
 * of the native engine, so TFLM and the native engine share one copy of the arithmetic.
 */
#ifndef EL_GRU_TFLM_H
#define EL_GRU_TFLM_H

#include "tensorflow/lite/micro/micro_common.h"

/** @return the EL_GRU registration, by value as TFLM's Register_*() (AddCustom copies it). */
TFLMRegistration el_tflm_register_gru();

/** @return the EL_SIMPLE_RNN registration, by value (AddCustom copies it). */
TFLMRegistration el_tflm_register_simple_rnn();

#endif /* EL_GRU_TFLM_H */
