/**
 * @file model.h
 * @brief The header applications include: the model API (el_model.h) and its figures
 *        (model_config.h). Kept under this name so existing applications build unchanged.
 */
#ifndef EL_MODEL_API_MODEL_H
#define EL_MODEL_API_MODEL_H

#include "el_model.h"

#endif /* EL_MODEL_API_MODEL_H */
