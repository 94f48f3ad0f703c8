"""FULLY_CONNECTED int8 x int8 -> int8 (per-tensor or per-channel weights), any leading rows."""

from __future__ import annotations

import numpy as np

from quantize.fixedpoint import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_half_up,
)
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, matmul_exact, store
from quantize.op_params import fully_connected_params


def fully_connected(model: Model, op: Operator, env: Env, variant: str) -> None:
    p = fully_connected_params(model, op, variant)
    x = env[op.inputs[0]]
    rows = x.reshape(-1, p.input_size)
    acc = matmul_exact(rows.astype(np.int64) - p.input_zero_point, p.weights) + p.bias
    if variant == "litert":
        # LiteRT's optimized int8 FULLY_CONNECTED goes through ruy, which rounds once
        y = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift, single_rounding=True)
    elif variant == "tflite-runtime":
        # the older ruy in tflite-runtime 2.14: two roundings, the shift rounding ties up
        y = multiply_by_quantized_multiplier_half_up(acc, p.multiplier, p.shift)
    else:
        y = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift)
    y = np.clip(y + p.output_zero_point, p.activation_min, p.activation_max).astype(np.int8)
    store(model, op, env, y.reshape(x.shape[0], -1))
