"""The numpy reference equals the real runtimes on every output byte.

Golden outputs come from the TFLite Micro runtime (``activations="tflm"``) and the LiteRT
interpreter (``activations="litert"``), each reset before every sequence. Inputs are 300 float
sequences 3x wider than the calibration data (quantized the way a user's data is, so saturation
happens) plus 300 raw int8 sequences over the whole range.
"""

from __future__ import annotations

import time

import model_zoo
import numpy as np
import pytest
from model_zoo import CONFIGS, tflite_bytes, tflite_path, tflm_outputs

from quantize.errors import BadDataError, UnsupportedModelError
from quantize.ir import Model, Operator, Quantization, Tensor
from quantize.reference import dequantize, quantize_input, run_reference
from quantize.tflite_ir import parse_model

FAST = ["tiny", "small", "imu", "stack2", "stack3", "seq", "odd"]
SLOW = ["kws", "wide"]
ALL = [pytest.param(n) for n in FAST] + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW]


def _inputs(name: str, model: Model) -> np.ndarray:
    config = CONFIGS[name]
    x_float = quantize_input(model_zoo.inputs_float(config, 300), model.input)
    return np.concatenate([x_float, model_zoo.inputs_int8(config, 300)])


def litert_outputs(path: str, x_int8: np.ndarray) -> np.ndarray:
    """The LiteRT interpreter directly (not edge_lstm.engines): an independent golden path."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]
    outputs = []
    for sample in x_int8:
        interpreter.reset_all_variables()
        interpreter.set_tensor(inp, sample[None, ...])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(out)[0].copy())
    return np.stack(outputs)


def _assert_bit_exact(name: str, runtime: str, expected: np.ndarray, got: np.ndarray) -> None:
    assert got.dtype == np.int8 and expected.dtype == np.int8
    assert got.shape == expected.shape, (got.shape, expected.shape)
    mismatches = int((got != expected).sum())
    print(f"{name}: {mismatches} mismatching bytes of {got.size} vs {runtime} ({len(got)} inputs)")
    assert mismatches == 0


@pytest.mark.parametrize("name", ALL)
def test_reference_equals_tflm(name: str) -> None:
    data = tflite_bytes(name)
    model = parse_model(data)
    x = _inputs(name, model)
    expected = tflm_outputs(data, x)
    start = time.perf_counter()
    got = run_reference(model, x, activations="tflm")
    print(f"{name}: reference on {len(x)} inputs in {time.perf_counter() - start:.2f} s")
    _assert_bit_exact(name, "TFLM", expected, got)


@pytest.mark.parametrize("name", ALL)
def test_reference_equals_litert(name: str) -> None:
    path = tflite_path(name)
    model = parse_model(path.read_bytes())
    x = _inputs(name, model)
    _assert_bit_exact(
        name, "LiteRT", litert_outputs(str(path), x), run_reference(model, x, "litert")
    )


def test_variants_differ_somewhere() -> None:
    """The two activation variants are really different computations on a real model."""
    model = parse_model(tflite_bytes("imu"))
    x = _inputs("imu", model)
    differ = int((run_reference(model, x, "tflm") != run_reference(model, x, "litert")).sum())
    print(f"imu: tflm and litert variants differ on {differ} bytes")
    assert differ > 0


def test_output_shape_and_dequantize() -> None:
    model = parse_model(tflite_bytes("seq"))
    x = model_zoo.inputs_int8(CONFIGS["seq"], 5)
    y = run_reference(model, x)
    assert y.shape == (5, *model.output.shape[1:])
    real = dequantize(y, model.output)
    expected = model.output.scale * (y.astype(np.float64) - model.output.zero_point)
    assert real.dtype == np.float32
    np.testing.assert_allclose(real, expected, rtol=1e-6)


def test_quantize_input_rounds_half_away_and_saturates() -> None:
    # a power-of-two scale makes every x / scale below exact, so the ties are real ties
    t = Tensor(
        0, "x", (1, 6), "int8", Quantization(np.array([0.25], np.float32), np.array([3])), None
    )
    x = np.array([0.125, -0.125, 0.375, -0.625, 1e6, -1e6], dtype=np.float32)
    # derivation: x / 0.25 = 0.5, -0.5, 1.5, -2.5 -> half away from zero 1, -1, 2, -3; plus zp 3
    expected = np.array([4, 2, 5, 0, 127, -128])
    np.testing.assert_array_equal(quantize_input(x, t).astype(int), expected)
    with pytest.raises(BadDataError):
        quantize_input(np.array([np.nan], dtype=np.float32), t)


def test_unsupported_op_is_named() -> None:
    model = parse_model(tflite_bytes("small"))
    ops = list(model.operators)
    ops[1] = Operator(ops[1].index, "GATHER", 1, ops[1].inputs, ops[1].outputs)
    broken = Model(
        model.tensors, tuple(ops), model.inputs, model.outputs, model.sha256, model.size_bytes
    )
    with pytest.raises(UnsupportedModelError, match="GATHER"):
        run_reference(broken, model_zoo.inputs_int8(CONFIGS["small"], 2))


def test_wrong_input_shape_is_a_clear_error() -> None:
    model = parse_model(tflite_bytes("small"))
    with pytest.raises(BadDataError, match="expects"):
        run_reference(model, np.zeros((2, 3, 3), dtype=np.int8))
