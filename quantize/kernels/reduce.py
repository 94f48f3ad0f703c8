"""MEAN and REDUCE_MAX int8 over constant axes (GlobalAveragePooling1D, GlobalMaxPooling1D)."""

from __future__ import annotations

import numpy as np

from quantize.fixedpoint import multiply_by_quantized_multiplier, wrap
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, store, tflm_only
from quantize.op_params import mean_params, reduce_axes, same_quantization


def mean(model: Model, op: Operator, env: Env, variant: str) -> None:
    """One requantization for every scale pair: TFLM has no separate same-scale path (the
    same scale is the multiplier 2^30 with shift 1, folded with 1/n like any other)."""
    tflm_only(op, variant)
    p = mean_params(model, op)
    x = env[op.inputs[0]]
    total = x.astype(np.int64).sum(axis=tuple(a + 1 for a in p.axes))
    shifted = wrap(total - p.input_zero_point * p.count, 32)
    y = multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift) + p.output_zero_point
    store(model, op, env, np.clip(y, -128, 127).astype(np.int8))


def reduce_max(model: Model, op: Operator, env: Env, variant: str) -> None:
    same_quantization(model, op, (op.inputs[0],))
    x = env[op.inputs[0]]
    axes = reduce_axes(model, op)
    store(model, op, env, x.max(axis=tuple(a + 1 for a in axes)))
