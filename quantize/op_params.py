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


def fully_connected_params(
    model: Model, op: Operator, variant: str = "tflm"
) -> FullyConnectedParams:
    """FULLY_CONNECTED's Prepare (fully_connected_common.cc) for int8 input, weights, output.

    ``variant`` is the runtime ("tflm", "litert" or "tflite-runtime"); only the multiplier of
    per-tensor weights depends on it.
    """
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
    elif variant == "tflm":
        # per tensor: GetQuantizedConvolutionMultipler widens both scales to double before it
        # multiplies them (TFLM since its October 2026 wheels; before, a float32 product)
        real = s_in * w_scales.astype(np.float64) / s_out
    else:  # per tensor, LiteRT's GetQuantizedConvolutionMultipler: the product in float32
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


# --- convolutions, pooling, reductions, elementwise ops and standalone activations -------------
# Each function below follows one TFLite Micro Prepare (the file is named in its docstring); the
# comments mark where it computes in float32 and where in double.

PADDING_SAME, PADDING_VALID = 0, 1


def _int8_tensor(model: Model, index: int, op: Operator, what: str) -> Tensor:
    t = model.tensor(index)
    if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index}: the {what} is {t.dtype}, not per-tensor int8"
        )
    return t


def _window(
    padding: int, size: int, filter_size: int, stride: int, dilation: int
) -> tuple[int, int]:
    """ComputeOutSize and ComputePaddingWithOffset (padding.h): output size, padding before."""
    effective = (filter_size - 1) * dilation + 1
    if padding == PADDING_SAME:
        out = (size + stride - 1) // stride
    elif padding == PADDING_VALID:
        out = (size + stride - effective) // stride
    else:
        raise UnsupportedModelError(f"padding code {padding} is not supported")
    total = max((out - 1) * stride + effective - size, 0)
    return out, total // 2


def _conv_multipliers(
    s_in: float, filter_scales: np.ndarray, s_out: float, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """PopulateConvolutionQuantizationParams (kernel_util.cc): every channel's
    double(s_in) * double(s_filter) / double(s_out), a per-tensor filter scale repeated (in
    double too, unlike FULLY_CONNECTED's per-tensor float32 product)."""
    f = np.asarray(filter_scales, dtype=np.float32).astype(np.float64).reshape(-1)
    if f.size == 1:
        f = np.repeat(f, channels)
    real = float(np.float32(s_in)) * f / float(np.float32(s_out))
    mult, shift = quantize_multiplier(real)
    return mult.astype(np.int64), shift.astype(np.int64)


@dataclass(frozen=True)
class ConvParams:
    """int8 CONV_2D or DEPTHWISE_CONV_2D over an NHWC input (conv_common.cc,
    depthwise_conv_common.cc): acc = sum W * (x - zp_x) + b over the taps inside the image, then
    clamp(MBQM(acc, m[c], s[c]) + zp_y)."""

    weights: np.ndarray  # int8; CONV_2D [O, KH, KW, I/groups], DEPTHWISE [1, KH, KW, O]
    bias: np.ndarray  # int64 [O] (zeros without a bias)
    multiplier: np.ndarray  # int64 [O]
    shift: np.ndarray  # int64 [O]
    input_zero_point: int
    output_zero_point: int
    activation_min: int
    activation_max: int
    stride: tuple[int, int]  # (height, width)
    dilation: tuple[int, int]
    padding: tuple[int, int]  # padding before, (height, width)
    output_hw: tuple[int, int]
    depth_multiplier: int  # DEPTHWISE_CONV_2D: output channels per input channel; CONV_2D: 0


def conv_params(model: Model, op: Operator) -> ConvParams:
    """ConvPrepare / DepthwiseConvPrepare for int8 input and output, int8 weights, int32 bias."""
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    w_t = model.tensor(op.inputs[1])
    w = constant(model, op.inputs[1], op)
    if w_t.dtype != "int8" or w_t.quant is None:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: weights are not int8")
    if len(x.shape) != 4:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: the input is not 4-D")
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    channels = int(w.shape[3] if depthwise else w.shape[0])
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    bias = (
        constant(model, op.inputs[2], op).astype(np.int64).reshape(-1)
        if has_bias
        else np.zeros(channels, dtype=np.int64)
    )
    o = op.options
    stride = (int(o.get("strideH", 1)), int(o.get("strideW", 1)))
    dilation = (int(o.get("dilationHFactor", 1)), int(o.get("dilationWFactor", 1)))
    padding = int(o.get("padding", PADDING_SAME))
    out_h, pad_h = _window(padding, x.shape[1], int(w.shape[1]), stride[0], dilation[0])
    out_w, pad_w = _window(padding, x.shape[2], int(w.shape[2]), stride[1], dilation[1])
    if (1, out_h, out_w, channels) != tuple(y.shape):
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index}: output shape {list(y.shape)} does not follow "
            "from its input, filter and options"
        )
    if not depthwise and x.shape[3] % w.shape[3]:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: bad group count")
    mult, shift = _conv_multipliers(x.scale, w_t.quant.scale, y.scale, channels)
    lo, hi = activation_range(int(o.get("fusedActivationFunction", 0)), y)
    return ConvParams(
        weights=w,
        bias=bias,
        multiplier=mult,
        shift=shift,
        input_zero_point=x.zero_point,
        output_zero_point=y.zero_point,
        activation_min=lo,
        activation_max=hi,
        stride=stride,
        dilation=dilation,
        padding=(pad_h, pad_w),
        output_hw=(out_h, out_w),
        depth_multiplier=channels // int(x.shape[3]) if depthwise else 0,
    )


@dataclass(frozen=True)
class PoolParams:
    """int8 MAX_POOL_2D / AVERAGE_POOL_2D (pooling_common.cc): same scale in and out."""

    filter: tuple[int, int]  # (height, width)
    stride: tuple[int, int]
    padding: tuple[int, int]  # padding before
    output_hw: tuple[int, int]
    activation_min: int
    activation_max: int


def pool_params(model: Model, op: Operator) -> PoolParams:
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    # PoolingPrepare: |s_in - s_out| (float32) <= 1e-6 and equal zero points
    if abs(float(np.float32(x.scale) - np.float32(y.scale))) > 1e-6 or (
        x.zero_point != y.zero_point
    ):
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index}: input and output quantization differ"
        )
    o = op.options
    filt = (int(o.get("filterHeight", 1)), int(o.get("filterWidth", 1)))
    stride = (int(o.get("strideH", 1)), int(o.get("strideW", 1)))
    padding = int(o.get("padding", PADDING_SAME))
    out_h, pad_h = _window(padding, x.shape[1], filt[0], stride[0], 1)
    out_w, pad_w = _window(padding, x.shape[2], filt[1], stride[1], 1)
    lo, hi = activation_range(int(o.get("fusedActivationFunction", 0)), y)
    return PoolParams(filt, stride, (pad_h, pad_w), (out_h, out_w), lo, hi)


def reduce_axes(model: Model, op: Operator) -> tuple[int, ...]:
    """The reduced axes of MEAN / REDUCE_MAX, non-negative and distinct (ResolveAxis)."""
    rank = len(model.tensor(op.inputs[0]).shape)
    axes = constant(model, op.inputs[1], op).astype(np.int64).reshape(-1)
    return tuple(sorted({int(a) + rank if a < 0 else int(a) for a in axes}))


@dataclass(frozen=True)
class MeanParams:
    """int8 MEAN (reduce_common.cc, reference_ops::QuantizedMeanOrSum): the sum of the raw
    inputs minus zp_x * n, times s_in / s_out folded with 1/n into one multiplier."""

    axes: tuple[int, ...]
    count: int  # n, the number of elements averaged into each output
    multiplier: int  # (m << k) / n, the division by n folded in
    shift: int  # s - k
    input_zero_point: int
    output_zero_point: int


def mean_params(model: Model, op: Operator) -> MeanParams:
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    axes = reduce_axes(model, op)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if count <= 0:
        raise UnsupportedModelError(f"MEAN operator {op.index} averages no elements")
    # PrepareMeanOrSumHelper: double(s_in) / double(s_out); the same scale gives 2^30, shift 1
    m, s = quantize_multiplier_scalar(float(np.float32(x.scale)) / float(np.float32(y.scale)))
    # QuantizedMeanOrSum: k = min(floor(log2 n), 32, 31 + s), the 64-bit division truncates
    k = min(count.bit_length() - 1, 32, 31 + s)
    return MeanParams(
        axes=axes,
        count=count,
        multiplier=int(np.int32((m << k) // count)),
        shift=s - k,
        input_zero_point=x.zero_point,
        output_zero_point=y.zero_point,
    )


def same_quantization(model: Model, op: Operator, inputs: tuple[int, ...]) -> None:
    """Refuse an int8 op whose TFLM kernel requires its inputs' scale and zero point to be the
    output's (REDUCE_MAX, CONCATENATION, PAD, REVERSE_V2 only move bytes)."""
    y = _int8_tensor(model, op.outputs[0], op, "output")
    for i in inputs:
        x = _int8_tensor(model, i, op, "input")
        if float(np.float32(x.scale)) != float(np.float32(y.scale)) or (
            x.zero_point != y.zero_point
        ):
            raise UnsupportedModelError(
                f"{op.opcode} operator {op.index}: an input's scale or zero point differs from "
                "the output's (TFLite Micro does not requantize here)"
            )


ADD_LEFT_SHIFT = 20  # int8 ADD/SUB: inputs shifted left by 20 bits before rescaling


@dataclass(frozen=True)
class AddSubParams:
    """int8 ADD / SUB: both inputs rescaled to twice the larger input scale with 20 extra bits,
    added or subtracted in int32 and rescaled to the output (add_common.cc, sub_common.cc)."""

    input1_offset: int  # -zp_1
    input2_offset: int
    output_offset: int
    input1_multiplier: int
    input1_shift: int  # <= 0
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    activation_min: int
    activation_max: int


def add_sub_params(model: Model, op: Operator) -> AddSubParams:
    a = _int8_tensor(model, op.inputs[0], op, "first input")
    b = _int8_tensor(model, op.inputs[1], op, "second input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    s1, s2, so = np.float32(a.scale), np.float32(b.scale), np.float32(y.scale)
    if op.opcode == "ADD":  # CalculateOpDataAdd: in double
        twice = 2.0 * float(max(s1, s2))
        r1, r2 = float(s1) / twice, float(s2) / twice
        ro = twice / (float(1 << ADD_LEFT_SHIFT) * float(so))
    else:  # CalculateOpDataSub: every quotient in float32, then widened
        twice32 = np.float32(2) * max(s1, s2)
        r1, r2 = float(s1 / twice32), float(s2 / twice32)
        ro = float(twice32 / (np.float32(1 << ADD_LEFT_SHIFT) * so))
    (m1, h1), (m2, h2), (mo, ho) = (quantize_multiplier_scalar(r) for r in (r1, r2, ro))
    if max(h1, h2, ho) > 0:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: a rescale above 1")
    lo, hi = activation_range(int(op.options.get("fusedActivationFunction", 0)), y)
    return AddSubParams(-a.zero_point, -b.zero_point, y.zero_point, m1, h1, m2, h2, mo, ho, lo, hi)


@dataclass(frozen=True)
class MulParams:
    """int8 MUL (mul_common.cc): clamp(MBQM((x1 - zp1) * (x2 - zp2), m, s) + zp_y)."""

    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    activation_min: int
    activation_max: int


def mul_params(model: Model, op: Operator) -> MulParams:
    a = _int8_tensor(model, op.inputs[0], op, "first input")
    b = _int8_tensor(model, op.inputs[1], op, "second input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    # double(s1) * double(s2) / double(s_out)
    real = float(np.float32(a.scale)) * float(np.float32(b.scale)) / float(np.float32(y.scale))
    m, s = quantize_multiplier_scalar(real)
    lo, hi = activation_range(int(op.options.get("fusedActivationFunction", 0)), y)
    return MulParams(a.zero_point, b.zero_point, y.zero_point, m, s, lo, hi)


LOGISTIC_TANH_INPUT_INTEGER_BITS = 4  # int8 LOGISTIC/TANH rescale the input to Q4.27


@dataclass(frozen=True)
class LogisticTanhParams:
    """int8 LOGISTIC / TANH (logistic_common.cc, tanh.cc): x - zp_x rescaled to Q4.27 for
    gemmlowp's fixed-point function; inputs at or beyond the radius saturate directly."""

    input_zero_point: int
    input_multiplier: int
    input_left_shift: int
    input_range_radius: int


def logistic_tanh_params(model: Model, op: Operator) -> LogisticTanhParams:
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    if op.opcode == "LOGISTIC" and y.zero_point != -128:
        raise UnsupportedModelError(f"LOGISTIC operator {op.index}: output zero point is not -128")
    bits = LOGISTIC_TANH_INPUT_INTEGER_BITS
    real = float(np.float32(x.scale)) * float(1 << (31 - bits))
    q, left_shift = math.frexp(real)  # std::frexp, then TfLiteRound(q * 2^31): no 2^31 fix-up
    multiplier = int(round_half_away(q * float(1 << 31)))
    if multiplier >= 1 << 31:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: input multiplier overflows")
    # CalculateInputRadius: floor(15 * 2^27 / 2^left_shift) in double
    radius = math.floor(((1 << bits) - 1) * float(1 << (31 - bits)) / float(1 << left_shift))
    return LogisticTanhParams(x.zero_point, multiplier, left_shift, int(radius))


@dataclass(frozen=True)
class RequantizeParams:
    """int8 -> int8 QUANTIZE (quantize_common.cc, reference_ops::Requantize) and RELU
    (activations_common.cc): clamp(MBQM(x - zp_x, m, s) + zp_y, lo, hi)."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    activation_min: int
    activation_max: int


def requantize_params(model: Model, op: Operator) -> RequantizeParams:
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    s_in, s_out = np.float32(x.scale), np.float32(y.scale)
    if op.opcode == "RELU":
        # CalculateReluOpData: the quotient in float32; lower bound zp_y + roundf(0 / s) = zp_y
        m, s = quantize_multiplier_scalar(float(s_in / s_out))
        return RequantizeParams(x.zero_point, y.zero_point, m, s, max(-128, y.zero_point), 127)
    # PrepareQuantizeReference: double(s_in) / double(s_out)
    m, s = quantize_multiplier_scalar(float(s_in) / float(s_out))
    return RequantizeParams(x.zero_point, y.zero_point, m, s, -128, 127)


def relu6_bounds(model: Model, op: Operator) -> tuple[int, int]:
    """Relu6Prepare: the input's zero and round(6.0f / s_in) + zp_x; no rescaling at all."""
    x = _int8_tensor(model, op.inputs[0], op, "input")
    six = int(round_half_away(float(np.float32(6.0) / np.float32(x.scale)))) + x.zero_point
    return x.zero_point, min(max(six, -128), 127)


@dataclass(frozen=True)
class LeakyReluParams:
    """int8 LEAKY_RELU (leaky_relu_common.cc): x - zp_x >= 0 rescaled by s_in / s_out, below 0
    by alpha * s_in / s_out, both quotients formed in float32."""

    input_zero_point: int
    output_zero_point: int
    identity_multiplier: int
    identity_shift: int
    alpha_multiplier: int
    alpha_shift: int


def leaky_relu_params(model: Model, op: Operator) -> LeakyReluParams:
    x = _int8_tensor(model, op.inputs[0], op, "input")
    y = _int8_tensor(model, op.outputs[0], op, "output")
    alpha = np.float32(op.options.get("alpha", 0.2))
    if alpha < 0:
        raise UnsupportedModelError(f"LEAKY_RELU operator {op.index} has a negative alpha")
    s_in, s_out = np.float32(x.scale), np.float32(y.scale)
    ma, sa = quantize_multiplier_scalar(float(s_in * alpha / s_out))
    mi, si = quantize_multiplier_scalar(float(s_in / s_out))
    return LeakyReluParams(x.zero_point, y.zero_point, mi, si, ma, sa)
