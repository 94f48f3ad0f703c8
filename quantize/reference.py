"""Bit-exact numpy executor of an int8 model IR: the golden outputs for every other backend.

Each activation is kept as an array of shape (N, *tensor_shape): the model's own shape (batch 1
first) with one more leading axis for the N independent samples, so every op is vectorized over
samples and only the LSTM loops, over time steps. Every LSTM sequence starts from h = zp_h, c = 0.

``activations="tflm"`` reproduces TFLite Micro (the firmware); ``"litert"`` reproduces the LiteRT
interpreter (ai-edge-litert), whose LSTM uses different fixed-point activations and a few different
roundings; ``"tflite-runtime"`` reproduces tflite-runtime 2.14, which is "litert" except for the
rounding of FULLY_CONNECTED.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from quantize.activations import RUNTIMES, activation_variant, lstm_activations, softmax_int8
from quantize.errors import BadDataError, UnsupportedModelError
from quantize.fixedpoint import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_half_up,
    quantize_multiplier,
    round_half_away,
    rounding_divide_by_pot,
    saturate,
    saturate_to,
    wrap,
)
from quantize.ir import Model, Operator, Tensor
from quantize.lstm_params import LstmParams, lstm_params

Env = dict[int, np.ndarray]
OpFn = Callable[[Model, Operator, Env, str], None]

# fused activation codes of the flatbuffer schema
_ACT_NONE, _ACT_RELU, _ACT_RELU_N1_TO_1, _ACT_RELU6 = 0, 1, 2, 3


def dequantize(q: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Real values of a per-tensor quantized int array: scale * (q - zero_point), float32."""
    centered = q.astype(np.float32) - np.float32(tensor.zero_point)
    return (np.float32(tensor.scale) * centered).astype(np.float32)


def quantize_input(x: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Float data to the model's int8 input as TFLite's QUANTIZE kernel computes it: x / scale
    divided in float32, rounded half away from zero, saturated. A float64 division differs from
    TFLite's next to the halves (x / scale = 18.4999994 in float64 is 18.5 in float32).
    """
    if not np.all(np.isfinite(x)):
        raise BadDataError("the input data contains NaN or infinite values")
    q = round_half_away(np.asarray(x, dtype=np.float32) / np.float32(tensor.scale))
    return saturate_to(q + tensor.zero_point, "int8")


def _matmul_exact(a: np.ndarray, w: np.ndarray, a_max: int = 255) -> np.ndarray:
    """Integer a @ w.T through BLAS, exact: every partial sum is an integer the float holds.

    float32 is exact while |sums| stay below 2**24 (|a| <= a_max, |w| <= 128), float64 below
    2**53, which int8 operands never reach.
    """
    exact32 = a_max * 128 * w.shape[1] < 2**24
    ftype = np.float32 if exact32 else np.float64
    return (a.astype(ftype) @ w.astype(ftype, copy=False).T).astype(np.int64)


def _lstm_sequence(p: LstmParams, x: np.ndarray, variant: str) -> np.ndarray:
    """Run a whole int8 sequence batch x [N, T, I] -> h sequence [N, T, H] int8."""
    act = lstm_activations(variant)
    variant = activation_variant(variant)  # the LSTM of tflite-runtime 2.14 is LiteRT's
    n, t_steps, _ = x.shape
    hsz = p.hidden
    # the input half of every gate for every step at once: it does not depend on the state
    acc_x = _matmul_exact(x.reshape(n * t_steps, -1), p.w_x, 128) + p.input_bias.astype(np.int64)
    gx = saturate(multiply_by_quantized_multiplier(acc_x, p.input_multiplier, p.input_shift), 16)
    gx = gx.reshape(n, t_steps, 4 * hsz)
    h = np.full((n, hsz), p.hidden_zero_point, dtype=np.int64)
    c = np.zeros((n, hsz), dtype=np.int64)
    out = np.empty((n, t_steps, hsz), dtype=np.int8)
    rec_bias = p.recurrent_bias.astype(np.int64)
    w_h = p.w_h.astype(np.float32 if 128 * 128 * hsz < 2**24 else np.float64)
    for t in range(t_steps):
        acc_h = _matmul_exact(h, w_h, 128) + rec_bias
        gh = multiply_by_quantized_multiplier(acc_h, p.recurrent_multiplier, p.recurrent_shift)
        if variant == "tflm":
            pre = saturate(gx[:, t] + saturate(gh, 16), 16)
        else:  # LiteRT accumulates the recurrent product onto the saturated input product
            pre = saturate(gx[:, t] + gh, 16)
        i_g = act.gate_sigmoid(pre[:, 0:hsz])
        f_g = act.gate_sigmoid(pre[:, hsz : 2 * hsz])
        g_g = act.gate_tanh(pre[:, 2 * hsz : 3 * hsz])
        o_g = act.gate_sigmoid(pre[:, 3 * hsz :])
        if variant == "tflm":
            fc = saturate(
                multiply_by_quantized_multiplier(
                    f_g * c, p.forget_cell_multiplier, p.forget_cell_shift
                ),
                16,
            )
            ig = saturate(
                multiply_by_quantized_multiplier(
                    i_g * g_g, p.input_cell_multiplier, p.input_cell_shift
                ),
                16,
            )
        else:  # plain rounding shifts, wrapped to int16 (portable CwiseMul)
            fc = wrap(rounding_divide_by_pot(f_g * c, 15), 16)
            ig = wrap(rounding_divide_by_pot(i_g * g_g, 30 + p.cell_power), 16)
        c = saturate(fc + ig, 16)
        if p.cell_clip > 0:
            c = np.clip(c, -p.cell_clip, p.cell_clip)
        if variant == "litert" and not 0 <= 15 + p.cell_power <= 6:
            # LiteRT's ApplyTanh silently does nothing outside Q0..Q6 inputs: the buffer still
            # holds the input gate, so the hidden state becomes o * i
            tc = i_g
        else:
            tc = act.cell_tanh(c, p.cell_power)
        if variant == "tflm":
            prod = tc * o_g
        else:
            prod = o_g * tc
        hv = multiply_by_quantized_multiplier(prod, p.hidden_multiplier, p.hidden_shift)
        h = saturate(hv + p.hidden_zero_point, 8)
        out[:, t] = h
    return out


def _op_lstm(model: Model, op: Operator, env: Env, variant: str) -> None:
    p = lstm_params(model, op, activation_variant(variant))
    x = env[op.inputs[0]]
    n = x.shape[0]
    seq = _lstm_sequence(p, x.reshape(n, p.time_steps, p.input_size), variant)
    out_t = model.tensor(op.outputs[0])
    env[op.outputs[0]] = seq.reshape((n, *out_t.shape))


def _const(model: Model, index: int, op: Operator) -> np.ndarray:
    t = model.tensor(index)
    if t.data is None:
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index} takes a computed {t.name!r} where a constant is "
            "expected"
        )
    return t.data


def _op_strided_slice(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    begin = _const(model, op.inputs[1], op).astype(int)
    end = _const(model, op.inputs[2], op).astype(int)
    strides = _const(model, op.inputs[3], op).astype(int)
    o = op.options
    if o.get("ellipsisMask") or o.get("newAxisMask"):
        raise UnsupportedModelError(
            f"STRIDED_SLICE operator {op.index} uses ellipsis or new-axis masks: not supported"
        )
    begin_mask, end_mask = int(o.get("beginMask", 0)), int(o.get("endMask", 0))
    shrink = int(o.get("shrinkAxisMask", 0))
    shape = x.shape[1:]
    index: list[slice | int] = [slice(None)]
    for d, size in enumerate(shape):
        st = int(strides[d])
        b = None if begin_mask >> d & 1 else int(begin[d])
        e = None if end_mask >> d & 1 else int(end[d])
        if shrink >> d & 1:
            bi = 0 if b is None else b
            index.append(bi + size if bi < 0 else bi)
        else:
            index.append(slice(b, e, st))
    y = x[tuple(index)]
    out_t = model.tensor(op.outputs[0])
    env[op.outputs[0]] = y.reshape((x.shape[0], *out_t.shape))


def _op_reshape(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    out_t = model.tensor(op.outputs[0])
    env[op.outputs[0]] = x.reshape((x.shape[0], *out_t.shape))


def _activation_bounds(code: int, out: Tensor) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for an int8 output."""
    lo, hi = -128, 127
    s, zp = np.float32(out.scale), out.zero_point

    def q(v: float) -> int:
        return zp + int(round_half_away(float(np.float32(np.float32(v) / s))))

    if code == _ACT_RELU:
        lo = max(lo, q(0.0))
    elif code == _ACT_RELU6:
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif code == _ACT_RELU_N1_TO_1:
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    elif code != _ACT_NONE:
        raise UnsupportedModelError(f"fused activation code {code} is not supported")
    return lo, hi


def _op_fully_connected(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    w_t = model.tensor(op.inputs[1])
    w = _const(model, op.inputs[1], op)
    if w_t.dtype != "int8" or w_t.quant is None:
        raise UnsupportedModelError(f"FULLY_CONNECTED operator {op.index} weights are not int8")
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    bias = _const(model, op.inputs[2], op).astype(np.int64) if has_bias else None
    in_t, out_t = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    n = x.shape[0]
    units, depth = w.shape
    rows = x.reshape(-1, depth)
    acc = _matmul_exact(rows.astype(np.int64) - in_t.zero_point, w)
    if bias is not None:
        acc = acc + bias
    s_in = float(np.float32(in_t.scale))
    s_out = float(np.float32(out_t.scale))
    w_scales = w_t.quant.scale.astype(np.float32)
    if w_scales.size > 1:  # per-channel: double products (fully_connected_common.cc)
        real = s_in * w_scales.astype(np.float64) / s_out
    else:  # per-tensor: GetQuantizedConvolutionMultipler multiplies the floats in float32
        real = (np.float32(s_in) * w_scales).astype(np.float64) / s_out
    mult, shift = quantize_multiplier(real)
    if mult.size == 1:
        mult, shift = np.repeat(mult, units), np.repeat(shift, units)
    if variant == "litert":
        # LiteRT's optimized int8 FULLY_CONNECTED goes through ruy, which rounds once
        y = multiply_by_quantized_multiplier(acc, mult, shift, single_rounding=True)
    elif variant == "tflite-runtime":
        # the older ruy in tflite-runtime 2.14: two roundings, the shift rounding ties up
        y = multiply_by_quantized_multiplier_half_up(acc, mult, shift)
    else:
        y = multiply_by_quantized_multiplier(acc, mult, shift)
    y = y + out_t.zero_point
    lo, hi = _activation_bounds(int(op.options.get("fusedActivationFunction", 0)), out_t)
    y = np.clip(y, lo, hi).astype(np.int8)
    env[op.outputs[0]] = y.reshape((n, *out_t.shape))


def _op_softmax(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    in_t, out_t = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if out_t.dtype != "int8" or out_t.zero_point != -128 or out_t.scale != 1.0 / 256:
        raise UnsupportedModelError(
            f"SOFTMAX operator {op.index} output is not int8 with scale 1/256 and zero point -128"
        )
    beta = float(op.options.get("beta", 1.0))
    env[op.outputs[0]] = softmax_int8(x, in_t.scale, beta, variant)


def _op_identity(model: Model, op: Operator, env: Env, variant: str) -> None:
    x = env[op.inputs[0]]
    env[op.outputs[0]] = x.reshape((x.shape[0], *model.tensor(op.outputs[0]).shape))


OPS: dict[str, OpFn] = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _op_lstm,
    "STRIDED_SLICE": _op_strided_slice,
    "RESHAPE": _op_reshape,
    "SQUEEZE": _op_identity,
    "EXPAND_DIMS": _op_identity,
    "FULLY_CONNECTED": _op_fully_connected,
    "SOFTMAX": _op_softmax,
}

SUPPORTED_OPS: tuple[str, ...] = tuple(OPS)


def check_supported(model: Model) -> None:
    """Raise UnsupportedModelError naming the first operator the reference cannot run."""
    for op in model.operators:
        if op.opcode not in OPS:
            raise UnsupportedModelError(
                f"operator {op.index} is {op.opcode}, which edge-lstm does not support "
                f"(supported: {', '.join(SUPPORTED_OPS)})"
            )
    if model.input.dtype != "int8" or model.output.dtype != "int8":
        raise UnsupportedModelError(
            f"the model's input/output are {model.input.dtype}/{model.output.dtype}; "
            "edge-lstm needs an int8 input and output (convert with `edge-lstm quantize`)"
        )


def run_reference(model: Model, x_int8: np.ndarray, activations: str = "tflm") -> np.ndarray:
    """Outputs [N, *output_shape_without_batch] int8 for inputs [N, *input_shape_without_batch].

    ``activations`` is "tflm" (TFLite Micro, the firmware), "litert" (the LiteRT interpreter,
    ai-edge-litert) or "tflite-runtime" (tflite-runtime 2.14).
    """
    if activations not in RUNTIMES:
        raise ValueError(f"unknown activation variant {activations!r}; choose one of {RUNTIMES}")
    check_supported(model)
    x = np.asarray(x_int8)
    in_t = model.input
    sample_shape = in_t.shape[1:] if in_t.shape and in_t.shape[0] == 1 else in_t.shape
    if x.dtype != np.int8:
        raise BadDataError(f"run_reference expects int8 inputs, got {x.dtype}")
    if x.shape[1:] != tuple(sample_shape):
        raise BadDataError(
            f"input data has shape {list(x.shape)}, the model expects [N, "
            f"{', '.join(str(d) for d in sample_shape)}]"
        )
    env: Env = {in_t.index: x.reshape((x.shape[0], *in_t.shape))}
    for op in model.operators:
        OPS[op.opcode](model, op, env, activations)
    y = env[model.output.index]
    out_shape = model.output.shape
    if out_shape and out_shape[0] == 1:
        y = y.reshape((y.shape[0], *out_shape[1:]))
    return y.astype(np.int8)
