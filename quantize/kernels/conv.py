"""CONV_2D and DEPTHWISE_CONV_2D int8 (per-channel int8 weights, int32 bias), NHWC.

Keras' Conv1D, DepthwiseConv1D and SeparableConv1D reach TFLite as these ops on a height-1
image. Taps outside the image are left out of TFLM's sum, which is the same as padding the
zero-point-centred input with zeros: the kernels gather every tap of every output position at
once from that padded array, for all samples.
"""

from __future__ import annotations

import numpy as np

from quantize.fixedpoint import multiply_by_quantized_multiplier, wrap
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, matmul_exact, store, tflm_only
from quantize.op_params import ConvParams, conv_params


def _taps(x: np.ndarray, p: ConvParams, kh: int, kw: int) -> np.ndarray:
    """(N, OH, OW, KH, KW, C) int64: x - zp_x at every tap, 0 where a tap leaves the image."""
    n, _, h, w, c = x.shape
    (sh, sw), (dh, dw), (ph, pw), (oh, ow) = p.stride, p.dilation, p.padding, p.output_hw
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1
    padded = np.zeros((n, max(need_h, ph + h), max(need_w, pw + w), c), dtype=np.int64)
    padded[:, ph : ph + h, pw : pw + w] = x[:, 0].astype(np.int64) - p.input_zero_point
    rows = [
        [
            padded[
                :,
                i * dh : i * dh + (oh - 1) * sh + 1 : sh,
                j * dw : j * dw + (ow - 1) * sw + 1 : sw,
            ]
            for j in range(kw)
        ]
        for i in range(kh)
    ]
    return np.stack([np.stack(r, axis=3) for r in rows], axis=3)


def _requantize(acc: np.ndarray, p: ConvParams) -> np.ndarray:
    acc = wrap(acc + p.bias, 32)  # TFLM's int32 accumulator
    y = multiply_by_quantized_multiplier(acc, p.multiplier, p.shift) + p.output_zero_point
    return np.clip(y, p.activation_min, p.activation_max).astype(np.int8)


def conv_2d(model: Model, op: Operator, env: Env, variant: str) -> None:
    tflm_only(op, variant)
    p = conv_params(model, op)
    x = env[op.inputs[0]]
    out_c, kh, kw, group_c = p.weights.shape
    taps = _taps(x, p, kh, kw)  # (N, OH, OW, KH, KW, C)
    n, oh, ow = taps.shape[:3]
    groups = taps.shape[-1] // group_c
    per_group = out_c // groups
    parts = []
    for g in range(groups):  # one matrix product per group (one group for Keras' Conv1D)
        a = taps[..., g * group_c : (g + 1) * group_c].reshape(n * oh * ow, -1)
        w = p.weights[g * per_group : (g + 1) * per_group].reshape(per_group, -1)
        parts.append(matmul_exact(a, w))
    acc = np.concatenate(parts, axis=1).reshape(n, 1, oh, ow, out_c)
    store(model, op, env, _requantize(acc, p))


def depthwise_conv_2d(model: Model, op: Operator, env: Env, variant: str) -> None:
    tflm_only(op, variant)
    p = conv_params(model, op)
    x = env[op.inputs[0]]
    _, kh, kw, out_c = p.weights.shape
    taps = _taps(x, p, kh, kw)
    # output channel c * M + m reads input channel c
    taps = taps[..., np.arange(out_c) // p.depth_multiplier]
    acc = (taps * p.weights[0].astype(np.int64)).sum(axis=(3, 4))
    n, oh, ow = acc.shape[:3]
    store(model, op, env, _requantize(acc.reshape(n, 1, oh, ow, out_c), p))
