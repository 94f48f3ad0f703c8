"""Exact integer primitives of TFLite's and gemmlowp's fixed-point arithmetic, vectorized.

Every function takes and returns numpy integer arrays (int64 holding the C value of the
narrower type) so that one call processes a whole batch of samples. The point of this module is
that the numpy reference, the generated C code and the TFLite Micro kernels round the same way:
each function mirrors one C helper named in its docstring, including its wrap-around and
saturation corners, and the tests compare them against the TFLite Micro runtime.

Learned from tensorflow/lite/kernels/internal/common.h, common.cc, quantization_util.cc and
gemmlowp's fixedpoint/fixedpoint.h.
"""

from __future__ import annotations

import math

import numpy as np

IntArray = np.ndarray
ArrayLike = int | np.integer | np.ndarray

INT8_MIN, INT8_MAX = -128, 127
INT16_MIN, INT16_MAX = -32768, 32767
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_LIMITS = {8: (INT8_MIN, INT8_MAX), 16: (INT16_MIN, INT16_MAX), 32: (INT32_MIN, INT32_MAX)}


def as_i64(x: ArrayLike) -> IntArray:
    """Widen to int64, the working type in which every intermediate is exact."""
    return np.asarray(x, dtype=np.int64)


def wrap(x: ArrayLike, bits: int) -> IntArray:
    """Two's-complement wrap to ``bits`` (what a C cast or overflowing add does in practice)."""
    x = as_i64(x)
    half = np.int64(1) << np.int64(bits - 1)
    return ((x + half) & ((half << np.int64(1)) - np.int64(1))) - half


def saturate(x: ArrayLike, bits: int) -> IntArray:
    """Clamp to the signed range of ``bits`` (std::min/std::max before a narrowing cast)."""
    lo, hi = _LIMITS[bits]
    return np.clip(as_i64(x), lo, hi)


def saturate_to(x: ArrayLike, dtype: str | type) -> np.ndarray:
    """Clamp and cast to a numpy integer dtype such as int8 or int16."""
    info = np.iinfo(dtype)
    return np.clip(as_i64(x), info.min, info.max).astype(dtype)


def round_half_away(x: np.ndarray | float) -> np.ndarray:
    """C's std::round (TfLiteRound): halves go away from zero, unlike numpy's banker's rounding."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(scale: float | np.ndarray) -> tuple[IntArray, IntArray]:
    """QuantizeMultiplier: a real scale as a Q0.31 multiplier and a power-of-two shift.

    ``scale == multiplier * 2**(shift - 31)``, multiplier in [2**30, 2**31) or 0. The scale must
    already be the float64 value the C code computes (including any float32 products), because
    the rounding of q * 2**31 is where two implementations would silently disagree.
    """
    s = np.asarray(scale, dtype=np.float64)
    q, shift = np.frexp(s)
    q_fixed = round_half_away(q * float(1 << 31)).astype(np.int64)
    shift = shift.astype(np.int64)
    full = q_fixed == (1 << 31)
    q_fixed = np.where(full, q_fixed // 2, q_fixed)
    shift = np.where(full, shift + 1, shift)
    tiny = shift < -31
    q_fixed = np.where(tiny, 0, q_fixed)
    shift = np.where(tiny | (s == 0.0), 0, shift)
    q_fixed = np.where(s == 0.0, 0, q_fixed)
    return q_fixed, shift


def quantize_multiplier_scalar(scale: float) -> tuple[int, int]:
    """Scalar QuantizeMultiplier, for per-tensor parameters stored as plain ints."""
    m, s = quantize_multiplier(np.float64(scale))
    return int(m), int(s)


def _trunc_div_pot(n: IntArray, bits: int) -> IntArray:
    """C integer division by 2**bits (rounds toward zero, unlike numpy's floor division)."""
    return np.where(n >= 0, n >> bits, -((-n) >> bits))


def _srdhm_no_overflow(a: IntArray, b: IntArray, bits: int) -> IntArray:
    """srdhm without the min*min corner: branch-free nudge and truncating division."""
    ab = a * b
    low = np.int64((1 << (bits - 1)) - 1)
    nudge = np.int64(1 << (bits - 2)) - ((ab >> 63) & low)  # 1 - 2**(bits-2) when ab < 0
    n = ab + nudge
    return (n + ((n >> 63) & low)) >> (bits - 1)  # C division: rounds toward zero


def srdhm(a: ArrayLike, b: ArrayLike, bits: int = 32) -> IntArray:
    """gemmlowp SaturatingRoundingDoublingHighMul for int32 (bits=32) or int16 (bits=16)."""
    a, b = as_i64(a), as_i64(b)
    lo, hi = _LIMITS[bits]
    return np.where((a == lo) & (b == lo), hi, _srdhm_no_overflow(a, b, bits))


def rounding_divide_by_pot(x: ArrayLike, exponent: ArrayLike) -> IntArray:
    """gemmlowp RoundingDivideByPOT: arithmetic right shift rounding half away from zero."""
    x, e = as_i64(x), as_i64(exponent)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def saturating_rounding_multiply_by_pot(x: ArrayLike, exponent: int, bits: int) -> IntArray:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on a raw value of ``bits``."""
    x = as_i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    lo, hi = _LIMITS[bits]
    threshold = (1 << (bits - 1 - exponent)) - 1
    shifted = wrap(x << exponent, bits)
    return np.where(x > threshold, hi, np.where(x < -threshold, lo, shifted))


def multiply_by_quantized_multiplier(
    x: ArrayLike, multiplier: ArrayLike, shift: ArrayLike, single_rounding: bool = False
) -> IntArray:
    """MultiplyByQuantizedMultiplier(int32 x, multiplier, shift): x * scale, rounded.

    The default is the double-rounding variant (saturating rounding doubling high multiply, then
    a rounding right shift) that the TFLite Micro and LiteRT builds on PyPI use; the tests pin
    this against both runtimes. ``single_rounding`` models builds made with
    TFLITE_SINGLE_ROUNDING=1 (one 64-bit multiply and one rounding shift).
    """
    x, m, s = as_i64(x), as_i64(multiplier), as_i64(shift)
    if single_rounding:
        total = 31 - s
        rounded = x * m + (np.int64(1) << (total - 1))
        return wrap(rounded >> total, 32)
    if np.any(s > 0):
        x = wrap(x << np.maximum(s, 0), 32)
    # multipliers are never negative, so the min * min corner of srdhm cannot happen
    return rounding_divide_by_pot(_srdhm_no_overflow(x, m, 32), np.maximum(-s, 0))


def multiply_by_quantized_multiplier_half_up(
    x: ArrayLike, multiplier: ArrayLike, shift: ArrayLike
) -> IntArray:
    """Double rounding whose right shift rounds ties toward +infinity.

    ``SRDHM(x << max(shift, 0), multiplier)``, then ``(t + 2^(e-1)) >> e`` with
    ``e = max(-shift, 0)``: the requantization of the int8 FULLY_CONNECTED of tflite-runtime 2.14,
    whose ruy rounds twice and breaks the ties of the shift upward in its optimized kernels. It
    differs from the default only when the first rounding lands exactly on a negative half
    (-k.5 -> -k here, -(k+1) there), and from single rounding when the first rounding (to 2^-e of
    an output unit) moves a value onto a half.
    """
    x, m, s = as_i64(x), as_i64(multiplier), as_i64(shift)
    if np.any(s > 0):
        x = wrap(x << np.maximum(s, 0), 32)
    t = _srdhm_no_overflow(x, m, 32)
    e = np.maximum(-s, 0)
    half = np.where(e > 0, np.int64(1) << np.maximum(e - 1, 0), 0)
    return (t + half) >> e


def multiply_by_quantized_multiplier_gt_one(
    x: ArrayLike, multiplier: ArrayLike, left_shift: ArrayLike
) -> IntArray:
    """MultiplyByQuantizedMultiplierGreaterThanOne (double rounding): no right shift at all."""
    x, s = as_i64(x), as_i64(left_shift)
    return srdhm(wrap(x << s, 32), multiplier)


def count_leading_zeros_u32(x: ArrayLike) -> IntArray:
    """CountLeadingZeros of a uint32 (32 for 0)."""
    x = as_i64(x) & 0xFFFFFFFF
    out = np.full(x.shape, 32, dtype=np.int64)
    nz = x > 0
    # floor(log2) via frexp is exact for integers below 2**53
    _, e = np.frexp(x[nz].astype(np.float64))
    out[nz] = 32 - e.astype(np.int64)
    return out


def checked_log2(x: float) -> tuple[int, bool]:
    """CheckedLog2: the rounded log2 of a float32 and whether it is (nearly) a power of two."""
    x32 = np.float32(x)
    lg = np.float32(np.float32(math.log(float(x32))) * np.float32(1.0 / math.log(2.0)))
    rounded = np.float32(round_half_away(float(lg)))
    return int(rounded), bool(abs(float(lg - rounded)) < 1e-3)


# --- gemmlowp fixed-point math on raw values ---------------------------------------------------
# A raw value of a FixedPoint<int{bits}, integer_bits> type has bits - 1 - integer_bits fractional
# bits. Add/Sub wrap like C; multiplication is srdhm; constants are given as int32 raw values and
# rescaled to 16 bits the way RescaleConstantInitializer does.


def _const(raw32: int, bits: int) -> int:
    if bits == 32:
        return raw32
    return int(rounding_divide_by_pot(np.int64(raw32), 32 - bits))


def _one(integer_bits: int, bits: int) -> int:
    """FixedPoint::One(): the max raw value when there are no integer bits."""
    if integer_bits == 0:
        return _LIMITS[bits][1]
    return 1 << (bits - 1 - integer_bits)


def _add(a: IntArray, b: IntArray, bits: int) -> IntArray:
    return wrap(a + b, bits)


def _add_saturating_if16(a: IntArray, b: IntArray, bits: int) -> IntArray:
    return saturate(a + b, 16) if bits == 16 else wrap(a + b, bits)


def _rounding_half_sum(a: IntArray, b: IntArray, bits: int) -> IntArray:
    s = a + b
    sign = np.where(s >= 0, 1, -1)
    return wrap(_trunc_div_pot(s + sign, 1), bits)


def _rescale(x: IntArray, src_int_bits: int, dst_int_bits: int, bits: int) -> IntArray:
    return saturating_rounding_multiply_by_pot(x, src_int_bits - dst_int_bits, bits)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: IntArray, bits: int) -> IntArray:
    """gemmlowp exp(x) for x in [-1/4, 0), Q0 in, Q0 out: Taylor series around -1/8."""
    constant_term = _const(1895147668, bits)
    constant_1_over_3 = _const(715827883, bits)
    x = _add(a, np.int64(1 << (bits - 1 - 3)), bits)
    x2 = srdhm(x, x, bits)
    x3 = srdhm(x2, x, bits)
    x4 = srdhm(x2, x2, bits)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2, bits)
    inner = _add(srdhm(_add(x4_over_4, x3, bits), constant_1_over_3, bits), x2, bits)
    poly = saturating_rounding_multiply_by_pot(inner, -1, bits)
    return _add_saturating_if16(
        np.int64(constant_term), srdhm(constant_term, _add(x, poly, bits), bits), bits
    )


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))  # fmt: skip


def exp_on_negative_values(a: ArrayLike, integer_bits: int, bits: int = 32) -> IntArray:
    """gemmlowp exp_on_negative_values: exp(a) for a <= 0 given as Q(integer_bits); Q0 out."""
    a = as_i64(a)
    frac = bits - 1 - integer_bits
    one_quarter = np.int64(1 << (frac - 2))
    mask = one_quarter - 1
    a_mod = wrap((a & mask) - one_quarter, bits)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        _rescale(a_mod, integer_bits, 0, bits), bits
    )
    remainder = wrap(a_mod - a, bits)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = np.int64(1) << np.int64(frac + exponent)
            result = np.where(
                (remainder & bit) != 0, srdhm(result, _const(multiplier, bits), bits), result
            )
    if integer_bits > 5:
        clamp = _const(-(1 << (36 - integer_bits)), bits)
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, _one(0, bits), result)


def _newton_reciprocal_f2(half_denominator: IntArray, bits: int) -> IntArray:
    """Three Newton-Raphson steps for 1/half_denominator, shared by logistic and tanh (Q2 out)."""
    c48_17 = _const(1515870810, bits)
    c_neg32_17 = _const(-1010580540, bits)
    one_f2 = _one(2, bits)
    x = _add(np.int64(c48_17), srdhm(half_denominator, c_neg32_17, bits), bits)
    for _ in range(3):
        hdx = srdhm(half_denominator, x, bits)
        one_minus = _add(np.int64(one_f2), -hdx, bits)
        x = _add(x, _rescale(srdhm(x, one_minus, bits), 4, 2, bits), bits)  # Q2*Q2 is Q4
    return x


def one_over_one_plus_x_for_x_in_0_1(a: ArrayLike, bits: int = 32) -> IntArray:
    """gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0 in, Q0 out)."""
    a = as_i64(a)
    half_den = _rounding_half_sum(a, np.int64(_one(0, bits)), bits)
    x = _newton_reciprocal_f2(half_den, bits)
    # ExactMulByPot<-1> turns Q2 into Q1 without touching the raw value; Rescale<0> from Q1
    return _rescale(x, 1, 0, bits)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a: ArrayLike, bits: int = 32) -> IntArray:
    """gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1 (Q0 in, Q0 out)."""
    a = as_i64(a)
    half_den = _rounding_half_sum(a, np.int64(_one(0, bits)), bits)
    x = _newton_reciprocal_f2(half_den, bits)
    return _rescale(_add(x, -np.int64(_one(2, bits)), bits), 2, 0, bits)


def gemmlowp_logistic(a: ArrayLike, integer_bits: int, bits: int) -> IntArray:
    """gemmlowp logistic: Q(integer_bits) raw in, Q0 raw out."""
    a = as_i64(a)
    positive = a > 0
    abs_in = np.where(positive, a, wrap(-a, bits))
    exp_neg = exp_on_negative_values(wrap(-abs_in, bits), integer_bits, bits)
    if_pos = one_over_one_plus_x_for_x_in_0_1(exp_neg, bits)
    if_neg = _add(np.int64(_one(0, bits)), -if_pos, bits)
    half = _const(1 << 30, bits)
    return np.where(a == 0, half, np.where(positive, if_pos, if_neg))


def gemmlowp_tanh(a: ArrayLike, integer_bits: int, bits: int) -> IntArray:
    """gemmlowp tanh: Q(integer_bits) raw in, Q0 raw out."""
    a = as_i64(a)
    negative = a < 0
    n = np.where(negative, a, wrap(-a, bits))
    # ExactMulByPot<1>: the same raw value read with one more integer bit
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(
        exp_on_negative_values(n, integer_bits + 1, bits), bits
    )
    return np.where(a == 0, 0, np.where(negative, wrap(-t, bits), t))
