"""Fixed-point primitives against exact rational arithmetic (Python integers and Fractions)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quantize import fixedpoint as fp

i32 = st.integers(-(2**31), 2**31 - 1)


def round_half_up(q: Fraction) -> int:
    """floor(q + 1/2): gemmlowp's high multiply nudges negative products so ties go up."""
    return (q.numerator * 2 + q.denominator) // (2 * q.denominator)


def round_half_away(q: Fraction) -> int:
    n = abs(q)
    r = (n.numerator * 2 + n.denominator) // (2 * n.denominator)  # floor(n + 1/2)
    return r if q >= 0 else -r


@given(i32, i32)
@settings(max_examples=400)
def test_srdhm_is_rounded_doubling_high_product(a: int, b: int) -> None:
    expected = round_half_up(Fraction(a * b, 2**31))
    if a == b == -(2**31):
        expected = 2**31 - 1  # the one product that does not fit saturates
    assert int(fp.srdhm(np.int64(a), np.int64(b))) == expected


def test_srdhm_ties() -> None:
    # -0.5 -> 0 and +0.5 -> 1, -1.5 -> -1: ties round up, not away from zero
    a = np.array([-1, 1, -3, 3])
    np.testing.assert_array_equal(fp.srdhm(a, 2**30), [0, 1, -1, 2])


@given(i32, st.integers(0, 31))
@settings(max_examples=400)
def test_rounding_divide_by_pot_rounds_half_away(x: int, e: int) -> None:
    assert int(fp.rounding_divide_by_pot(np.int64(x), e)) == round_half_away(Fraction(x, 2**e))


@given(st.floats(1e-9, 1e4, allow_nan=False))
def test_quantize_multiplier_represents_the_scale(scale: float) -> None:
    m, s = fp.quantize_multiplier_scalar(scale)
    assert 2**30 <= m < 2**31
    assert abs(Fraction(m) * Fraction(2) ** (s - 31) - Fraction(scale)) <= Fraction(scale) / 2**30


def test_quantize_multiplier_edges() -> None:
    assert fp.quantize_multiplier_scalar(0.0) == (0, 0)
    assert fp.quantize_multiplier_scalar(0.5) == (2**30, 0)
    assert fp.quantize_multiplier_scalar(1.0) == (2**30, 1)
    assert fp.quantize_multiplier_scalar(2.0**-40) == (0, 0)  # flushed to zero below 2^-31
    # q * 2^31 rounds up to 2^31: the multiplier halves and the shift grows
    assert fp.quantize_multiplier_scalar(1.0 - 2.0**-33) == (2**30, 1)


@given(i32, st.integers(2**30, 2**31 - 1), st.integers(-31, 0))
@settings(max_examples=300)
def test_double_rounding_is_two_roundings(x: int, m: int, shift: int) -> None:
    high = round_half_up(Fraction(x * m, 2**31))
    if x == m == -(2**31):
        high = 2**31 - 1
    expected = round_half_away(Fraction(high, 2**-shift))
    assert int(fp.multiply_by_quantized_multiplier(np.int64(x), m, shift)) == expected


@given(i32, st.integers(2**30, 2**31 - 1), st.integers(-31, 0))
@settings(max_examples=300)
def test_single_rounding_rounds_half_up_once(x: int, m: int, shift: int) -> None:
    total = 31 - shift
    expected = (x * m + 2 ** (total - 1)) // 2**total  # half up, floor division
    got = int(fp.multiply_by_quantized_multiplier(np.int64(x), m, shift, single_rounding=True))
    assert got == fp.wrap(np.int64(expected), 32)


def test_vectorized_equals_elementwise() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-(2**31), 2**31, 1000)
    m = rng.integers(2**30, 2**31, 1000)
    s = rng.integers(-20, 3, 1000)
    vec = fp.multiply_by_quantized_multiplier(x % 2**20 - 2**19, m, s)
    one = [int(fp.multiply_by_quantized_multiplier(np.int64(a % 2**20 - 2**19), b, c))
           for a, b, c in zip(x, m, s, strict=True)]  # fmt: skip
    np.testing.assert_array_equal(vec, one)


def test_saturate_and_wrap() -> None:
    v = np.array([-40000, -32769, -32768, 0, 32767, 32768, 70000])
    np.testing.assert_array_equal(
        fp.saturate(v, 16), [-32768, -32768, -32768, 0, 32767, 32767, 32767]
    )
    np.testing.assert_array_equal(fp.wrap(v, 16), ((v + 32768) % 65536) - 32768)
    np.testing.assert_array_equal(
        fp.round_half_away(np.array([0.5, -0.5, 1.5, -2.5])), [1, -1, 2, -3]
    )


def test_count_leading_zeros() -> None:
    v = np.array([0, 1, 2, 3, 2**31 - 1, 2**31, 2**32 - 1])
    expected = [32 if int(a) == 0 else 32 - int(a).bit_length() for a in v]
    np.testing.assert_array_equal(fp.count_leading_zeros_u32(v), expected)
