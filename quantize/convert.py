"""Keras (3 or tf_keras) -> full-integer int8 .tflite with one fused LSTM op per layer.

A Keras 3 ``LSTM`` never converts to TFLite's fused ``UNIDIRECTIONAL_SEQUENCE_LSTM``: the
converter emits a WHILE loop and int8 calibration crashes. The same layers built with tf_keras
do convert. So every model is described layer by layer (``quantize.support``), rebuilt as a
tf_keras model with batch size 1 and the same weights, checked against the original in float,
and only then converted. The op list of the result is verified before anything is written.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quantize.errors import BadModelFileError, ConversionError, UnsupportedModelError
from quantize.ops import CUSTOM_RECURRENT_OPS, REFERENCE_OPS
from quantize.quiet import import_tensorflow, native_stderr_captured
from quantize.support import LayerSpec, ModelSpec, describe_model, describe_recurrent_model
from quantize.tflite_ir import parse_model

# Max abs difference between the user's float model and its tf_keras rebuild: both compute
# the same float32 graph, so only summation-order rounding may differ (observed ~1e-7).
REBUILD_TOLERANCE = 1e-4

# what the converter may produce: the builtin ops the numpy reference runs (quantize.ops)
ACCEPTED_OPS = {op for op in REFERENCE_OPS if not op.startswith("CUSTOM:")}


def _quiet_tensorflow() -> None:
    import_tensorflow()


@dataclass
class ConvertResult:
    tflite: bytes
    spec: ModelSpec
    rebuild_max_abs_diff: float
    float_model: Any  # the tf_keras rebuild, batch size 1


def load_keras_model(path: str | Path) -> Any:
    """Load a .keras, .h5 or SavedModel folder, from Keras 3 or tf_keras.

    The file is checked before TensorFlow loads (seconds): a wrong path fails at once.
    """
    path = Path(path)
    if not path.exists():
        raise BadModelFileError(f"{path} does not exist")
    errors: list[str] = []
    loaders = []
    if path.is_dir():
        loaders = [_load_tf_keras]
    elif path.suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise BadModelFileError(f"{path} is not a Keras model (a .keras file is a zip archive)")
        loaders = [_load_keras3, _load_tf_keras]
    elif path.suffix in (".h5", ".hdf5"):
        loaders = [_load_tf_keras, _load_keras3]
    else:
        raise BadModelFileError(
            f"{path}: unknown model format; give a .keras file, an .h5 file or a SavedModel folder"
        )
    _quiet_tensorflow()
    for loader in loaders:
        try:
            return loader(path)
        except Exception as exc:  # each Keras flavour fails in its own way on the other's files
            errors.append(f"{loader.__name__[6:]}: {type(exc).__name__}: {str(exc)[:200]}")
    raise BadModelFileError(f"cannot load {path} as a Keras model ({'; '.join(errors)})")


def _load_keras3(path: Path) -> Any:
    import keras

    return keras.models.load_model(path, compile=False)


def _load_tf_keras(path: Path) -> Any:
    import tf_keras

    return tf_keras.models.load_model(path, compile=False)


def rebuild_tf_keras(spec: ModelSpec) -> Any:
    """The same network as tf_keras layers with batch size 1 (the fused op needs it)."""
    return build_tf_keras((spec.timesteps, spec.features), spec.layers)


def build_tf_keras(input_shape: tuple[int, ...], layers: list[LayerSpec]) -> Any:
    """A batch-1 tf_keras model of described layers, with their weights."""
    _quiet_tensorflow()
    import tf_keras

    inputs = tf_keras.Input(shape=input_shape, batch_size=1)
    x = inputs
    for layer in layers:
        keras_layer = _tf_keras_layer(layer)
        x = keras_layer(x)
        if layer.weights:
            keras_layer.set_weights(layer.weights)
    return tf_keras.Model(inputs, x)


def _tf_keras_layer(layer: LayerSpec) -> Any:
    import tensorflow as tf
    import tf_keras

    config = dict(layer.config)
    if config.get("activation") == "relu6":  # tf_keras knows no "relu6" by name
        config["activation"] = tf.nn.relu6
    cls = getattr(tf_keras.layers, layer.tf_keras_class)
    if layer.inner is not None:
        return cls(_tf_keras_layer(layer.inner), name=layer.name, **config)
    return cls(name=layer.name, **config)


def _predict(model: Any, x: np.ndarray) -> np.ndarray:
    """Batch-1 float prediction that works for both Keras flavours without progress noise."""
    outputs = [np.asarray(model(x[i : i + 1], training=False)) for i in range(len(x))]
    return np.concatenate(outputs, axis=0)


def check_calibration(x: np.ndarray, spec: ModelSpec) -> np.ndarray:
    from quantize.errors import BadDataError

    if x.dtype != np.float32:
        if np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
        else:
            raise BadDataError(
                f"calibration data must be float (got {x.dtype}): int8 data has no scale to "
                "calibrate from; give the float inputs the model was trained on"
            )
    if x.ndim != 3 or x.shape[1:] != (spec.timesteps, spec.features):
        raise BadDataError(
            f"calibration data has shape {list(x.shape)}; the model needs "
            f"[N, {spec.timesteps}, {spec.features}]"
        )
    if len(x) == 0:
        raise BadDataError("calibration data has no samples")
    if not np.all(np.isfinite(x)):
        raise BadDataError("calibration data contains NaN or Inf; clean it first")
    return x


def convert_keras(model: Any, calib_x: np.ndarray, samples: int = 200) -> ConvertResult:
    """Convert an in-memory Keras model; ``calib_x`` is float32 [N, T, F]."""
    _quiet_tensorflow()

    if has_custom_recurrent(model):
        return _convert_custom_recurrent(model, calib_x, samples)
    spec = describe_model(model)
    calib_x = check_calibration(calib_x, spec)[:samples]
    rebuilt = rebuild_tf_keras(spec)
    check_x = calib_x[: min(len(calib_x), 16)]
    diff = float(np.max(np.abs(_predict(model, check_x) - _predict(rebuilt, check_x))))
    if not diff <= REBUILD_TOLERANCE:
        raise ConversionError(
            f"the rebuilt model differs from the original by {diff:.3g} (max abs) on the "
            "calibration data; the layers are not a plain chain edge-lstm can rebuild"
        )

    tflite = tflite_int8(rebuilt, calib_x)
    verify_ops(tflite, spec)
    return ConvertResult(tflite=tflite, spec=spec, rebuild_max_abs_diff=diff, float_model=rebuilt)


def tflite_int8(model: Any, calib_x: np.ndarray) -> bytes:
    """The real TFLite converter, full int8 (int8 input and output), calibrated on calib_x.

    ``model`` is a batch-1 tf_keras model; every sample of ``calib_x`` is one representative
    batch.
    """
    _quiet_tensorflow()
    import tensorflow as tf

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(calib_x)):
            yield [calib_x[i : i + 1].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        with warnings.catch_warnings(), native_stderr_captured():
            warnings.simplefilter("ignore")  # it warns about input statistics it ignores
            return bytes(converter.convert())
    except Exception as exc:
        raise ConversionError(f"the TFLite converter failed: {str(exc).splitlines()[0]}") from None


def has_custom_recurrent(model: Any) -> bool:
    """Does the model hold a GRU or SimpleRNN, which edge-lstm quantizes as its own CUSTOM op?"""
    return any(type(layer).__name__ in ("GRU", "SimpleRNN") for layer in model.layers)


def _convert_custom_recurrent(model: Any, calib_x: np.ndarray, samples: int) -> ConvertResult:
    """GRU / SimpleRNN models: the recurrent layers quantized by edge-lstm, the rest converted.

    The converter cannot calibrate these layers (it crashes) and TFLite Micro has no kernel
    for them; quantize.custom_recurrent cuts the model there (docs/integer_gru.md).
    """
    from quantize.custom_recurrent import convert_with_custom_recurrent

    spec = describe_recurrent_model(model)
    calib_x = check_calibration(calib_x, spec)[:samples]
    try:
        with warnings.catch_warnings(), native_stderr_captured():
            warnings.simplefilter("ignore")
            tflite = convert_with_custom_recurrent(model, calib_x, samples)
    except ValueError as exc:
        raise ConversionError(str(exc)) from None
    verify_ops(tflite, spec, custom=True)
    # no rebuild: the user's own layers computed every calibration activation
    return ConvertResult(tflite=tflite, spec=spec, rebuild_max_abs_diff=0.0, float_model=model)


def verify_ops(tflite: bytes, spec: ModelSpec, custom: bool = False) -> None:
    """Refuse a conversion result that is not one fused LSTM per layer with int8 I/O."""
    model = parse_model(tflite, source="the converted model")
    ops = model.opcodes
    accepted = ACCEPTED_OPS | (set(CUSTOM_RECURRENT_OPS) if custom else set())
    unexpected = sorted(set(ops) - accepted)
    if unexpected:
        raise ConversionError(
            f"the converter produced ops edge-lstm does not accept: {', '.join(unexpected)}"
        )
    fused = ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM")
    if fused != spec.lstm_count:
        raise ConversionError(
            f"expected {spec.lstm_count} fused UNIDIRECTIONAL_SEQUENCE_LSTM ops, got {fused}"
        )
    if model.input.dtype != "int8" or model.output.dtype != "int8":
        raise ConversionError(
            f"input/output types are {model.input.dtype}/{model.output.dtype}, expected int8"
        )


def float_predict(model: Any, x: np.ndarray) -> np.ndarray:
    """Batched float prediction with the user's original model (any batch size)."""
    return np.asarray(model.predict(x.astype(np.float32), batch_size=256, verbose=0))


__all__ = [
    "ConvertResult",
    "UnsupportedModelError",
    "check_calibration",
    "convert_keras",
    "float_predict",
    "load_keras_model",
    "rebuild_tf_keras",
    "verify_ops",
]
