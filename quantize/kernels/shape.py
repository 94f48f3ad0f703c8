"""Ops that only move bytes: RESHAPE, SQUEEZE, EXPAND_DIMS, STRIDED_SLICE."""

from __future__ import annotations

from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, store
from quantize.op_params import constant


def reshape(model: Model, op: Operator, env: Env, variant: str) -> None:
    """RESHAPE, SQUEEZE and EXPAND_DIMS: the same bytes in the output's shape."""
    store(model, op, env, env[op.inputs[0]])


def strided_slice(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    begin = constant(model, op.inputs[1], op).astype(int)
    end = constant(model, op.inputs[2], op).astype(int)
    strides = constant(model, op.inputs[3], op).astype(int)
    o = op.options
    if o.get("ellipsisMask") or o.get("newAxisMask"):
        raise UnsupportedModelError(
            f"STRIDED_SLICE operator {op.index} uses ellipsis or new-axis masks: not supported"
        )
    begin_mask, end_mask = int(o.get("beginMask", 0)), int(o.get("endMask", 0))
    shrink = int(o.get("shrinkAxisMask", 0))
    index: list[slice | int] = [slice(None)]
    for d, size in enumerate(x.shape[1:]):
        b = None if begin_mask >> d & 1 else int(begin[d])
        e = None if end_mask >> d & 1 else int(end[d])
        if shrink >> d & 1:
            bi = 0 if b is None else b
            index.append(bi + size if bi < 0 else bi)
        else:
            index.append(slice(b, e, int(strides[d])))
    store(model, op, env, x[tuple(index)])
