"""SOFTMAX int8 -> int8 over the last axis (output scale 1/256, zero point -128)."""

from __future__ import annotations

from quantize.activations import softmax_int8
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, store
from quantize.op_params import softmax_op_params


def softmax(model: Model, op: Operator, env: Env, variant: str) -> None:
    softmax_op_params(model, op)  # refuses outputs that are not TFLite's int8 softmax output
    x = env[op.inputs[0]]
    beta = float(op.options.get("beta", 1.0))
    store(model, op, env, softmax_int8(x, model.tensor(op.inputs[0]).scale, beta, variant))
