"""What every reference kernel shares: the environment of tensors and exact integer products."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator

# tensor index -> values of shape (N, *tensor.shape): one leading axis for the N samples
Env = dict[int, np.ndarray]
OpFn = Callable[[Model, Operator, Env, str], None]


def matmul_exact(a: np.ndarray, w: np.ndarray, a_max: int = 255) -> np.ndarray:
    """Integer a @ w.T through BLAS, exact: every partial sum is an integer the float holds.

    float32 is exact while |sums| stay below 2**24 (|a| <= a_max, |w| <= 128), float64 below
    2**53, which int8 operands never reach.
    """
    exact32 = a_max * 128 * w.shape[1] < 2**24
    ftype = np.float32 if exact32 else np.float64
    return (a.astype(ftype) @ w.astype(ftype, copy=False).T).astype(np.int64)


def store(model: Model, op: Operator, env: Env, y: np.ndarray) -> None:
    """Store y (N samples of any shape) as the op's first output, shaped (N, *output shape)."""
    env[op.outputs[0]] = y.reshape((y.shape[0], *model.tensor(op.outputs[0]).shape))


def tflm_only(op: Operator, variant: str) -> None:
    """Refuse a runtime other than TFLite Micro for a kernel checked against TFLM alone.

    LiteRT's optimized int8 kernels round some of these ops differently (as its
    FULLY_CONNECTED does); an unverified "litert" answer would look golden and not be.
    """
    if variant != "tflm":
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index}: the reference reproduces only TFLite Micro's "
            f"kernel for it, not the {variant} runtime's"
        )


def operand(model: Model, env: Env, index: int, rank: int) -> np.ndarray:
    """An input of an elementwise op as (N or 1, *shape) padded on the left to ``rank`` axes, so
    that numpy broadcasts it like TFLM's broadcasting kernels; constants get N = 1."""
    t = model.tensor(index)
    shape = (1,) * (rank - len(t.shape)) + tuple(t.shape)
    if index in env:
        v = env[index]
        return v.reshape((v.shape[0], *shape))
    if t.data is None:
        raise KeyError(f"tensor {index} ({t.name}) has not been computed")
    return np.asarray(t.data).reshape((1, *shape))
