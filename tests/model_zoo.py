"""Test models: small tf_keras LSTMs converted once and cached by their configuration.

The spread (hidden 1-128, features 1-40, T 1-128, 1-3 stacked LSTMs, classification and
regression heads, a sequence output) is what the bit-exactness tests of every engine run on.
Calibration data is narrower than the test inputs so that saturation happens at run time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CACHE_DIR = Path(os.environ.get("EDGE_LSTM_TEST_CACHE", Path(__file__).parent / ".cache"))
# Converted test models committed with the tests: the engines are compared on them without
# running the TFLite converter again (minutes on a fresh clone). A model whose configuration
# changed has a new key, is converted into CACHE_DIR and can be committed from there
# (`python tests/model_zoo.py --freeze`). The live Keras -> .tflite path is tested on its own
# (tests/test_convert.py converts every layer family).
FIXTURE_DIR = Path(__file__).parent / "models"


def cached_model(folder: str, filename: str, make: Callable[[], bytes]) -> Path:
    """The committed model, else the cached one, else ``make()`` written atomically to the cache."""
    fixture = FIXTURE_DIR / filename
    if fixture.exists():
        return fixture
    path = CACHE_DIR / folder / filename
    if not path.exists():
        data = make()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class ZooConfig:
    name: str
    timesteps: int
    features: int
    hidden: tuple[int, ...]  # one entry per stacked LSTM layer
    head: str = "softmax"  # "softmax", "regression", "relu-softmax", "sequence"
    outputs: int = 4
    seed: int = 0
    calib_std: float = 1.0  # calibration spread; test inputs use 3x that (saturation)

    @property
    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


CONFIGS: dict[str, ZooConfig] = {
    c.name: c
    for c in [
        ZooConfig("tiny", timesteps=1, features=1, hidden=(1,), head="regression", outputs=1),
        ZooConfig("small", timesteps=8, features=8, hidden=(16,), head="softmax", outputs=10),
        ZooConfig("imu", timesteps=32, features=6, hidden=(32,), head="relu-softmax", outputs=5),
        ZooConfig("kws", timesteps=49, features=40, hidden=(64,), head="softmax", outputs=12),
        ZooConfig("stack2", timesteps=16, features=3, hidden=(24, 12), head="regression"),
        ZooConfig("stack3", timesteps=12, features=5, hidden=(8, 16, 8), head="softmax"),
        ZooConfig("seq", timesteps=10, features=4, hidden=(20,), head="sequence", outputs=2),
        ZooConfig("wide", timesteps=128, features=2, hidden=(128,), head="regression", outputs=3),
        ZooConfig("odd", timesteps=7, features=13, hidden=(33,), head="softmax", outputs=3),
    ]
}


# Models for the requantization forms a model's scales select (not in CONFIGS, which every
# zoo-wide test runs): input ranges wide enough that an input-side gate requantization needs
# no right shift ("scaled") or a left shift ("raw").
SCALE_CONFIGS: dict[str, ZooConfig] = {
    c.name: c
    for c in [
        ZooConfig("scaled", timesteps=12, features=5, hidden=(8, 16), calib_std=2.0),
        ZooConfig("raw", timesteps=6, features=3, hidden=(12,), calib_std=8.0, outputs=3),
    ]
}


def zoo_config(name: str) -> ZooConfig:
    return CONFIGS[name] if name in CONFIGS else SCALE_CONFIGS[name]


def build_keras(config: ZooConfig):  # -> tf_keras.Model
    import tf_keras

    tf_keras.utils.set_random_seed(config.seed)
    layers = [tf_keras.Input(shape=(config.timesteps, config.features), batch_size=1)]
    for i, units in enumerate(config.hidden):
        last = i == len(config.hidden) - 1
        layers.append(
            tf_keras.layers.LSTM(units, return_sequences=not last or config.head == "sequence")
        )
    if config.head == "softmax":
        layers.append(tf_keras.layers.Dense(config.outputs, activation="softmax"))
    elif config.head == "relu-softmax":
        layers += [
            tf_keras.layers.Dense(16, activation="relu"),
            tf_keras.layers.Dense(config.outputs),
            tf_keras.layers.Softmax(),
        ]
    else:  # regression, sequence
        layers.append(tf_keras.layers.Dense(config.outputs))
    return tf_keras.Sequential(layers)


def calibration_data(config: ZooConfig, count: int = 64) -> np.ndarray:
    rng = np.random.default_rng(config.seed + 100)
    shape = (count, config.timesteps, config.features)
    return (rng.standard_normal(shape) * config.calib_std).astype(np.float32)


def inputs_float(config: ZooConfig, count: int = 300) -> np.ndarray:
    rng = np.random.default_rng(config.seed + 200)
    shape = (count, config.timesteps, config.features)
    return (rng.standard_normal(shape) * 3 * config.calib_std).astype(np.float32)


def inputs_int8(config: ZooConfig, count: int = 300) -> np.ndarray:
    return raw_int8_inputs((count, config.timesteps, config.features), config.seed + 300)


def raw_int8_inputs(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """Raw int8 inputs over the whole range (half uniform, half near zero)."""
    rng = np.random.default_rng(seed)
    count = shape[0]
    wide = rng.integers(-128, 128, size=shape)
    narrow = np.clip(rng.normal(0, 20, size=shape), -128, 127)
    pick = rng.random(count) < 0.5
    return np.where(pick[:, None, None], wide, narrow).astype(np.int8)


def tflite_path(name: str) -> Path:
    """Path of the converted model for a named configuration, converting on first use."""
    config = zoo_config(name)

    def convert() -> bytes:
        from quantize.convert import convert_keras

        return convert_keras(build_keras(config), calibration_data(config)).tflite

    return cached_model("models", f"{config.name}-{config.key}.tflite", convert)


def tflite_bytes(name: str) -> bytes:
    return tflite_path(name).read_bytes()


def tflm_outputs(model_bytes: bytes, x_int8: np.ndarray) -> np.ndarray:
    """Outputs of the real TFLM runtime, state reset before every sequence.

    Kept apart from edge_lstm.engines on purpose: the tests' golden values must not pass
    through the code under test.
    """
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes)
    outputs = []
    for sample in x_int8:
        interpreter.reset()
        interpreter.set_input(sample[None, ...], 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0))[0])
    return np.stack(outputs)


if __name__ == "__main__":
    import shutil
    import sys

    if sys.argv[1:] != ["--freeze"]:
        sys.exit(
            "usage: python tests/model_zoo.py --freeze  (copy converted models to tests/models)"
        )
    FIXTURE_DIR.mkdir(exist_ok=True)
    for folder in ("models", "archs", "custom_recurrent"):
        for path in sorted((CACHE_DIR / folder).glob("*.tflite")):
            if not (FIXTURE_DIR / path.name).exists():
                shutil.copyfile(path, FIXTURE_DIR / path.name)
                print(f"froze {path.name}")
