"""Integer GRU and SimpleRNN layers: quantization from Keras weights, and their integer constants.

TFLite Micro has no GRU kernel and the TFLite converter crashes while calibrating int8 GRU and
SimpleRNN layers, so edge-lstm quantizes these layers itself. The arithmetic follows TFLite
Micro's int8 LSTM ("8x8->16"): int8 inputs and hidden state, symmetric int8 weights, int32 biases
with the zero points folded in, gate pre-activations in int16 Q3.12, the TFLM-exact int16 sigmoid
and tanh (Q0.15 out), fixed-point products (docs/integer_gru.md has every step and its error).

Two halves, kept apart because they run at different times:

- quantization (``recurrent_from_keras`` -> ``calibrate`` -> ``quantize_recurrent``): float
  weights and calibration statistics -> ``QuantizedRecurrent``, exactly what a .tflite file
  stores (int8 weights with float32 per-row scales, int32 biases, the tensors' quantization, a few
  options). Runs once, at conversion, with TensorFlow around.
- integer constants (``gru_params``): ``QuantizedRecurrent`` -> ``GruParams``, the multipliers,
  shifts and folded biases that the numpy reference and the C generator both use, so that the two
  can only differ in how they loop. Computed from the float32 scales alone, so it gives the same
  integers whether the ``QuantizedRecurrent`` came from the quantizer or from a .tflite file.

Gate order (rows of the stacked matrices): GRU z (update), r (reset), n (candidate) as in Keras;
SimpleRNN has one block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantize.errors import UnsupportedModelError
from quantize.fixedpoint import quantize_multiplier, quantize_multiplier_scalar, round_half_away
from quantize.support import activation_name

KINDS = ("gru", "simple_rnn")
GATE_PREACT_POWER = -12  # gate pre-activations are int16 Q3.12
GATE_OUT_POWER = -15  # sigmoid and tanh outputs are int16 Q0.15
# The smallest hidden scale: keeps 2^-15 / s_h <= 1/2 (no left shift in the update requantization)
# and the (1 - z) * n term of the update below 2^29 (docs/integer_gru.md, "Overflow").
MIN_HIDDEN_SCALE = 2.0**-14
# A candidate's recurrent part (reset_after=True) is stored at 2^p, p from its a-priori bound,
# between Q3.12 and Q15.0.
MIN_CANDIDATE_POWER, MAX_CANDIDATE_POWER = -12, 0
WEIGHT_QMAX = 127  # symmetric int8 weights use [-127, 127], as TFLite's
BIAS_LIMIT = 2**30  # quantized biases stay below this so the folded zero points fit in int32
_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class RecurrentFloat:
    """A Keras GRU or SimpleRNN layer in float, rows stacked gate by gate (z, r, n for a GRU).

    ``input_bias`` goes with ``W x``, ``recurrent_bias`` with ``U h``: for a GRU with
    reset_after=True the candidate's recurrent bias is multiplied by r, so it must stay on the
    recurrent side; reset_after=False and SimpleRNN have a single bias (all on the input side).
    """

    kind: str  # "gru" or "simple_rnn"
    reset_after: bool  # GRU only; False for SimpleRNN
    kernel: np.ndarray  # float64 [G*H, I]
    recurrent_kernel: np.ndarray  # float64 [G*H, H]
    input_bias: np.ndarray  # float64 [G*H]
    recurrent_bias: np.ndarray  # float64 [G*H]
    return_sequences: bool = True
    name: str = ""

    @property
    def hidden(self) -> int:
        return int(self.recurrent_kernel.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.kernel.shape[1])

    @property
    def gates(self) -> int:
        return 3 if self.kind == "gru" else 1


def recurrent_from_keras(layer: Any) -> RecurrentFloat:
    """The float description of a Keras (3 or tf_keras) GRU or SimpleRNN layer.

    Refuses, naming the option, everything the integer kernel does not compute: other
    activations (a relu SimpleRNN has an unbounded state that no calibrated int8 scale can hold
    safely), state carried between calls, reversed or state-returning layers.
    """
    cls = type(layer).__name__
    config = layer.get_config()

    def refuse(option: str, fix: str) -> UnsupportedModelError:
        return UnsupportedModelError(
            f"layer '{layer.name}' ({cls}): {option} is not supported; {fix}"
        )

    if cls not in ("GRU", "SimpleRNN"):
        raise UnsupportedModelError(f"layer '{layer.name}' ({cls}) is not a GRU or SimpleRNN")
    activation = activation_name(config.get("activation", "tanh"))
    if activation != "tanh":
        raise refuse(f"activation='{activation}'", "keep the default activation='tanh'")
    if cls == "GRU":
        rec = activation_name(config.get("recurrent_activation", "sigmoid"))
        if rec != "sigmoid":
            raise refuse(
                f"recurrent_activation='{rec}'", "keep the default recurrent_activation='sigmoid'"
            )
    for key, fix in (
        ("stateful", "set stateful=False; edge-lstm resets the state per sequence"),
        ("go_backwards", "set go_backwards=False"),
        ("return_state", "set return_state=False"),
        ("time_major", "set time_major=False"),
    ):
        if config.get(key, False):
            raise refuse(f"{key}=True", fix)
    weights = [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
    kernel, recurrent = weights[0].T, weights[1].T
    rows = kernel.shape[0]
    if cls == "GRU":
        reset_after = bool(config.get("reset_after", True))
        if len(weights) == 3 and reset_after:
            in_bias, rec_bias = weights[2][0], weights[2][1]
        elif len(weights) == 3:
            in_bias, rec_bias = weights[2], np.zeros(rows)
        else:
            in_bias, rec_bias = np.zeros(rows), np.zeros(rows)
        kind = "gru"
    else:
        reset_after = False
        in_bias = weights[2] if len(weights) == 3 else np.zeros(rows)
        rec_bias = np.zeros(rows)
        kind = "simple_rnn"
    return RecurrentFloat(
        kind=kind,
        reset_after=reset_after,
        kernel=np.ascontiguousarray(kernel),
        recurrent_kernel=np.ascontiguousarray(recurrent),
        input_bias=np.asarray(in_bias, dtype=np.float64),
        recurrent_bias=np.asarray(rec_bias, dtype=np.float64),
        return_sequences=bool(config.get("return_sequences", False)),
        name=str(layer.name),
    )


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


@dataclass(frozen=True)
class Calibration:
    """Float ranges of one layer over the calibration data (all samples, all time steps)."""

    hidden_min: float
    hidden_max: float
    candidate_recurrent_absmax: float  # max |U_n h + b_rn| (GRU, reset_after=True), else 0
    preact_min: tuple[float, ...]  # per gate block, of the float pre-activation
    preact_max: tuple[float, ...]
    input_min: float
    input_max: float


def float_sequence(f: RecurrentFloat, x: np.ndarray) -> tuple[np.ndarray, Calibration]:
    """The float64 hidden sequence [N, T, H] of x [N, T, I] (h0 = 0) and its ranges.

    A numpy forward instead of Keras because the calibration needs the inner values Keras does
    not expose (every step's h of a return_sequences=False layer, the gate pre-activations, the
    candidate's recurrent part); the tests check it against Keras.
    """
    x = np.asarray(x, dtype=np.float64)
    n, steps, _ = x.shape
    hsz = f.hidden
    ax = x.reshape(n * steps, -1) @ f.kernel.T + f.input_bias
    ax = ax.reshape(n, steps, -1)
    h = np.zeros((n, hsz))
    out = np.empty((n, steps, hsz))
    g = f.gates
    pmin = np.full(g, np.inf)
    pmax = np.full(g, -np.inf)
    cand = 0.0
    u = f.recurrent_kernel
    for t in range(steps):
        if f.kind == "simple_rnn":
            pre = ax[:, t] + h @ u.T + f.recurrent_bias
            pmin[0], pmax[0] = min(pmin[0], pre.min()), max(pmax[0], pre.max())
            h = np.tanh(pre)
        else:
            zr = ax[:, t, : 2 * hsz] + h @ u[: 2 * hsz].T + f.recurrent_bias[: 2 * hsz]
            z, r = _sigmoid(zr[:, :hsz]), _sigmoid(zr[:, hsz:])
            if f.reset_after:
                hn = h @ u[2 * hsz :].T + f.recurrent_bias[2 * hsz :]
                cand = max(cand, float(np.abs(hn).max()))
                pre_n = ax[:, t, 2 * hsz :] + r * hn
            else:
                pre_n = ax[:, t, 2 * hsz :] + (r * h) @ u[2 * hsz :].T
            for k, block in enumerate((zr[:, :hsz], zr[:, hsz:], pre_n)):
                pmin[k], pmax[k] = min(pmin[k], block.min()), max(pmax[k], block.max())
            h = z * h + (1.0 - z) * np.tanh(pre_n)
        out[:, t] = h
    cal = Calibration(
        hidden_min=float(out.min()),
        hidden_max=float(out.max()),
        candidate_recurrent_absmax=cand,
        preact_min=tuple(float(v) for v in pmin),
        preact_max=tuple(float(v) for v in pmax),
        input_min=float(x.min()),
        input_max=float(x.max()),
    )
    return out, cal


def calibrate(f: RecurrentFloat, x: np.ndarray) -> Calibration:
    """The ranges of ``f`` over the float calibration inputs x [N, T, I]."""
    return float_sequence(f, x)[1]


def asymmetric_int8(lo: float, hi: float) -> tuple[float, int]:
    """(scale, zero point) of an int8 range covering [lo, hi] and 0, real 0 exactly representable.

    TFLite's calibrator rule (range widened to include 0, scale = range / 255, zero point rounded
    and clamped); the scale is returned as the float32 value a tensor stores.
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 0.0:
        hi = lo + 1.0
    scale = float(np.float32((hi - lo) / 255.0))
    zp = int(np.clip(round_half_away(-128.0 - lo / scale), -128, 127))
    return scale, zp


HIDDEN_RANGES = ("bound", "calibrated")


def hidden_quantization(cal: Calibration, hidden_range: str = "bound") -> tuple[float, int]:
    """The int8 quantization of the state h.

    Every h of a GRU (a convex mix of 0 and tanh values) and of a tanh SimpleRNN lies in
    (-1, 1). ``"bound"`` (the default) takes that a-priori range for each side the calibration
    used (a state that never went negative gets [0, 1], twice the resolution);
    ``"calibrated"`` takes the calibrated min/max (TFLite's rule for activations). A state that
    saturates feeds its error back at every step: with inputs 3x wider than the calibration data
    the calibrated range gave 0.21 max abs error against float, the bound 0.012
    (docs/integer_gru.md), for 25 % more mean error inside the calibrated range.
    """
    if hidden_range not in HIDDEN_RANGES:
        raise ValueError(f"hidden_range must be one of {HIDDEN_RANGES}, not {hidden_range!r}")
    lo, hi = min(cal.hidden_min, 0.0), max(cal.hidden_max, 0.0)
    if hidden_range == "bound":
        lo, hi = (-1.0 if lo < 0 else 0.0), (1.0 if hi > 0 else 0.0)
        if lo == hi:  # a state that never moved: any range holds it
            lo, hi = -1.0, 1.0
    lo, hi = max(lo, -1.0), min(hi, 1.0)
    if hi - lo < 255 * MIN_HIDDEN_SCALE * 1.01:
        hi = lo + 255 * MIN_HIDDEN_SCALE * 1.01
    return asymmetric_int8(lo, hi)


def candidate_power(
    recurrent_kernel_n: np.ndarray, recurrent_bias_n: np.ndarray, hidden_absmax: float
) -> int:
    """The power p of the int16 scale 2^p of the candidate's recurrent part U_n h + b_rn.

    This part is multiplied by r before it meets the rest of the candidate, so clipping it
    would be an error even when the final sum is small. Its range has an a-priori bound,
    |U_n h + b_rn| <= sum_k |U_n[j, k]| * max|h| + |b_rn[j]|, so p is the smallest power from
    Q3.12 (p = -12) up that holds the bound: no input can saturate it, and each step of p costs
    one bit of a term whose rounding (2^p) stays far below a step of h for any p < -7.
    """
    bound = np.abs(recurrent_kernel_n).sum(axis=1) * hidden_absmax + np.abs(recurrent_bias_n)
    need = float(bound.max(initial=0.0))
    p = MIN_CANDIDATE_POWER
    while p < MAX_CANDIDATE_POWER and need > 32767 * 2.0**p:
        p += 1
    return p


@dataclass(frozen=True)
class QuantizedRecurrent:
    """One layer as a .tflite stores it: int8 weights, int32 biases, tensor quantization, options.

    The weight scales are per output row ("per channel"), float32; the biases are quantized at
    s_x * s_W[row] (input side) and s_h * s_U[row] (recurrent side), without zero points.
    """

    kind: str
    reset_after: bool
    return_sequences: bool
    time_steps: int
    input_size: int
    hidden: int
    input_scale: float  # float32 values
    input_zero_point: int
    hidden_scale: float  # the state h (and, for reset_after=False, r * h)
    hidden_zero_point: int
    output_scale: float  # the output tensor; equal to the state's unless a consumer chose another
    output_zero_point: int
    w_x: np.ndarray  # int8 [G*H, I]
    w_x_scale: np.ndarray  # float32 [G*H]
    w_h: np.ndarray  # int8 [G*H, H]
    w_h_scale: np.ndarray  # float32 [G*H]
    b_x: np.ndarray  # int32 [G*H]
    b_h: np.ndarray  # int32 [G*H]
    candidate_power: int  # -12 except GRU reset_after=True with a wide bound of U_n h + b_rn

    @property
    def gates(self) -> int:
        return 3 if self.kind == "gru" else 1


def _quantize_rows(
    w: np.ndarray, bias: np.ndarray, other_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row symmetric int8 weights and the bias at other_scale * s_W[row].

    A row's scale is max|row| / 127, raised where needed so the bias stays below 2^30 (a tiny row
    with a large bias would otherwise overflow int32); an all-zero row takes the matrix's scale so
    its bias keeps a fine step.
    """
    absmax = np.abs(w).max(axis=1) if w.shape[1] else np.zeros(w.shape[0])
    fallback = float(np.abs(w).max()) if w.size else 0.0
    fallback = fallback if fallback > 0 else 1.0
    scale = np.where(absmax > 0, absmax, fallback) / WEIGHT_QMAX
    needed = np.abs(bias) / (other_scale * (BIAS_LIMIT - 1))
    scale = np.maximum(scale, needed).astype(np.float32)
    s64 = scale.astype(np.float64)
    q = np.clip(round_half_away(w / s64[:, None]), -WEIGHT_QMAX, WEIGHT_QMAX).astype(np.int8)
    bq = round_half_away(bias / (float(np.float32(other_scale)) * s64))
    bq = np.clip(bq, -(BIAS_LIMIT - 1), BIAS_LIMIT - 1).astype(np.int32)
    return q, scale, bq


def quantize_recurrent(
    f: RecurrentFloat,
    cal: Calibration,
    input_quant: tuple[float, int],
    time_steps: int,
    output_quant: tuple[float, int] | None = None,
    hidden_range: str = "bound",
) -> QuantizedRecurrent:
    """Quantize a layer from its float weights and calibration ranges.

    ``input_quant`` is the (scale, zero point) of the int8 tensor that feeds the layer (the model
    input's, or the previous layer's output); ``output_quant`` that of the output tensor when a
    consumer fixed it (otherwise the state's quantization, and the op copies h out unchanged).
    """
    s_x, zp_x = float(np.float32(input_quant[0])), int(input_quant[1])
    s_h, zp_h = hidden_quantization(cal, hidden_range)
    s_out, zp_out = (s_h, zp_h) if output_quant is None else output_quant
    w_x, w_x_scale, b_x = _quantize_rows(f.kernel, f.input_bias, s_x)
    w_h, w_h_scale, b_h = _quantize_rows(f.recurrent_kernel, f.recurrent_bias, s_h)
    p = MIN_CANDIDATE_POWER
    if f.kind == "gru" and f.reset_after:
        # the bound from the quantized weights and the largest |h| the int8 state can hold
        hmax = s_h * max(128 + zp_h, 127 - zp_h)
        rows = slice(2 * f.hidden, 3 * f.hidden)
        u_n = w_h[rows].astype(np.float64) * w_h_scale[rows, None].astype(np.float64)
        b_n = b_h[rows].astype(np.float64) * s_h * w_h_scale[rows].astype(np.float64)
        p = candidate_power(u_n, b_n, hmax)
    return QuantizedRecurrent(
        kind=f.kind,
        reset_after=f.reset_after,
        return_sequences=f.return_sequences,
        time_steps=int(time_steps),
        input_size=f.input_size,
        hidden=f.hidden,
        input_scale=s_x,
        input_zero_point=zp_x,
        hidden_scale=s_h,
        hidden_zero_point=zp_h,
        output_scale=float(np.float32(s_out)),
        output_zero_point=int(zp_out),
        w_x=w_x,
        w_x_scale=w_x_scale,
        w_h=w_h,
        w_h_scale=w_h_scale,
        b_x=b_x,
        b_h=b_h,
        candidate_power=p,
    )


@dataclass(frozen=True)
class GruParams:
    """Every integer constant of one int8 GRU or SimpleRNN layer (docs/integer_gru.md).

    Row blocks of the [G*H] arrays: z, r, n (GRU) or the single block (SimpleRNN). With x and h
    the raw int8 values, a gate part is ``sat16(MBQM(W_x @ x + input_bias, input_multiplier,
    input_shift))`` (and the same with ``w_h``, ``recurrent_*``): the zero points are folded into
    the biases. The n rows of the recurrent side of a reset_after=True GRU come out at
    2^candidate_power instead of Q3.12.
    """

    kind: str
    reset_after: bool
    return_sequences: bool
    time_steps: int
    input_size: int
    hidden: int
    input_zero_point: int
    hidden_zero_point: int
    output_zero_point: int
    w_x: np.ndarray  # int8 [G*H, I]
    w_h: np.ndarray  # int8 [G*H, H]
    input_bias: np.ndarray  # int32 [G*H]: b_x - zp_x * rowsum(w_x)
    recurrent_bias: np.ndarray  # int32 [G*H]: b_h - zp_h * rowsum(w_h)
    input_multiplier: np.ndarray  # int32 [G*H]: s_x * s_W[row] / 2^-12
    input_shift: np.ndarray  # int32 [G*H]
    recurrent_multiplier: np.ndarray  # int32 [G*H]: s_h * s_U[row] / 2^-12 (n rows: / 2^p)
    recurrent_shift: np.ndarray  # int32 [G*H]
    candidate_power: int  # p of the n rows' recurrent part (reset_after=True), else -12
    candidate_shift: int  # 3 - p: right shift of r * (U_n h + b_rn) down to Q3.12
    hidden_multiplier: int  # 2^-15 / s_h: a Q0.15 (x Q0.15 / 2^15) value to h units
    hidden_shift: int
    output_multiplier: int  # s_h / s_out (0 when the output has the state's quantization)
    output_shift: int

    @property
    def gates(self) -> int:
        return 3 if self.kind == "gru" else 1

    @property
    def requantize_output(self) -> bool:
        return self.output_multiplier != 0

    def rows(self, gate: int) -> slice:
        return slice(gate * self.hidden, (gate + 1) * self.hidden)


def _check_accumulator(
    w: np.ndarray, bias: np.ndarray, shift: np.ndarray, what: str, name: str
) -> None:
    """Refuse a layer whose int32 accumulator could overflow before or in its requantization.

    |w . (v - zp) + bias| <= sum|w| * 255 + |bias| for any int8 v; MBQM shifts it left by
    max(shift, 0) in int32 first. Within these bounds the integer kernel is exact for every input.
    """
    bound = np.abs(w.astype(np.int64)).sum(axis=1) * 255 + np.abs(bias.astype(np.int64))
    worst = int((bound << np.maximum(shift.astype(np.int64), 0)).max(initial=0))
    if worst > _INT32_MAX:
        raise UnsupportedModelError(
            f"{name}: the {what} accumulator can reach {worst} > 2^31 - 1 for some int8 input; "
            "the layer's weights or scales are out of the int8 kernel's range"
        )


def gru_params(q: QuantizedRecurrent, name: str = "recurrent layer") -> GruParams:
    """The integer constants of a quantized layer (from the quantizer or read from a .tflite).

    Scales enter as float64 products of the float32 values the tensors store (as TFLite Micro's
    per-channel FULLY_CONNECTED does), so both sources give the same integers.
    """
    if q.kind not in KINDS:
        raise UnsupportedModelError(f"{name}: unknown recurrent kind {q.kind!r}")
    hsz, g = q.hidden, q.gates
    if q.w_x.shape != (g * hsz, q.input_size) or q.w_h.shape != (g * hsz, hsz):
        raise UnsupportedModelError(
            f"{name}: weight shapes {q.w_x.shape} / {q.w_h.shape} do not match "
            f"{g} gate blocks of {hsz} units and {q.input_size} inputs"
        )
    s_x = float(np.float32(q.input_scale))
    s_h = float(np.float32(q.hidden_scale))
    s_out = float(np.float32(q.output_scale))
    if s_h < MIN_HIDDEN_SCALE:
        raise UnsupportedModelError(f"{name}: hidden scale {s_h} is below 2^-14")
    p = int(q.candidate_power)
    if not MIN_CANDIDATE_POWER <= p <= MAX_CANDIDATE_POWER:
        raise UnsupportedModelError(f"{name}: candidate power {p} is outside [-12, 0]")
    w_x = q.w_x.astype(np.int8)
    w_h = q.w_h.astype(np.int8)
    input_bias = q.b_x.astype(np.int64) - q.input_zero_point * w_x.astype(np.int64).sum(axis=1)
    recurrent_bias = q.b_h.astype(np.int64) - q.hidden_zero_point * w_h.astype(np.int64).sum(axis=1)
    in_real = s_x * q.w_x_scale.astype(np.float32).astype(np.float64) / 2.0**GATE_PREACT_POWER
    rec_den = np.full(g * hsz, 2.0**GATE_PREACT_POWER)
    if q.kind == "gru" and q.reset_after:
        rec_den[2 * hsz :] = 2.0**p
    rec_real = s_h * q.w_h_scale.astype(np.float32).astype(np.float64) / rec_den
    im, ish = quantize_multiplier(in_real)
    rm, rsh = quantize_multiplier(rec_real)
    _check_accumulator(w_x, input_bias, ish, "input", name)
    _check_accumulator(w_h, recurrent_bias, rsh, "recurrent", name)
    hm, hs = quantize_multiplier_scalar(2.0**GATE_OUT_POWER / s_h)
    if s_out == s_h and q.output_zero_point == q.hidden_zero_point:
        om, os_ = 0, 0
    else:
        om, os_ = quantize_multiplier_scalar(s_h / s_out)
        if os_ > 0:
            # a left shift of (h - zp_h) by more than 23 bits could leave int32
            if os_ > 23:
                raise UnsupportedModelError(f"{name}: output scale ratio {s_h / s_out} too large")
    i32 = np.int32
    return GruParams(
        kind=q.kind,
        reset_after=bool(q.reset_after),
        return_sequences=bool(q.return_sequences),
        time_steps=int(q.time_steps),
        input_size=int(q.input_size),
        hidden=hsz,
        input_zero_point=int(q.input_zero_point),
        hidden_zero_point=int(q.hidden_zero_point),
        output_zero_point=int(q.output_zero_point),
        w_x=w_x,
        w_h=w_h,
        input_bias=input_bias.astype(i32),
        recurrent_bias=recurrent_bias.astype(i32),
        input_multiplier=im.astype(i32),
        input_shift=ish.astype(i32),
        recurrent_multiplier=rm.astype(i32),
        recurrent_shift=rsh.astype(i32),
        candidate_power=p,
        candidate_shift=3 - p,
        hidden_multiplier=hm,
        hidden_shift=hs,
        output_multiplier=om,
        output_shift=os_,
    )


def quantize_layer(
    layer: Any,
    x_calib: np.ndarray,
    input_quant: tuple[float, int] | None = None,
    output_quant: tuple[float, int] | None = None,
    hidden_range: str = "bound",
) -> QuantizedRecurrent:
    """Quantize a Keras GRU/SimpleRNN layer from its float calibration inputs x [N, T, I].

    Without ``input_quant`` the input quantization is calibrated from x (min/max, as the TFLite
    converter does for a model input).
    """
    f = recurrent_from_keras(layer)
    cal = calibrate(f, x_calib)
    if input_quant is None:
        input_quant = asymmetric_int8(cal.input_min, cal.input_max)
    return quantize_recurrent(
        f, cal, input_quant, int(x_calib.shape[1]), output_quant, hidden_range
    )


def preact_saturation(cal: Calibration) -> float:
    """How far (in units of the Q3.12 limit 8) the calibration's pre-activations went: > 1 clips."""
    peak = max(max(abs(v) for v in cal.preact_min), max(abs(v) for v in cal.preact_max))
    return peak / 8.0 if math.isfinite(peak) else 0.0
