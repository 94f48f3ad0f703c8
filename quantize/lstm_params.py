"""The integer constants of one int8 UNIDIRECTIONAL_SEQUENCE_LSTM, precomputed once.

Both the numpy reference and the C code generator take their multipliers, shifts and biases from
here, so the two can only differ in how they loop, never in a constant. Everything is derived from
the tensors of the .tflite the way the runtime's Prepare step derives it (TFLite Micro:
micro/kernels/lstm_eval_common.cc and fully_connected_common.cc; LiteRT: kernels/lstm.cc
PopulateQuantizedLstmParams8x8_16), including whether a product of two scales is taken in float32
or in float64, because a one-ulp difference in a scale can move a multiplier by one.

Gate order everywhere in this module is (input i, forget f, cell g, output o), the order of the
operator's tensors; row blocks of the stacked matrices follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.fixedpoint import checked_log2, quantize_multiplier, quantize_multiplier_scalar
from quantize.ir import Model, Operator, Tensor

GATES = ("input", "forget", "cell", "output")

# operator input slots (tensorflow/lite/kernels/lstm_shared.h): the one map of the fused op's
# inputs, used by every module that reads an LSTM
LSTM_INPUT = 0
LSTM_INPUT_WEIGHTS = (1, 2, 3, 4)
LSTM_RECURRENT_WEIGHTS = (5, 6, 7, 8)
LSTM_PEEPHOLE = (9, 10, 11)
LSTM_BIASES = (12, 13, 14, 15)
LSTM_PROJECTION = (16, 17)
LSTM_HIDDEN_STATE = 18
LSTM_CELL_STATE = 19
LSTM_LAYER_NORM = (20, 21, 22, 23)
LSTM_SLOTS = 24

GATE_PREACT_SCALE = 2.0**-12  # Q3.12
GATE_OUT_SCALE = 2.0**-15  # Q0.15


@dataclass(frozen=True)
class LstmParams:
    """One LSTM layer as integers.

    Shapes: W_x [4H, I] int8, W_h [4H, H] int8 (gate blocks i, f, g, o); the folded biases and the
    per-row multipliers/shifts are [4H] int32/int32. A gate pre-activation (Q3.12) is

        sat16( sat16(MBQM(W_x @ x + input_bias, input_mult, input_shift))
             + sat16(MBQM(W_h @ h + recurrent_bias, recurrent_mult, recurrent_shift)) )

    where x and h are the raw int8 values: the zero points are folded into the biases
    (input_bias = bias - zp_x * rowsum(W_x), recurrent_bias = -zp_h * rowsum(W_h)).
    """

    variant: str  # "tflm" or "litert": which runtime's Prepare the constants reproduce
    time_steps: int
    input_size: int
    hidden: int
    input_zero_point: int
    hidden_zero_point: int  # of the h state and of the output sequence
    input_scale: float
    hidden_scale: float
    w_x: np.ndarray  # int8 [4H, I]
    w_h: np.ndarray  # int8 [4H, H]
    bias: np.ndarray  # int32 [4H], the gate biases as stored in the model
    input_bias: np.ndarray  # int32 [4H], bias - zp_x * rowsum(W_x)
    recurrent_bias: np.ndarray  # int32 [4H], -zp_h * rowsum(W_h)
    input_multiplier: np.ndarray  # int32 [4H] (constant within a gate block)
    input_shift: np.ndarray  # int32 [4H]
    recurrent_multiplier: np.ndarray  # int32 [4H]
    recurrent_shift: np.ndarray  # int32 [4H]
    cell_power: int  # the cell state scale is exactly 2**cell_power
    cell_clip: int  # quantized cell clip, 0 = none
    forget_cell_multiplier: int  # f * c -> c   (tflm; litert shifts right by 15)
    forget_cell_shift: int
    input_cell_multiplier: int  # i * g -> c   (tflm; litert shifts right by 30 + p)
    input_cell_shift: int
    hidden_multiplier: int  # o * tanh(c) -> h
    hidden_shift: int

    def gate_rows(self, gate: str) -> slice:
        k = GATES.index(gate)
        return slice(k * self.hidden, (k + 1) * self.hidden)


def _tensor(model: Model, op: Operator, slot: int) -> Tensor | None:
    if slot >= len(op.inputs) or op.inputs[slot] < 0:
        return None
    return model.tensor(op.inputs[slot])


def _required(model: Model, op: Operator, slot: int, what: str) -> Tensor:
    t = _tensor(model, op, slot)
    if t is None:
        raise UnsupportedModelError(f"LSTM operator {op.index} has no {what} tensor")
    return t


def _check_supported(model: Model, op: Operator) -> None:
    if _tensor(model, op, LSTM_INPUT_WEIGHTS[0]) is None:
        raise UnsupportedModelError(
            f"LSTM operator {op.index} uses CIFG (no input gate): not supported by TFLite Micro"
        )
    for name, slots in (("peephole", LSTM_PEEPHOLE), ("projection", LSTM_PROJECTION),
                        ("layer-norm", LSTM_LAYER_NORM)):  # fmt: skip
        if any(_tensor(model, op, s) is not None for s in slots):
            raise UnsupportedModelError(
                f"LSTM operator {op.index} uses {name} weights: not supported by TFLite Micro"
            )
    if op.options.get("timeMajor"):
        raise UnsupportedModelError(f"LSTM operator {op.index} is time-major: not supported")
    x = _required(model, op, LSTM_INPUT, "input")
    if x.dtype != "int8" or _required(model, op, LSTM_CELL_STATE, "cell state").dtype != "int16":
        raise UnsupportedModelError(
            f"LSTM operator {op.index} is not the int8 8x8->16 kind (input {x.dtype}); "
            "quantize the model to int8 with `edge-lstm quantize`"
        )


def lstm_params(model: Model, op: Operator, variant: str = "tflm") -> LstmParams:
    """The integer constants of ``op`` as the ``variant`` runtime computes them."""
    if op.opcode != "UNIDIRECTIONAL_SEQUENCE_LSTM":
        raise ValueError(f"operator {op.index} is {op.opcode}, not an LSTM")
    if variant not in ("tflm", "litert"):
        raise ValueError(f"unknown variant {variant!r}")
    _check_supported(model, op)
    x = _required(model, op, LSTM_INPUT, "input")
    h = _required(model, op, LSTM_HIDDEN_STATE, "hidden state")
    c = _required(model, op, LSTM_CELL_STATE, "cell state")
    wx = [_required(model, op, s, "input weight") for s in LSTM_INPUT_WEIGHTS]
    wh = [_required(model, op, s, "recurrent weight") for s in LSTM_RECURRENT_WEIGHTS]
    bs = [_required(model, op, s, "bias") for s in LSTM_BIASES]
    for w in wx + wh:
        if w.data is None or w.dtype != "int8" or w.quant is None or w.quant.per_channel:
            raise UnsupportedModelError(
                f"LSTM weight {w.name!r} is not a constant per-tensor int8 matrix"
            )
    _, time_steps, input_size = x.shape
    hidden = wx[0].shape[0]

    w_x = np.concatenate([w.data for w in wx]).astype(np.int8)  # type: ignore[misc]
    w_h = np.concatenate([w.data for w in wh]).astype(np.int8)  # type: ignore[misc]
    bias = np.concatenate([b.data for b in bs]).astype(np.int64)  # type: ignore[misc]
    zp_x, zp_h = x.zero_point, h.zero_point
    input_bias = bias - zp_x * w_x.astype(np.int64).sum(axis=1)
    recurrent_bias = -zp_h * w_h.astype(np.int64).sum(axis=1)
    if max(np.abs(input_bias).max(initial=0), np.abs(recurrent_bias).max(initial=0)) >= 2**31:
        raise UnsupportedModelError(
            f"LSTM operator {op.index}: a bias with the zero point folded in exceeds int32"
        )

    s_x, s_h, s_c = np.float32(x.scale), np.float32(h.scale), np.float32(c.scale)
    if variant == "tflm":
        # CreateGateParams -> CalculateOpDataFullyConnected (per-tensor weights) ->
        # GetQuantizedConvolutionMultipler: both float scales are widened to double before they
        # are multiplied, the quotient in double. (TFLM builds up to mid-2026 took the product in
        # float32, static_cast<double>(input_scale * filter_scale); the tflite-micro wheels of
        # October 2026 and later multiply in double. The two multipliers differ by up to ~64, which
        # moves a gate pre-activation by one where its exact value sits next to a rounding half.)
        in_scales = [float(s_x) * float(np.float32(w.scale)) / GATE_PREACT_SCALE for w in wx]
        rec_scales = [float(s_h) * float(np.float32(w.scale)) / GATE_PREACT_SCALE for w in wh]
    else:
        # PopulateQuantizedLstmParams8x8_16: float32 products and quotient
        pre = np.float32(GATE_PREACT_SCALE)
        in_scales = [float(np.float32(np.float32(w.scale) * s_x) / pre) for w in wx]
        rec_scales = [float(np.float32(np.float32(w.scale) * s_h) / pre) for w in wh]
    im, ish = quantize_multiplier(np.repeat(in_scales, hidden))
    rm, rsh = quantize_multiplier(np.repeat(rec_scales, hidden))

    cell_power, is_pot = checked_log2(float(s_c))
    if not is_pot:
        raise UnsupportedModelError(
            f"LSTM operator {op.index}: cell state scale {float(s_c)} is not a power of two"
        )
    clip = float(op.options.get("cellClip", 0.0) or 0.0)
    if clip > 0:
        if variant == "tflm":
            q = min(max(float(np.float32(clip)) / float(s_c), -32768.0), 32767.0)
        else:
            q = float(min(max(np.float32(np.float32(clip) / s_c), -32768.0), 32767.0))
        cell_clip = int(q)  # static_cast<int16_t> truncates
    else:
        cell_clip = 0

    gate_out = float(np.float32(GATE_OUT_SCALE))
    fcm, fcs = quantize_multiplier_scalar(gate_out * float(s_c) / float(s_c))
    icm, ics = quantize_multiplier_scalar(gate_out * gate_out / float(s_c))
    if variant == "tflm":
        hidden_scale = gate_out * gate_out / float(s_h)
    else:
        hidden_scale = float(np.float32(2.0**-15 / float(s_h) * 2.0**-15))
    hm, hs = quantize_multiplier_scalar(hidden_scale)

    i32 = np.int32
    return LstmParams(
        variant=variant,
        time_steps=int(time_steps),
        input_size=int(input_size),
        hidden=int(hidden),
        input_zero_point=zp_x,
        hidden_zero_point=zp_h,
        input_scale=float(s_x),
        hidden_scale=float(s_h),
        w_x=w_x,
        w_h=w_h,
        bias=bias.astype(i32),
        input_bias=input_bias.astype(i32),
        recurrent_bias=recurrent_bias.astype(i32),
        input_multiplier=im.astype(i32),
        input_shift=ish.astype(i32),
        recurrent_multiplier=rm.astype(i32),
        recurrent_shift=rsh.astype(i32),
        cell_power=cell_power,
        cell_clip=cell_clip,
        forget_cell_multiplier=fcm,
        forget_cell_shift=fcs,
        input_cell_multiplier=icm,
        input_cell_shift=ics,
        hidden_multiplier=hm,
        hidden_shift=hs,
    )
