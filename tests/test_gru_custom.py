"""GRU and SimpleRNN as CUSTOM ops in one int8 .tflite: written, read back, run, close to float.

The file is read back with quantize.tflite_ir (no TensorFlow) and run by the numpy reference with
the custom kernel added to the op table. Checks: every integer constant survives the file (the
layers as quantized equal the layers read back, and so do their GruParams); the op's output is
the integer reference's, byte for byte; the whole model is close to float Keras; a trained digits
classifier keeps its accuracy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import flatbuffers
import model_zoo
import numpy as np
import pytest

from quantize.custom_recurrent import (
    OPCODES,
    convert_keeping_layers,
    convert_with_custom_recurrent,
    op_custom_recurrent,
    quantized_from_op,
    recurrent_params,
    run_reference_with_custom,
)
from quantize.errors import BadModelFileError, UnsupportedModelError
from quantize.gru_params import gru_params
from quantize.gru_reference import recurrent_sequence
from quantize.reference import dequantize, quantize_input
from quantize.tflite_ir import parse_model

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("quantize/custom_recurrent.py", "quantize/gru_params.py")

# name -> (flavour, layers), each layer (class, units, keyword arguments); input 8 x 5
MODELS: dict[str, tuple[str, list[tuple[str, int, dict[str, Any]]]]] = {
    "gru-dense": ("tf_keras", [("GRU", 16, {}), ("Dense", 4, {"activation": "softmax"})]),
    "rnn-seq": ("keras", [("SimpleRNN", 6, {"return_sequences": True})]),
    "gru-rnn-dense": (
        "tf_keras",
        [
            ("GRU", 10, {"return_sequences": True}),
            ("Dropout", 0, {"rate": 0.2}),
            ("SimpleRNN", 7, {}),
            ("Dense", 3, {"activation": "relu"}),
            ("Dense", 2, {}),
        ],
    ),  # fmt: skip
    "gru-lstm": (
        "tf_keras",
        [
            ("GRU", 12, {"return_sequences": True}),
            ("LSTM", 8, {}),
            ("Dense", 3, {"activation": "softmax"}),
        ],
    ),  # fmt: skip
    "lstm-gru": (
        "tf_keras",
        [
            ("LSTM", 12, {"return_sequences": True}),
            ("GRU", 8, {"reset_after": False}),
            ("Dense", 3, {}),
        ],
    ),  # fmt: skip
}
STEPS, FEATURES = 8, 5


def build(name: str) -> Any:
    flavour, layers = MODELS[name]
    if flavour == "tf_keras":
        import tf_keras as k
    else:
        import keras as k
    k.utils.set_random_seed(0)
    return k.Sequential(
        [k.Input(shape=(STEPS, FEATURES))]
        + [
            getattr(k.layers, cls)(**kw)
            if cls == "Dropout"
            else getattr(k.layers, cls)(units, **kw)
            for cls, units, kw in layers
        ]
    )


def calibration(count: int = 100) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((count, STEPS, FEATURES)).astype(np.float32)


def converted(name: str) -> bytes:
    """The converted model, cached by its configuration and the converting code's sources
    (an LSTM piece takes the converter half a minute)."""
    h = hashlib.sha256(json.dumps(MODELS[name], sort_keys=True).encode())
    for src in SOURCES:
        h.update((ROOT / src).read_bytes())
    filename = f"{name}-{h.hexdigest()[:12]}.tflite"
    make = lambda: convert_with_custom_recurrent(build(name), calibration())  # noqa: E731
    return model_zoo.cached_model("custom_recurrent", filename, make).read_bytes()


# Tolerance against float Keras, on inputs from the calibration distribution (float Keras gets the
# dequantized int8 inputs): the outputs are softmax probabilities in steps of 1/256, a linear
# head at its own step, or the state itself (rnn-seq, steps of 2/255). Upstream, the integer
# recurrent state is within a few steps of h of float (tests/test_gru_integer.py), and the
# converted LSTM and Dense pieces add their own int8 rounding; the head multiplies these by its
# weights. Measured max abs errors: 0.023 (gru-dense), 0.023 (rnn-seq), 0.042 (gru-lstm), 0.039
# (lstm-gru), 0.117 (gru-rnn-dense: two recurrent layers, a linear head of step 0.0074); mean
# errors 0.0013-0.0033, 0.0055 for gru-rnn-dense. Limits at about twice those. A wrong scale or
# zero point anywhere moves the mean by far more than its limit.
MAX_ERROR = {"gru-dense": 0.05, "rnn-seq": 0.05, "gru-lstm": 0.08, "lstm-gru": 0.08,
             "gru-rnn-dense": 0.25}  # fmt: skip
MEAN_ERROR = {"gru-rnn-dense": 0.012}  # 0.008 for the others


@pytest.mark.parametrize(
    "name",
    ["gru-dense", "rnn-seq", "gru-rnn-dense", "gru-lstm"]
    + [pytest.param("lstm-gru", marks=pytest.mark.slow)],
)
def test_spliced_model_close_to_float_keras(name: str) -> None:
    data = converted(name)
    model = parse_model(data)
    customs = [op for op in model.operators if op.opcode in OPCODES]
    assert len(customs) == sum(cls in ("GRU", "SimpleRNN") for cls, _, _ in MODELS[name][1])
    if "lstm" in name:
        assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in model.opcodes
    x = np.random.default_rng(1).standard_normal((200, STEPS, FEATURES)).astype(np.float32)
    xq = quantize_input(x, model.input)
    start = time.perf_counter()
    y = run_reference_with_custom(model, xq)
    took = time.perf_counter() - start
    # float Keras gets the int8 input's real values: the input's rounding and saturation
    # (some test values lie outside the calibrated range) are not the arithmetic under test
    expected = np.asarray(build(name)(dequantize(xq, model.input), training=False), np.float64)
    err = np.abs(dequantize(y, model.output).astype(np.float64) - expected)
    print(f"{name}: {model.opcodes}, {len(data)} bytes; max abs error {err.max():.4f}, "
          f"mean {err.mean():.5f} (reference {took:.2f} s for {len(x)} inputs)")  # fmt: skip
    assert y.shape == expected.shape
    assert err.max() <= MAX_ERROR[name]
    assert err.mean() <= MEAN_ERROR.get(name, 0.008)


@pytest.mark.parametrize("name", ["gru-dense", "rnn-seq"])
def test_file_gives_back_the_quantized_layers(name: str) -> None:
    data, layers = convert_keeping_layers(build(name), calibration())
    model = parse_model(data)
    ops = [op for op in model.operators if op.opcode in OPCODES]
    assert len(ops) == len(layers) == 1
    op, q = ops[0], layers[0]
    back = quantized_from_op(model, op)
    for field in dataclasses.fields(q):
        a, b = getattr(q, field.name), getattr(back, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), field.name
        else:
            assert a == b, field.name
    p, p_back = gru_params(q), recurrent_params(model, op)
    for field in dataclasses.fields(p):
        a, b = getattr(p, field.name), getattr(p_back, field.name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, field.name
    # the op kernel on the file = the integer reference on the layer as quantized, every byte
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, size=(64, STEPS, FEATURES)).astype(np.int8)
    env = {op.inputs[0]: x.reshape(64, 1, STEPS, FEATURES)}
    op_custom_recurrent(model, op, env, "tflm")
    expected = recurrent_sequence(p, x)
    if not q.return_sequences:
        expected = expected[:, -1]
    got = env[op.outputs[0]].reshape(expected.shape)
    mismatches = int((got != expected).sum())
    print(f"{name}: {mismatches} mismatching bytes of {got.size}; options {op.options}")
    assert mismatches == 0
    assert op.options["kind"] == q.kind and op.options["version"] == 1


def test_corrupt_custom_options_are_refused() -> None:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s

    fb = s.ModelT.InitFromPackedBuf(bytearray(converted("rnn-seq")), 0)
    op = fb.subgraphs[0].operators[0]
    op.customOptions = np.frombuffer(b"\x07\x00\x13\xff", dtype=np.uint8)
    builder = flatbuffers.Builder(1024)
    builder.Finish(fb.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises((BadModelFileError, UnsupportedModelError)):
        model = parse_model(bytes(builder.Output()))
        run_reference_with_custom(model, np.zeros((1, STEPS, FEATURES), np.int8))


def test_unsupported_layers_are_named() -> None:
    import tf_keras

    m = tf_keras.Sequential(
        [tf_keras.Input(shape=(STEPS, FEATURES)), tf_keras.layers.Masking(),
         tf_keras.layers.GRU(4)]
    )  # fmt: skip
    with pytest.raises(UnsupportedModelError, match="Masking"):
        convert_with_custom_recurrent(m, calibration(8))
    m = tf_keras.Sequential([tf_keras.Input(shape=(STEPS, FEATURES)), tf_keras.layers.Dense(2)])
    with pytest.raises(UnsupportedModelError, match="no GRU or SimpleRNN"):
        convert_with_custom_recurrent(m, calibration(8))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["GRU", "SimpleRNN"])
def test_digits_full_int8_accuracy(kind: str) -> None:
    """A trained digits classifier (8 steps of 8 features), every op int8: within 1 point."""
    import tf_keras
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(round(len(x) * 0.8))
    xtr, ytr, xte, yte = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    tf_keras.utils.set_random_seed(0)
    m = tf_keras.Sequential(
        [tf_keras.Input(shape=(8, 8)), getattr(tf_keras.layers, kind)(32),
         tf_keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    m.compile(optimizer=tf_keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    m.fit(xtr, ytr, epochs=10, batch_size=64, verbose=0)
    model = parse_model(convert_with_custom_recurrent(m, xtr))
    got = run_reference_with_custom(model, quantize_input(xte, model.input))
    acc_int8 = float((got.argmax(axis=1) == yte).mean())
    acc_float = float((np.asarray(m(xte, training=False)).argmax(axis=1) == yte).mean())
    print(f"digits {kind}(32): float {100 * acc_float:.2f} %, int8 {100 * acc_int8:.2f} % "
          f"on {len(yte)}; {model.opcodes}")  # fmt: skip
    assert acc_float > 0.85
    assert abs(acc_int8 - acc_float) <= 0.01
