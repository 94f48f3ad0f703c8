"""Prepare-time constants of the non-recurrent int8 ops, derived once.

The numpy reference and the C generator both take their multipliers, shifts, folded biases and
activation bounds from here (as they take the LSTM's from ``quantize.lstm_params``), so the two
can only differ in how they loop, never in a constant. Each derivation follows the runtime's
Prepare step, including where it multiplies scales in float32 and where in double: a one-ulp
difference in a scale can move a multiplier by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.fixedpoint import quantize_multiplier, quantize_multiplier_scalar, round_half_away
from quantize.ir import Model, Operator, Tensor

# fused activation codes of the flatbuffer schema
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3

# TFLite's int8 softmax: input differences in Q5.26, sums in Q12.19 (softmax_common.cc)
SOFTMAX_DIFF_INT_BITS = 5
SOFTMAX_ACC_INT_BITS = 12


def activation_range(code: int, out: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 output (Quantize in float32)."""
    scale, zp = np.float32(out.scale), out.zero_point

    def q(value: float) -> int:
        return zp + int(round_half_away(float(np.float32(np.float32(value) / scale))))

    lo, hi = -128, 127
    if code == ACT_NONE:
        return lo, hi
    if code == ACT_RELU:
        return max(lo, q(0.0)), hi
    if code == ACT_RELU6:
        return max(lo, q(0.0)), min(hi, q(6.0))
    if code == ACT_RELU_N1_TO_1:
        return max(lo, q(-1.0)), min(hi, q(1.0))
    raise UnsupportedModelError(f"fused activation code {code} is not supported")


def constant(model: Model, index: int, op: Operator) -> np.ndarray:
    """The contents of a constant input; a computed tensor there is refused by name."""
    t = model.tensor(index)
    if t.data is None:
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index} takes a computed {t.name!r} where a constant is "
            "expected"
        )
    return t.data


@dataclass(frozen=True)
class FullyConnectedParams:
    """One int8 FULLY_CONNECTED: y = clamp(MBQM(W @ (x - zp_x) + b, m, s) + zp_y)."""

    input_size: int  # K
    output_size: int  # N
    weights: np.ndarray  # int8 [N, K]
    bias: np.ndarray  # int64 [N], as stored (zeros without a bias)
    folded_bias: np.ndarray  # int64 [N], bias - zp_x * rowsum(W): the kernels' bias
    multiplier: np.ndarray  # int64 [N] (repeated for per-tensor weights)
    shift: np.ndarray  # int64 [N]
    input_zero_point: int
    output_zero_point: int
    activation_min: int
    activation_max: int


def fully_connected_params(model: Model, op: Operator) -> FullyConnectedParams:
    """FULLY_CONNECTED's Prepare (fully_connected_common.cc) for int8 input, weights, output."""
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    w_t = model.tensor(op.inputs[1])
    w = constant(model, op.inputs[1], op)
    for what, t in (("input", x), ("weights", w_t), ("output", y)):
        if t.dtype != "int8" or t.quant is None:
            raise UnsupportedModelError(
                f"FULLY_CONNECTED operator {op.index}: the {what} is {t.dtype}, not int8"
            )
    units, depth = w.shape
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    bias = (
        constant(model, op.inputs[2], op).astype(np.int64).reshape(-1)
        if has_bias
        else np.zeros(units, dtype=np.int64)
    )
    s_in, s_out = float(np.float32(x.scale)), float(np.float32(y.scale))
    w_scales = w_t.quant.scale.astype(np.float32)  # type: ignore[union-attr]
    if w_scales.size > 1:  # per channel: the scale products in double
        real = s_in * w_scales.astype(np.float64) / s_out
    else:  # per tensor: GetQuantizedConvolutionMultipler multiplies in float32
        real = (np.float32(s_in) * w_scales).astype(np.float64) / s_out
    mult, shift = quantize_multiplier(real)
    if mult.size == 1:
        mult, shift = np.repeat(mult, units), np.repeat(shift, units)
    lo, hi = activation_range(int(op.options.get("fusedActivationFunction", 0)), y)
    return FullyConnectedParams(
        input_size=int(depth),
        output_size=int(units),
        weights=w,
        bias=bias,
        folded_bias=bias - x.zero_point * w.astype(np.int64).sum(axis=1),
        multiplier=mult.astype(np.int64),
        shift=shift.astype(np.int64),
        input_zero_point=x.zero_point,
        output_zero_point=y.zero_point,
        activation_min=lo,
        activation_max=hi,
    )


@dataclass(frozen=True)
class SoftmaxParams:
    """int8 SOFTMAX: differences to the row maximum rescaled to Q5.26 before exp()."""

    input_multiplier: int  # beta * input scale * 2^26, as QuantizeMultiplier
    input_left_shift: int
    diff_min: int  # differences below this give exp() == 0


def softmax_params(input_scale: float, beta: float) -> SoftmaxParams:
    """SoftmaxPrepare for int8 (softmax_common.cc): beta and scale as float32, product in double."""
    real = min(
        float(np.float32(beta)) * float(np.float32(input_scale))
        * float(1 << (31 - SOFTMAX_DIFF_INT_BITS)),
        float((1 << 31) - 1),
    )  # fmt: skip
    multiplier, left_shift = quantize_multiplier_scalar(real)
    radius = ((1 << SOFTMAX_DIFF_INT_BITS) - 1) * (1 << (31 - SOFTMAX_DIFF_INT_BITS))
    return SoftmaxParams(
        input_multiplier=multiplier,
        input_left_shift=left_shift,
        diff_min=-int(math.floor(radius / float(1 << left_shift))),
    )


def softmax_op_params(model: Model, op: Operator) -> SoftmaxParams:
    """softmax_params() of an operator whose output is TFLite's int8 softmax output."""
    x, y = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8" or x.quant is None or y.quant is None:
        raise UnsupportedModelError(f"SOFTMAX operator {op.index} is not int8 -> int8")
    if y.zero_point != -128 or float(np.float32(y.scale)) != 1.0 / 256:
        raise UnsupportedModelError(
            f"SOFTMAX operator {op.index} output is not int8 with scale 1/256 and zero point -128"
        )
    return softmax_params(x.scale, float(op.options.get("beta", 1.0)))
