"""MAX_POOL_2D and AVERAGE_POOL_2D int8, NHWC (Keras' MaxPooling1D and AveragePooling1D).

Both work on the raw int8 values: TFLM requires the output's scale and zero point to be the
input's. The average divides the sum of the window's in-image values by their count, rounding
half away from zero in C's truncating division, so a window clipped by SAME padding averages
fewer values rather than counting padding.
"""

from __future__ import annotations

import numpy as np

from quantize.ir import Model, Operator
from quantize.kernels.common import Env, store
from quantize.op_params import PoolParams, pool_params


def _windows(x: np.ndarray, p: PoolParams, fill: int) -> np.ndarray:
    """(N, OH, OW, KH*KW, C) int64 of every window, ``fill`` where it leaves the image."""
    n, _, h, w, c = x.shape
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = p.filter, p.stride, p.padding, p.output_hw
    need_h, need_w = (oh - 1) * sh + kh, (ow - 1) * sw + kw
    padded = np.full((n, max(need_h, ph + h), max(need_w, pw + w), c), fill, dtype=np.int64)
    padded[:, ph : ph + h, pw : pw + w] = x[:, 0]
    taps = [
        padded[:, i : i + (oh - 1) * sh + 1 : sh, j : j + (ow - 1) * sw + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]
    return np.stack(taps, axis=3)


def max_pool_2d(model: Model, op: Operator, env: Env, variant: str) -> None:
    p = pool_params(model, op)
    x = env[op.inputs[0]]
    y = _windows(x, p, fill=-(2**31)).max(axis=3)
    y = np.clip(y, p.activation_min, p.activation_max).astype(np.int8)
    store(model, op, env, y[:, None])


def average_pool_2d(model: Model, op: Operator, env: Env, variant: str) -> None:
    p = pool_params(model, op)
    x = env[op.inputs[0]]
    total = _windows(x, p, fill=0).sum(axis=3)
    count = _windows(np.ones_like(x[:1]), p, fill=0).sum(axis=3)  # in-image taps per window
    if np.any(count == 0):
        raise ValueError(f"AVERAGE_POOL_2D operator {op.index} has a window outside the image")
    half = count // 2
    # acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, both divisions truncating toward zero
    y = np.where(total > 0, (total + half) // count, -((half - total) // count))
    y = np.clip(y, p.activation_min, p.activation_max).astype(np.int8)
    store(model, op, env, y[:, None])
