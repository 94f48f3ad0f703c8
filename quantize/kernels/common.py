"""What every reference kernel shares: the environment of tensors and exact integer products."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
