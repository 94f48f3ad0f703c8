"""UNIDIRECTIONAL_SEQUENCE_LSTM: int8 input and hidden state, int16 cell state and gates.

Every sequence starts from h = zp_h, c = 0. The input half of every gate does not depend on the
state, so it is computed for all steps at once; only the recurrent half loops over time.
"""

from __future__ import annotations

import numpy as np

from quantize.activations import activation_variant, lstm_activations
from quantize.fixedpoint import (
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturate,
    wrap,
)
from quantize.ir import Model, Operator
from quantize.kernels.common import Env, matmul_exact, store
from quantize.lstm_params import LstmParams, lstm_params


def lstm_sequence(p: LstmParams, x: np.ndarray, variant: str) -> np.ndarray:
    """Run a whole int8 sequence batch x [N, T, I] -> h sequence [N, T, H] int8."""
    act = lstm_activations(variant)
    variant = activation_variant(variant)  # the LSTM of tflite-runtime 2.14 is LiteRT's
    n, t_steps, _ = x.shape
    hsz = p.hidden
    # the input half of every gate for every step at once: it does not depend on the state
    acc_x = matmul_exact(x.reshape(n * t_steps, -1), p.w_x, 128) + p.input_bias.astype(np.int64)
    gx = saturate(multiply_by_quantized_multiplier(acc_x, p.input_multiplier, p.input_shift), 16)
    gx = gx.reshape(n, t_steps, 4 * hsz)
    h = np.full((n, hsz), p.hidden_zero_point, dtype=np.int64)
    c = np.zeros((n, hsz), dtype=np.int64)
    out = np.empty((n, t_steps, hsz), dtype=np.int8)
    rec_bias = p.recurrent_bias.astype(np.int64)
    w_h = p.w_h.astype(np.float32 if 128 * 128 * hsz < 2**24 else np.float64)
    for t in range(t_steps):
        acc_h = matmul_exact(h, w_h, 128) + rec_bias
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


def lstm(model: Model, op: Operator, env: Env, variant: str) -> None:
    p = lstm_params(model, op, activation_variant(variant))
    x = env[op.inputs[0]]
    n = x.shape[0]
    seq = lstm_sequence(p, x.reshape(n, p.time_steps, p.input_size), variant)
    store(model, op, env, seq)
