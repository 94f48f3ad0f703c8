"""Standalone int8 activations and requantizations: LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU,
QUANTIZE (int8 -> int8) and DEQUANTIZE (int8 -> float32)."""

from __future__ import annotations

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.fixedpoint import (
    gemmlowp_logistic,
    gemmlowp_tanh,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
)
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, store, tflm_only
from quantize.op_params import (
    LOGISTIC_TANH_INPUT_INTEGER_BITS,
    leaky_relu_params,
    logistic_tanh_params,
    relu6_bounds,
    requantize_params,
)


def logistic_tanh(model: Model, op: Operator, env: Env, variant: str) -> None:
    """TFLM's int8 LOGISTIC and TANH: no table, gemmlowp's Q4.27 fixed-point functions.

    Inputs beyond the radius saturate without computing (their rescaled value would not fit
    Q4.27). LOGISTIC's Q0.31 result becomes Q0.8 around the zero point -128 (scale 1/256);
    TANH's becomes Q0.7 with zero point 0 (scale 1/128).
    """
    tflm_only(op, variant)
    p = logistic_tanh_params(model, op)
    x = env[op.inputs[0]].astype(np.int64) - p.input_zero_point
    inside = np.abs(x) < p.input_range_radius
    q4 = multiply_by_quantized_multiplier(
        np.where(inside, x, 0), p.input_multiplier, p.input_left_shift
    )
    bits = LOGISTIC_TANH_INPUT_INTEGER_BITS
    if op.opcode == "LOGISTIC":
        y = rounding_divide_by_pot(gemmlowp_logistic(q4, bits, 32), 31 - 8) - 128
    else:
        y = rounding_divide_by_pot(gemmlowp_tanh(q4, bits, 32), 31 - 7)
    y = np.where(inside, y, np.where(x > 0, 127, -128))
    store(model, op, env, np.clip(y, -128, 127).astype(np.int8))


def requantize(model: Model, op: Operator, env: Env, variant: str) -> None:
    """QUANTIZE int8 -> int8 (the converter's rescale in front of a CONCATENATION) and RELU:
    clamp(MBQM(x - zp_x, m, s) + zp_y)."""
    x_t = model.tensor(op.inputs[0])
    if op.opcode == "QUANTIZE" and x_t.dtype != "int8":
        raise UnsupportedModelError(
            f"QUANTIZE operator {op.index} reads {x_t.dtype}; only int8 -> int8 is supported"
        )
    tflm_only(op, variant)
    p = requantize_params(model, op)
    x = env[op.inputs[0]].astype(np.int64) - p.input_zero_point
    y = multiply_by_quantized_multiplier(x, p.multiplier, p.shift) + p.output_zero_point
    store(model, op, env, np.clip(y, p.activation_min, p.activation_max).astype(np.int8))


def relu6(model: Model, op: Operator, env: Env, variant: str) -> None:
    """RELU6 int8 clamps the raw input between its own zero and six: no rescaling."""
    lo, hi = relu6_bounds(model, op)
    store(model, op, env, np.clip(env[op.inputs[0]], lo, hi).astype(np.int8))


def dequantize(model: Model, op: Operator, env: Env, variant: str) -> None:
    """DEQUANTIZE int8 -> float32: float(double(s) * (x - zp)), the product in double."""
    x_t = model.tensor(op.inputs[0])
    if x_t.dtype != "int8" or x_t.quant is None or x_t.quant.per_channel:
        raise UnsupportedModelError(f"DEQUANTIZE operator {op.index}: the input is not int8")
    scale = float(np.float32(x_t.scale))
    x = env[op.inputs[0]].astype(np.int64) - x_t.zero_point
    store(model, op, env, (scale * x.astype(np.float64)).astype(np.float32))


def leaky_relu(model: Model, op: Operator, env: Env, variant: str) -> None:
    tflm_only(op, variant)
    p = leaky_relu_params(model, op)
    x = env[op.inputs[0]].astype(np.int64) - p.input_zero_point
    y = np.where(
        x >= 0,
        multiply_by_quantized_multiplier(x, p.identity_multiplier, p.identity_shift),
        multiply_by_quantized_multiplier(x, p.alpha_multiplier, p.alpha_shift),
    )
    store(model, op, env, np.clip(y + p.output_zero_point, -128, 127).astype(np.int8))
