"""Bit-exact numpy reference of the integer GRU and SimpleRNN (docs/integer_gru.md).

Vectorized over samples, looping over time steps, like the LSTM of ``quantize.reference``: the
input half of every gate for all steps is one matrix product, the recurrent half one product per
step. The arithmetic is edge-lstm's own (no runtime has these kernels), so there is one variant:
the activations are always TFLite Micro's int16 sigmoid and tanh, the ones the C kernel computes.
"""

from __future__ import annotations

import numpy as np

from quantize.activations import tflm_logistic_int16, tflm_tanh_int16
from quantize.fixedpoint import multiply_by_quantized_multiplier, rounding_divide_by_pot, saturate
from quantize.gru_params import GruParams

Q15_ONE = 1 << 15  # 1.0 in Q0.15; sigmoid outputs are at most 32767, so 1 - z >= 1


def _matmul_exact(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Integer a @ w.T through BLAS: float32 while every partial sum stays below 2^24, else float64.

    |a| <= 128 and |w| <= 127 here, so the sums are integers the float type holds exactly.
    """
    exact32 = 128 * 128 * w.shape[1] < 2**24
    ftype = np.float32 if exact32 else np.float64
    return (a.astype(ftype) @ w.astype(ftype).T).astype(np.int64)


def _requantize16(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    return saturate(multiply_by_quantized_multiplier(acc, mult, shift), 16)


def recurrent_step(p: GruParams, gx: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One time step: the input parts gx [N, G*H] (Q3.12, already requantized) and h [N, H].

    Returns the new int8 state (as int64 values). ``gx`` is the input FC of this step,
    ``sat16(MBQM(W_x x + input_bias))``, which does not depend on the state.
    """
    hsz, zp_h = p.hidden, p.hidden_zero_point
    if p.kind == "simple_rnn":
        acc = _matmul_exact(h, p.w_h) + p.recurrent_bias.astype(np.int64)
        gh = _requantize16(acc, p.recurrent_multiplier, p.recurrent_shift)
        t = tflm_tanh_int16(saturate(gx + gh, 16))
        hv = multiply_by_quantized_multiplier(t, p.hidden_multiplier, p.hidden_shift)
        return saturate(hv + zp_h, 8)
    zr = slice(0, 2 * hsz)
    nn = slice(2 * hsz, 3 * hsz)
    if p.reset_after:
        acc = _matmul_exact(h, p.w_h) + p.recurrent_bias.astype(np.int64)
        gh = _requantize16(acc, p.recurrent_multiplier, p.recurrent_shift)
    else:
        acc = _matmul_exact(h, p.w_h[zr]) + p.recurrent_bias[zr].astype(np.int64)
        gh = _requantize16(acc, p.recurrent_multiplier[zr], p.recurrent_shift[zr])
    z = tflm_logistic_int16(saturate(gx[:, :hsz] + gh[:, :hsz], 16))
    r = tflm_logistic_int16(saturate(gx[:, hsz : 2 * hsz] + gh[:, hsz : 2 * hsz], 16))
    d = h - zp_h  # the state as a signed offset, |d| <= 255
    if p.reset_after:
        # r (Q0.15) * U_n h + b_rn (2^p): one rounding shift down to Q3.12, then one saturation
        pre_n = saturate(
            gx[:, nn] + rounding_divide_by_pot(r * gh[:, 2 * hsz :], p.candidate_shift), 16
        )
    else:
        # r * h requantized to h's own int8 quantization (|r * d| <= |d|: never saturates)
        rh = saturate(rounding_divide_by_pot(r * d, 15) + zp_h, 8)
        acc_n = _matmul_exact(rh, p.w_h[nn]) + p.recurrent_bias[nn].astype(np.int64)
        gh_n = _requantize16(acc_n, p.recurrent_multiplier[nn], p.recurrent_shift[nn])
        pre_n = saturate(gx[:, nn] + gh_n, 16)
    n = tflm_tanh_int16(pre_n)
    # h' = z h + (1 - z) n in units of s_h * 2^-15, then one rounding shift to int8
    mixed = multiply_by_quantized_multiplier((Q15_ONE - z) * n, p.hidden_multiplier, p.hidden_shift)
    acc_h = z * d + mixed
    return saturate(rounding_divide_by_pot(acc_h, 15) + zp_h, 8)


def input_parts(p: GruParams, x: np.ndarray) -> np.ndarray:
    """The requantized input FC of every step at once: x [N, T, I] int8 -> [N, T, G*H] Q3.12."""
    n, steps, _ = x.shape
    acc = _matmul_exact(x.reshape(n * steps, -1).astype(np.int64), p.w_x)
    acc = acc + p.input_bias.astype(np.int64)
    return _requantize16(acc, p.input_multiplier, p.input_shift).reshape(n, steps, -1)


def output_values(p: GruParams, h: np.ndarray) -> np.ndarray:
    """The state as the output tensor stores it: h itself, or requantized to the output's scale."""
    if not p.requantize_output:
        return h
    d = h - p.hidden_zero_point
    y = multiply_by_quantized_multiplier(d, p.output_multiplier, p.output_shift)
    return saturate(y + p.output_zero_point, 8)


def recurrent_sequence(p: GruParams, x: np.ndarray) -> np.ndarray:
    """Run int8 sequences x [N, T, I] from h = zp_h; the int8 output [N, T, H] of every step.

    The output of a return_sequences=False layer is the last step of this ([:, -1]).
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != p.input_size:
        raise ValueError(f"expected int8 inputs [N, T, {p.input_size}], got {list(x.shape)}")
    n, steps, _ = x.shape
    gx = input_parts(p, x)
    h = np.full((n, p.hidden), p.hidden_zero_point, dtype=np.int64)
    out = np.empty((n, steps, p.hidden), dtype=np.int8)
    for t in range(steps):
        h = recurrent_step(p, gx[:, t], h)
        out[:, t] = output_values(p, h)
    return out


def dequantize_hidden(p_scale: float, p_zero_point: int, q: np.ndarray) -> np.ndarray:
    """Real values of int8 h: scale * (q - zero_point) in float64."""
    return float(np.float32(p_scale)) * (q.astype(np.float64) - p_zero_point)
