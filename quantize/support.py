"""What edge-lstm turns into fused int8 ops, and a clear refusal for everything else.

The check runs on the layer list of the user's Keras model (Keras 3 or tf_keras alike) before
any conversion, so that an unsupported model is refused with the layer and option named instead
of failing deep inside the TFLite converter (or, worse, converting into a WHILE loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quantize.errors import UnsupportedModelError

DENSE_ACTIVATIONS = ("linear", "relu", "softmax")


@dataclass
class LayerSpec:
    """One supported layer, with everything needed to rebuild it in tf_keras."""

    kind: str  # "lstm", "dense", "softmax"
    name: str
    config: dict[str, Any]
    weights: list[np.ndarray] = field(default_factory=list)


@dataclass
class ModelSpec:
    timesteps: int
    features: int
    layers: list[LayerSpec]

    @property
    def lstm_count(self) -> int:
        return sum(1 for layer in self.layers if layer.kind == "lstm")


def _activation_name(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # serialized activation object
        return str(value.get("config", {}).get("name", value.get("class_name", "?")))
    return str(getattr(value, "__name__", value))


def describe_model(model: Any) -> ModelSpec:
    """Check a loaded Keras model against the supported architectures and describe it."""
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if shape is None:
        raise UnsupportedModelError(
            "the model has several inputs; edge-lstm supports one input [batch, T, features]"
        )
    if len(shape) != 3:
        raise UnsupportedModelError(
            f"the model input has shape {shape}; edge-lstm needs [batch, T, features]"
        )
    timesteps, features = shape[1], shape[2]
    if timesteps is None or features is None:
        raise UnsupportedModelError(
            f"the model input shape {shape} has a variable time length or feature count: "
            "give the Input a fixed shape, e.g. keras.Input(shape=(T, F))"
        )

    layers: list[LayerSpec] = []
    for layer in model.layers:
        spec = _describe_layer(layer, seen_lstm=any(s.kind == "lstm" for s in layers))
        if spec is not None:
            layers.append(spec)
    if not any(s.kind == "lstm" for s in layers):
        raise UnsupportedModelError("the model has no LSTM layer; edge-lstm is for LSTM models")
    kinds = [s.kind for s in layers]
    first_non_lstm = next((i for i, k in enumerate(kinds) if k != "lstm"), len(kinds))
    if any(k == "lstm" for k in kinds[first_non_lstm:]):
        raise UnsupportedModelError(
            "LSTM layers must come first, stacked directly (Dense between LSTMs is not supported)"
        )
    for spec in layers[: first_non_lstm - 1]:
        if not spec.config["return_sequences"]:
            raise UnsupportedModelError(
                f"layer '{spec.name}' (LSTM) feeds another LSTM but has return_sequences=False; "
                "set return_sequences=True on every LSTM but the last"
            )
    return ModelSpec(timesteps=int(timesteps), features=int(features), layers=layers)


def _refuse(layer: Any, option: str, fix: str) -> UnsupportedModelError:
    cls = type(layer).__name__
    return UnsupportedModelError(f"layer '{layer.name}' ({cls}): {option} is not supported; {fix}")


def _describe_layer(layer: Any, seen_lstm: bool) -> LayerSpec | None:
    cls = type(layer).__name__
    config = layer.get_config()
    if cls == "InputLayer":
        return None
    if cls == "Dropout":
        return None  # identity at inference
    if cls == "LSTM":
        return _describe_lstm(layer, config)
    if cls == "Dense":
        activation = _activation_name(config.get("activation", "linear"))
        if activation not in DENSE_ACTIVATIONS:
            raise _refuse(
                layer,
                f"activation='{activation}'",
                f"use one of {', '.join(DENSE_ACTIVATIONS)}",
            )
        return LayerSpec(
            "dense",
            layer.name,
            {
                "units": int(config["units"]),
                "activation": activation,
                "use_bias": bool(config.get("use_bias", True)),
            },
            [np.asarray(w) for w in layer.get_weights()],
        )
    if cls == "Softmax":
        axis = config.get("axis", -1)
        if axis not in (-1, [-1]):
            raise _refuse(layer, f"axis={axis}", "use the default axis=-1")
        return LayerSpec("softmax", layer.name, {})
    if cls == "Activation":
        activation = _activation_name(config.get("activation"))
        if activation == "softmax":
            return LayerSpec("softmax", layer.name, {})
        raise _refuse(
            layer, f"activation='{activation}'", "only Activation('softmax') is supported"
        )
    what = {
        "GRU": "GRU layers",
        "SimpleRNN": "SimpleRNN layers",
        "Bidirectional": "bidirectional recurrence",
        "Masking": "masking",
        "Conv1D": "convolutions",
        "RNN": "generic RNN cells",
    }.get(cls, f"the layer type {cls}")
    raise UnsupportedModelError(
        f"layer '{layer.name}' ({cls}): {what} are not supported; supported models are "
        "Input -> LSTM [-> LSTM ...] -> [Dropout] -> Dense (linear/relu/softmax) ... -> [Softmax]"
    )


def _describe_lstm(layer: Any, config: dict[str, Any]) -> LayerSpec:
    checks = [
        ("activation", "tanh", "keep the default activation='tanh'"),
        ("recurrent_activation", "sigmoid", "keep the default recurrent_activation='sigmoid'"),
    ]
    for key, expected, fix in checks:
        value = _activation_name(config.get(key, expected))
        if value != expected:
            raise _refuse(layer, f"{key}='{value}'", fix)
    flags = [
        (
            "stateful",
            "set stateful=False; edge-lstm resets state per sequence and offers a "
            "streaming step() API on the device",
        ),
        ("go_backwards", "set go_backwards=False"),
        ("return_state", "set return_state=False"),
        ("time_major", "set time_major=False"),
        ("unroll", "set unroll=False"),
    ]
    for key, fix in flags:
        if config.get(key, False):
            raise _refuse(layer, f"{key}=True", fix)
    return LayerSpec(
        "lstm",
        layer.name,
        {
            "units": int(config["units"]),
            "return_sequences": bool(config.get("return_sequences", False)),
            "use_bias": bool(config.get("use_bias", True)),
        },
        [np.asarray(w) for w in layer.get_weights()],
    )
