"""Architectures people train around an LSTM, as Keras 3 models converted once and cached.

Each model goes through the toolkit's own quantize path (``quantize.convert.convert_keras``):
described layer by layer, rebuilt as tf_keras with batch 1, checked in float, converted by the
real TFLite converter and its op list verified. The random weights are trained-looking enough
for the arithmetic (every op sees non-trivial scales); the test inputs are wider than the
calibration data so that saturation happens at run time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from model_zoo import cached_model, raw_int8_inputs

ARCH_VERSION = "1"  # bump to rebuild every cached model after a change to the builders


@dataclass(frozen=True)
class Arch:
    name: str
    timesteps: int
    features: int
    layers: Callable[[Any], list[Any]]  # keras.layers -> the layers after the Input
    expect_ops: frozenset[str]  # ops the conversion must contain (besides the LSTMs)
    lstm_ops: int  # fused UNIDIRECTIONAL_SEQUENCE_LSTM ops: one per direction

    @property
    def key(self) -> str:
        source = f"{ARCH_VERSION}:{self.name}:{self.timesteps}:{self.features}"
        return hashlib.sha256(source.encode()).hexdigest()[:12]


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch(
            "conv-pool-lstm",
            24,
            6,
            lambda L: [
                L.Conv1D(8, 3, activation="relu"),
                L.MaxPooling1D(2),
                L.LSTM(16),
                L.Dense(5, activation="softmax"),
            ],
            frozenset({"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}),
            1,
        ),
        Arch(
            "conv-s2-bn-lstm",
            20,
            3,
            lambda L: [
                L.Conv1D(6, 3, strides=2, padding="same"),
                L.BatchNormalization(
                    beta_initializer="random_normal", gamma_initializer="random_uniform"
                ),
                L.LSTM(12),
                L.Dense(3),
            ],
            frozenset({"CONV_2D", "FULLY_CONNECTED"}),
            1,
        ),
        Arch(
            "bilstm-concat",
            12,
            4,
            lambda L: [L.Bidirectional(L.LSTM(8)), L.Dense(3, activation="softmax")],
            frozenset({"REVERSE_V2", "CONCATENATION", "FULLY_CONNECTED"}),
            2,
        ),
        Arch(
            "bilstm-sum",
            12,
            4,
            lambda L: [L.Bidirectional(L.LSTM(8), merge_mode="sum"), L.Dense(3)],
            frozenset({"REVERSE_V2", "ADD", "FULLY_CONNECTED"}),
            2,
        ),
        Arch(
            "bilstm-stack",
            10,
            3,
            lambda L: [
                L.Bidirectional(L.LSTM(6, return_sequences=True)),
                L.Bidirectional(L.LSTM(6)),
                L.Dense(4, activation="softmax"),
            ],
            frozenset({"REVERSE_V2", "CONCATENATION", "FULLY_CONNECTED"}),
            4,
        ),
        Arch(
            "lstm-gap",
            16,
            5,
            lambda L: [
                L.LSTM(12, return_sequences=True),
                L.GlobalAveragePooling1D(),
                L.Dense(4, activation="softmax"),
            ],
            frozenset({"MEAN", "FULLY_CONNECTED"}),
            1,
        ),
        Arch(
            "lstm-gmp",
            16,
            5,
            lambda L: [L.LSTM(12, return_sequences=True), L.GlobalMaxPooling1D(), L.Dense(4)],
            frozenset({"REDUCE_MAX", "FULLY_CONNECTED"}),
            1,
        ),
        Arch(
            "lstm-td",
            10,
            4,
            lambda L: [L.LSTM(12, return_sequences=True), L.TimeDistributed(L.Dense(3))],
            frozenset({"FULLY_CONNECTED"}),
            1,
        ),
        Arch(
            "norm-lstm-tanh-sigmoid",
            16,
            6,
            lambda L: [
                L.Normalization(mean=[0.5, -1.0, 0.0, 2.0, 0.1, -0.3], variance=[2.0] * 6),
                L.LSTM(12),
                L.Dense(8, activation="tanh"),
                L.Dense(1, activation="sigmoid"),
            ],
            frozenset({"TANH", "LOGISTIC", "FULLY_CONNECTED"}),
            1,
        ),
    ]
}


def build_keras3(arch: Arch) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(arch.timesteps, arch.features))])
    for layer in arch.layers(keras.layers):
        model.add(layer)
    return model


def calibration_data(arch: Arch, count: int = 64) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.standard_normal((count, arch.timesteps, arch.features)).astype(np.float32)


def inputs_int8(arch: Arch, count: int = 300) -> np.ndarray:
    return raw_int8_inputs((count, arch.timesteps, arch.features), 2)


def arch_tflite_path(name: str) -> Path:
    """The converted model of a named architecture, converting on first use."""
    arch = ARCHS[name]

    def convert() -> bytes:
        from quantize.convert import convert_keras

        return convert_keras(build_keras3(arch), calibration_data(arch)).tflite

    return cached_model("archs", f"{arch.name}-{arch.key}.tflite", convert)
