"""CONCATENATION, SPLIT, PAD, TRANSPOSE and REVERSE_V2 on int8: bytes moved, never rescaled.

TFLM's int8 CONCATENATION requires every input to carry the output's scale and zero point; the
converter meets that by inserting QUANTIZE ops in front of inputs that differ, so the
requantization happens in ``activation.requantize``, not here. Bidirectional layers reverse
time with REVERSE_V2; ZeroPadding1D and causal convolutions pad with PAD (the output's zero
point, the quantized 0.0); UpSampling1D is a SPLIT and a CONCATENATION, Permute a TRANSPOSE.
"""

from __future__ import annotations

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, operand, store
from quantize.op_params import constant, same_quantization

# TFLM's concatenation.cc kMaxInputNum: Prepare fails above it (UpSampling1D over more than 5
# steps concatenates more than 10 slices)
CONCATENATION_MAX_INPUTS = 10


def concatenation(model: Model, op: Operator, env: Env, variant: str) -> None:
    if len(op.inputs) > CONCATENATION_MAX_INPUTS:
        raise UnsupportedModelError(
            f"CONCATENATION operator {op.index} has {len(op.inputs)} inputs; TFLite Micro "
            f"accepts at most {CONCATENATION_MAX_INPUTS}"
        )
    if int(op.options.get("fusedActivationFunction", 0)):
        raise UnsupportedModelError(f"CONCATENATION operator {op.index} has a fused activation")
    same_quantization(model, op, op.inputs)
    rank = len(model.tensor(op.outputs[0]).shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    parts = [operand(model, env, i, rank) for i in op.inputs]
    n = max(p.shape[0] for p in parts)
    parts = [np.broadcast_to(p, (n, *p.shape[1:])) for p in parts]
    store(model, op, env, np.concatenate(parts, axis=axis + 1).astype(np.int8))


def pad(model: Model, op: Operator, env: Env, variant: str) -> None:
    """The raw bytes, as TFLM copies them (it checks no input scale)."""
    x = env[op.inputs[0]]
    widths = constant(model, op.inputs[1], op).astype(np.int64).reshape(-1, 2)
    if np.any(widths < 0):
        raise UnsupportedModelError(f"PAD operator {op.index} has negative paddings")
    has_value = len(op.inputs) > 2 and op.inputs[2] >= 0
    value = (
        int(constant(model, op.inputs[2], op).reshape(-1)[0])
        if has_value
        else model.tensor(op.outputs[0]).zero_point
    )
    full = [(0, 0), *((int(a), int(b)) for a, b in widths)]
    store(model, op, env, np.pad(x, full, constant_values=value).astype(np.int8))


def reverse_v2(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    rank = x.ndim - 1
    axes = constant(model, op.inputs[1], op).astype(np.int64).reshape(-1)
    store(model, op, env, np.flip(x, axis=tuple(int(a) % rank + 1 for a in axes)))


def split(model: Model, op: Operator, env: Env, variant: str) -> None:
    """SPLIT into equal parts along a constant axis (input 0), one per output."""
    x = env[op.inputs[1]]
    rank = x.ndim - 1
    axis = int(constant(model, op.inputs[0], op).reshape(-1)[0]) % rank
    for out, part in zip(op.outputs, np.split(x, len(op.outputs), axis=axis + 1), strict=True):
        env[out] = part.reshape((part.shape[0], *model.tensor(out).shape))


def transpose(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    perm = constant(model, op.inputs[1], op).astype(np.int64).reshape(-1)
    store(model, op, env, np.transpose(x, (0, *(int(p) + 1 for p in perm))))
