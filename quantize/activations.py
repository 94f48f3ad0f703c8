"""The int16 sigmoid and tanh of the int8 LSTM, in the two variants that real runtimes compute.

``tflm``: TFLite Micro's int16 Logistic/Tanh (reference_integer_ops, logistic.h and tanh.h): a
256-entry table of sigmoid(i/24) in Q0.16 with linear interpolation on |x|, tanh through the same
table as 2*sigmoid(2x) - 1. Its LSTM kernel calls them with the gate pre-activation in Q3.12 and
with tanh(c) at the cell scale 2^p.

``litert``: the LiteRT interpreter's LSTM (portable_tensor_utils.cc ApplySigmoid/ApplyTanh):
gemmlowp's exp-based fixed-point logistic and tanh on int16 raw values.

The two differ by a few LSB; which one the reference uses decides which runtime it matches bit for
bit. ``activation_error_table`` measures both against float over every int16 input.

The reference knows three runtimes (``RUNTIMES``); tflite-runtime 2.14 computes the ``litert``
activations (it differs from ai-edge-litert only in the rounding of FULLY_CONNECTED).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from quantize.fixedpoint import as_i64, gemmlowp_logistic, gemmlowp_tanh, wrap

Variant = Literal["tflm", "litert"]
VARIANTS: tuple[Variant, ...] = ("tflm", "litert")
# the runtimes the reference reproduces, and the activation variant each one computes
RUNTIMES: tuple[str, ...] = ("tflm", "litert", "tflite-runtime")
_RUNTIME_ACTIVATIONS: dict[str, Variant] = {
    "tflm": "tflm",
    "litert": "litert",
    "tflite-runtime": "litert",
}


def activation_variant(runtime: str) -> Variant:
    """The activation variant ("tflm" or "litert") that ``runtime`` (one of RUNTIMES) computes."""
    if runtime not in _RUNTIME_ACTIVATIONS:
        raise ValueError(f"unknown activation variant {runtime!r}; choose one of {RUNTIMES}")
    return _RUNTIME_ACTIVATIONS[runtime]


# sigmoid(i / 24) in Q0.16 for i = 0..255, exactly the values of TFLite's
# `sigmoid_table_uint16` (tensorflow/lite/kernels/internal/common.h). They are not reproducible
# by one rounding formula (about 40 entries are 1 above round(65536 * sigmoid)), so they are data;
# tests/test_activations.py recovers every entry independently from the TFLite Micro runtime.
SIGMOID_TABLE_Q16 = np.array(
    [32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
     40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
     46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
     52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
     56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
     59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
     61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
     62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
     63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
     64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
     64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
     65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
     65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
     65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
     65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
     65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
     65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
     65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
     65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
     65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
     65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
     65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
     65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
     65534, 65534, 65535],
    dtype=np.int64,
)  # fmt: skip

GATE_INPUT_POWER = -12  # gate pre-activations are Q3.12
OUTPUT_POWER = -15  # activation outputs are Q0.15


def _prescale(x: np.ndarray, input_multiplier: int, input_left_shift: int) -> np.ndarray:
    """The input scaling both TFLM kernels share; multiplier 0 means "3 << shift, no shift"."""
    if input_multiplier == 0:
        input_multiplier, input_left_shift = 3 << input_left_shift, 0
    rnd = (1 << (input_left_shift - 1)) if input_left_shift > 0 else 0
    return (as_i64(x) * input_multiplier + rnd) >> input_left_shift


def _table_interpolate(a: np.ndarray, frac_bits: int, top: int) -> np.ndarray:
    """Linear interpolation in the 256-entry table for |x| (``top`` past its last entry)."""
    uh = a >> frac_bits
    idx = np.minimum(uh, 254)
    ua, ub = SIGMOID_TABLE_Q16[idx], SIGMOID_TABLE_Q16[idx + 1]
    mask = (1 << frac_bits) - 1
    return np.where(uh >= 255, top, (ua << frac_bits) + (a & mask) * (ub - ua))


def tflm_logistic_int16(
    x: np.ndarray, input_multiplier: int = 0, input_left_shift: int = 0
) -> np.ndarray:
    """reference_integer_ops::Logistic for int16 (Q3.12 in with the defaults, Q0.15 out)."""
    v = _prescale(x, input_multiplier, input_left_shift)
    res = _table_interpolate(np.abs(v), 9, 0x7FFF << 10)
    res = np.where(v >= 0, res + (1 << 9), (1 << 25) - res + (1 << 9) - 1)
    return wrap(res >> 10, 16)


def tflm_tanh_int16(
    x: np.ndarray, input_multiplier: int = 0, input_left_shift: int = 0
) -> np.ndarray:
    """reference_integer_ops::Tanh for int16 (Q3.12 in with the defaults, Q0.15 out)."""
    v = _prescale(x, input_multiplier, input_left_shift)
    res = _table_interpolate(np.abs(v), 8, 0xFFFF << 8)
    res = np.where(v >= 0, res - (1 << 23) + (1 << 7), -res + (1 << 23) + (1 << 7) - 1)
    return wrap(res >> 8, 16)


def tflm_cell_tanh_args(cell_power: int) -> tuple[int, int]:
    """(input_multiplier, input_left_shift) that TFLM's LSTM passes to Tanh for c at 2^p."""
    shift = (15 + cell_power) - 3
    if shift < 0:
        return 3, -shift
    return 0, shift


@dataclass(frozen=True)
class LstmActivations:
    """The three activations of one LSTM step for a given variant and cell scale 2^p."""

    variant: Variant

    def gate_sigmoid(self, x: np.ndarray) -> np.ndarray:
        """Q3.12 -> Q0.15 sigmoid of the i, f and o gates."""
        if self.variant == "tflm":
            return tflm_logistic_int16(x)
        return gemmlowp_logistic(x, 3, 16)

    def gate_tanh(self, x: np.ndarray) -> np.ndarray:
        """Q3.12 -> Q0.15 tanh of the cell gate g."""
        if self.variant == "tflm":
            return tflm_tanh_int16(x)
        return gemmlowp_tanh(x, 3, 16)

    def cell_tanh(self, c: np.ndarray, cell_power: int) -> np.ndarray:
        """tanh of the int16 cell state at scale 2^cell_power, Q0.15 out."""
        if self.variant == "tflm":
            return tflm_tanh_int16(c, *tflm_cell_tanh_args(cell_power))
        return gemmlowp_tanh(c, 15 + cell_power, 16)


def lstm_activations(variant: str) -> LstmActivations:
    """The LSTM activations of a runtime: "tflm", "litert" or "tflite-runtime" (= "litert")."""
    return LstmActivations(activation_variant(variant))


@dataclass(frozen=True)
class ActivationError:
    variant: str
    function: str  # "sigmoid" or "tanh"
    max_abs_error: float
    mean_abs_error: float
    max_abs_error_lsb: float  # in units of the Q0.15 output LSB (2^-15)


def activation_error_table() -> list[ActivationError]:
    """Max and mean |error| vs float64 of the gate sigmoid and tanh, over all 65,536 inputs.

    Inputs are the Q3.12 gate pre-activations (real value x / 4096), outputs Q0.15. This is the
    accuracy cost of each runtime's approximation, independent of any model.
    """
    x = np.arange(-32768, 32768, dtype=np.int64)
    real = x / 4096.0
    exact = {"sigmoid": 1.0 / (1.0 + np.exp(-real)), "tanh": np.tanh(real)}
    rows = []
    for variant in VARIANTS:
        act = lstm_activations(variant)
        got = {"sigmoid": act.gate_sigmoid(x), "tanh": act.gate_tanh(x)}
        for fn in ("sigmoid", "tanh"):
            err = np.abs(got[fn] / 32768.0 - exact[fn])
            rows.append(
                ActivationError(
                    variant, fn, float(err.max()), float(err.mean()), float(err.max() * 32768)
                )
            )
    return rows


# --- int8 softmax (output scale 1/256, zero point -128) ----------------------------------------


def _softmax_tflm(x: np.ndarray, input_scale: float, beta: float) -> np.ndarray:
    """reference_ops::Softmax for int8 -> int8 (reference/softmax.h, softmax_common.cc)."""
    from quantize.fixedpoint import (
        count_leading_zeros_u32,
        exp_on_negative_values,
        multiply_by_quantized_multiplier_gt_one,
        one_over_one_plus_x_for_x_in_0_1,
        rounding_divide_by_pot,
        srdhm,
    )
    from quantize.op_params import SOFTMAX_ACC_INT_BITS, SOFTMAX_DIFF_INT_BITS, softmax_params

    params = softmax_params(input_scale, beta)
    mult, left_shift = params.input_multiplier, params.input_left_shift
    diff_min = params.diff_min
    xi = as_i64(x)
    diff = xi - xi.max(axis=-1, keepdims=True)
    valid = diff >= diff_min
    scaled = multiply_by_quantized_multiplier_gt_one(diff, mult, left_shift)
    exps = exp_on_negative_values(scaled, SOFTMAX_DIFF_INT_BITS, 32)
    rescaled = rounding_divide_by_pot(exps, SOFTMAX_ACC_INT_BITS)
    total = wrap(np.where(valid, rescaled, 0).sum(axis=-1, keepdims=True), 32)
    clz = count_leading_zeros_u32(total)
    num_bits_over_unit = SOFTMAX_ACC_INT_BITS - clz
    shifted_minus_one = wrap(((total & 0xFFFFFFFF) << clz) - (1 << 31), 32)
    shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_minus_one, 32)
    exponent = num_bits_over_unit + 31 - 8
    out = rounding_divide_by_pot(srdhm(shifted_scale, exps), exponent) - 128
    out = np.where(valid, np.clip(out, -128, 127), -128)
    return out.astype(np.int8)


def _softmax_litert(x: np.ndarray, input_scale: float, beta: float) -> np.ndarray:
    """optimized_ops::Softmax for int8 -> int8: a float32 exp table and float32 normalization."""
    import math

    scale = np.float32(-np.float32(input_scale) * np.float32(beta))
    table = np.array(
        [np.float32(math.exp(float(np.float32(scale * np.float32(255 - k))))) for k in range(256)],
        dtype=np.float32,
    )
    xi = as_i64(x)
    mx = xi.max(axis=-1, keepdims=True)
    vals = table[255 - mx + xi]  # table_offset[x] with table_offset = table + 255 - max
    total = np.zeros(x.shape[:-1], dtype=np.float32)
    for j in range(x.shape[-1]):
        total = (total + vals[..., j]).astype(np.float32)
    inv = (np.float32(1.0) / (total * np.float32(1.0 / 256))).astype(np.float32)
    prob = (vals * inv[..., None]).astype(np.float32)
    from quantize.fixedpoint import round_half_away

    q = round_half_away(prob.astype(np.float64)) - 128
    return np.clip(q, -128, 127).astype(np.int8)


def softmax_int8(x: np.ndarray, input_scale: float, beta: float, variant: str) -> np.ndarray:
    """Softmax over the last axis, int8 in, int8 out at scale 1/256 and zero point -128."""
    if activation_variant(variant) == "tflm":
        return _softmax_tflm(x, input_scale, beta)
    return _softmax_litert(x, input_scale, beta)
