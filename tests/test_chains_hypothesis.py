"""Random chains of the supported Keras layers: converted, then the reference equals TFLM.

Hypothesis draws a Keras 3 Sequential model from the layers docs/supported_models.md accepts
around an LSTM (a Conv1D front end with its padding, stride, dilation and activation options,
max or average pooling, BatchNormalization, Dropout, an LSTM or a Bidirectional LSTM in any
merge mode, with or without return_sequences, a GlobalAveragePooling1D / GlobalMaxPooling1D or
TimeDistributed(Dense) head, Dense activations). Each is converted with
quantize.convert.convert_keras (the real TFLite converter) and the numpy reference must give
every output byte the tflite-micro runtime gives on 120 int8 inputs, saturating ones included.
TFLM is called directly (model_zoo.tflm_outputs), not through the code under test.

Each conversion costs 5 to 20 s of CPU (about 3 minutes for 8 chains on 2 busy cores), so
the run is small (4 chains), derandomized and marked slow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_zoo import raw_int8_inputs, tflm_outputs

from quantize.reference import run_reference
from quantize.tflite_ir import parse_model

pytestmark = [pytest.mark.tf, pytest.mark.slow]

SAMPLES = 120


@st.composite
def chains(draw: st.DrawFn) -> dict[str, Any]:
    """A layer chain as plain data (printed by hypothesis on a failure)."""
    spec: dict[str, Any] = {
        "timesteps": draw(st.integers(10, 16)),
        "features": draw(st.integers(1, 5)),
    }
    if draw(st.booleans()):
        strides = draw(st.sampled_from([1, 1, 2]))
        spec["conv"] = {
            "filters": draw(st.integers(2, 7)),
            "kernel_size": draw(st.integers(1, 4)),
            "strides": strides,
            "dilation_rate": 1 if strides > 1 else draw(st.sampled_from([1, 2])),
            "padding": draw(st.sampled_from(["valid", "same", "causal"])),
            "activation": draw(st.sampled_from([None, "relu", "relu6", "tanh", "sigmoid"])),
        }
        if draw(st.booleans()):
            spec["pool"] = {
                "kind": draw(st.sampled_from(["max", "average"])),
                "pool_size": draw(st.integers(2, 3)),
                "padding": draw(st.sampled_from(["valid", "same"])),
            }
    spec["batchnorm"] = draw(st.booleans())
    spec["dropout"] = draw(st.booleans())
    spec["lstm"] = {
        "units": draw(st.integers(2, 8)),
        "return_sequences": draw(st.booleans()),
        "bidirectional": draw(st.sampled_from([None, "concat", "sum", "ave", "mul"])),
    }
    if spec["lstm"]["return_sequences"]:
        spec["head"] = draw(st.sampled_from(["gap", "gmp", "time_distributed"]))
    else:
        spec["head"] = "dense"
    spec["dense"] = {
        "units": draw(st.integers(1, 5)),
        "activation": draw(st.sampled_from([None, "relu", "sigmoid", "tanh", "softmax"])),
    }
    return spec


def build(spec: dict[str, Any]) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    L = keras.layers
    layers: list[Any] = [keras.Input(shape=(spec["timesteps"], spec["features"]))]
    if "conv" in spec:
        layers.append(L.Conv1D(**spec["conv"]))
        if "pool" in spec:
            pool = spec["pool"]
            kind = L.MaxPooling1D if pool["kind"] == "max" else L.AveragePooling1D
            layers.append(kind(pool["pool_size"], padding=pool["padding"]))
    if spec["batchnorm"]:
        layers.append(
            L.BatchNormalization(
                beta_initializer="random_normal", gamma_initializer="random_uniform"
            )
        )
    if spec["dropout"]:
        layers.append(L.Dropout(0.2))
    lstm = spec["lstm"]
    cell = L.LSTM(lstm["units"], return_sequences=lstm["return_sequences"])
    layers.append(
        L.Bidirectional(cell, merge_mode=lstm["bidirectional"]) if lstm["bidirectional"] else cell
    )
    dense = L.Dense(spec["dense"]["units"], activation=spec["dense"]["activation"])
    if spec["head"] == "gap":
        layers += [L.GlobalAveragePooling1D(), dense]
    elif spec["head"] == "gmp":
        layers += [L.GlobalMaxPooling1D(), dense]
    elif spec["head"] == "time_distributed":
        layers.append(L.TimeDistributed(dense))
    else:
        layers.append(dense)
    return keras.Sequential(layers)


@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(spec=chains())
def test_random_chain_reference_equals_tflm(spec: dict[str, Any]) -> None:
    from quantize.convert import convert_keras

    rng = np.random.default_rng(3)
    calib = rng.standard_normal((64, spec["timesteps"], spec["features"])).astype(np.float32)
    data = convert_keras(build(spec), calib).tflite
    model = parse_model(data)
    x = raw_int8_inputs((SAMPLES, spec["timesteps"], spec["features"]), 4)
    want = tflm_outputs(data, x)
    got = run_reference(model, x)
    mismatches = int(np.count_nonzero(got.reshape(want.shape) != want))
    print(f"{spec}: ops {' '.join(dict.fromkeys(model.opcodes))}, {mismatches} of {want.size}")
    assert mismatches == 0, f"{mismatches} mismatching bytes of {want.size} vs TFLM"
