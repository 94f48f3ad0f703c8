"""ADD, SUB, MUL, MAXIMUM and MINIMUM int8 with numpy broadcasting (Keras' Add, Subtract,
Multiply, Maximum, Minimum, and the Normalization layer, which converts to SUB and MUL by
constants)."""

from __future__ import annotations

import numpy as np

from quantize.fixedpoint import multiply_by_quantized_multiplier, wrap
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, operand, store, tflm_only
from quantize.op_params import add_sub_params, mul_params


def _operands(model: Model, op: Operator, env: Env) -> tuple[np.ndarray, np.ndarray]:
    rank = max(len(model.tensor(i).shape) for i in op.inputs[:2])
    a, b = (operand(model, env, i, rank).astype(np.int64) for i in op.inputs[:2])
    return a, b


def _store(model: Model, op: Operator, env: Env, y: np.ndarray) -> None:
    n = max(y.shape[0], 1)
    out_shape = model.tensor(op.outputs[0]).shape
    store(model, op, env, np.broadcast_to(y, (n, *y.shape[1:])).reshape((n, *out_shape)))


def add_sub(model: Model, op: Operator, env: Env, variant: str) -> None:
    """ADD and SUB: both inputs << 20, each rescaled by its own multiplier (<= 1/2), added or
    subtracted in int32, rescaled to the output."""
    tflm_only(op, variant)
    p = add_sub_params(model, op)
    a, b = _operands(model, op, env)
    sa = multiply_by_quantized_multiplier(
        (a + p.input1_offset) << 20, p.input1_multiplier, p.input1_shift
    )
    sb = multiply_by_quantized_multiplier(
        (b + p.input2_offset) << 20, p.input2_multiplier, p.input2_shift
    )
    raw = wrap(sa + sb if op.opcode == "ADD" else sa - sb, 32)
    y = multiply_by_quantized_multiplier(raw, p.output_multiplier, p.output_shift)
    y = np.clip(y + p.output_offset, p.activation_min, p.activation_max).astype(np.int8)
    _store(model, op, env, y)


def mul(model: Model, op: Operator, env: Env, variant: str) -> None:
    tflm_only(op, variant)
    p = mul_params(model, op)
    a, b = _operands(model, op, env)
    prod = (a - p.input1_zero_point) * (b - p.input2_zero_point)
    y = multiply_by_quantized_multiplier(prod, p.multiplier, p.shift) + p.output_zero_point
    y = np.clip(y, p.activation_min, p.activation_max).astype(np.int8)
    _store(model, op, env, y)


def maximum_minimum(model: Model, op: Operator, env: Env, variant: str) -> None:
    """The raw int8 values compared, as TFLM does (it checks no scale: the converter gives both
    inputs the output's quantization)."""
    a, b = _operands(model, op, env)
    y = np.maximum(a, b) if op.opcode == "MAXIMUM" else np.minimum(a, b)
    _store(model, op, env, y.astype(np.int8))
