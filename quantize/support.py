"""Which Keras layers edge-lstm converts, and a clear refusal for everything else.

The check runs on the layer list of the user's Keras model (Keras 3 or tf_keras alike) before
any conversion, so that an unsupported model is refused with the layer and option named instead
of failing deep inside the TFLite converter (or, worse, converting into a WHILE loop). Each
accepted layer is described by the tf_keras class and arguments that rebuild it with batch size
1 (the fused LSTM op needs a static batch), plus its weights; ``quantize.convert`` rebuilds the
model from that description and checks the rebuild against the original in float.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quantize.errors import UnsupportedModelError

DENSE_ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "softmax")
CONV_ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh")
ACTIVATION_LAYERS = ("linear", "relu", "relu6", "sigmoid", "tanh", "softmax")
BIDIRECTIONAL_MERGES = ("concat", "sum", "ave", "mul")
# identity at inference: left out of the rebuild
INFERENCE_IDENTITY = (
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
)
SUPPORTED_SUMMARY = (
    "Conv1D, SeparableConv1D, DepthwiseConv1D, MaxPooling1D, AveragePooling1D, "
    "GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Reshape, BatchNormalization, "
    "Normalization, Dropout, LSTM, Bidirectional(LSTM), TimeDistributed(Dense), Dense, "
    "Softmax, ReLU, Activation"
)


@dataclass
class LayerSpec:
    """One supported layer: the tf_keras class and arguments that rebuild it, and its weights."""

    kind: str  # the Keras class name, lower case ("lstm", "conv1d", "bidirectional", ...)
    name: str
    config: dict[str, Any]  # keyword arguments of the tf_keras class
    weights: list[np.ndarray] = field(default_factory=list)
    inner: LayerSpec | None = None  # the wrapped layer of Bidirectional / TimeDistributed
    lstm_directions: int = 0  # fused LSTM ops the layer converts to

    @property
    def tf_keras_class(self) -> str:
        return _CLASS_NAMES[self.kind]


@dataclass
class ModelSpec:
    timesteps: int
    features: int
    layers: list[LayerSpec]

    @property
    def lstm_count(self) -> int:
        """Fused UNIDIRECTIONAL_SEQUENCE_LSTM ops expected: one per LSTM direction."""
        return sum(layer.lstm_directions for layer in self.layers)


def activation_name(value: Any) -> str:
    """The name of a layer's activation, whether Keras serialized it as a string or an object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # serialized activation object
        return str(value.get("config", {}).get("name", value.get("class_name", "?")))
    return str(getattr(value, "__name__", value))


def _one(value: Any) -> int:
    """A 1-D layer's size argument: Keras 3 stores (k,), tf_keras k or (k,)."""
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ValueError(f"expected one value, got {value}")
        return int(value[0])
    return int(value)


def _input_shape(model: Any) -> tuple[int, int]:
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
    if isinstance(model.output_shape, list):
        raise UnsupportedModelError(
            "the model has several outputs; edge-lstm supports one input -> one output chain"
        )
    return int(timesteps), int(features)


def describe_model(model: Any) -> ModelSpec:
    """Check a loaded Keras model against the supported layers and describe it."""
    timesteps, features = _input_shape(model)
    layers = [spec for spec in (describe_layer(layer) for layer in model.layers) if spec]
    if not any(spec.lstm_directions for spec in layers):
        raise UnsupportedModelError(
            "the model has no LSTM layer; edge-lstm is for recurrent models "
            "(LSTM, Bidirectional(LSTM), GRU or SimpleRNN, with the layers around them)"
        )
    return ModelSpec(timesteps=timesteps, features=features, layers=layers)


def describe_recurrent_model(model: Any) -> ModelSpec:
    """Check a Keras model with GRU / SimpleRNN layers, edge-lstm's own integer cells."""
    timesteps, features = _input_shape(model)
    layers: list[LayerSpec] = []
    for layer in model.layers:
        cls = type(layer).__name__
        if cls in ("GRU", "SimpleRNN"):
            layers.append(_custom_recurrent(layer, layer.get_config()))
            continue
        spec = describe_layer(layer)
        if spec is not None:
            layers.append(spec)
    return ModelSpec(timesteps=timesteps, features=features, layers=layers)


def _check_recurrent_options(
    layer: Any,
    config: dict[str, Any],
    activations: list[tuple[str, str, str]],
    flags: list[tuple[str, str]],
) -> None:
    """Refuse the first non-default activation or set flag, naming it and its fix."""
    for key, expected, fix in activations:
        value = activation_name(config.get(key, expected))
        if value != expected:
            raise _refuse(layer, f"{key}='{value}'", fix)
    for key, fix in flags:
        if config.get(key, False):
            raise _refuse(layer, f"{key}=True", fix)


def _custom_recurrent(layer: Any, config: dict[str, Any]) -> LayerSpec:
    """A GRU or SimpleRNN with the options edge-lstm's integer cells implement."""
    gru = type(layer).__name__ == "GRU"
    checks = [("activation", "tanh", "keep the default activation='tanh'")]
    if gru:
        checks.append(
            ("recurrent_activation", "sigmoid", "keep the default recurrent_activation='sigmoid'")
        )
    flags = [
        ("stateful", "set stateful=False; edge-lstm resets state per sequence"),
        ("go_backwards", "set go_backwards=False"),
        ("return_state", "set return_state=False"),
        ("unroll", "set unroll=False"),
    ]
    _check_recurrent_options(layer, config, checks, flags)
    return LayerSpec(
        "gru" if gru else "simple_rnn",
        layer.name,
        {
            "units": int(config["units"]),
            "return_sequences": bool(config.get("return_sequences", False)),
            "use_bias": bool(config.get("use_bias", True)),
            **({"reset_after": bool(config.get("reset_after", True))} if gru else {}),
        },
        _weights(layer),
    )


def _refuse(layer: Any, option: str, fix: str) -> UnsupportedModelError:
    cls = type(layer).__name__
    return UnsupportedModelError(f"layer '{layer.name}' ({cls}): {option} is not supported; {fix}")


def describe_layer(layer: Any) -> LayerSpec | None:
    """One layer's description, None for an identity at inference; refuses by name."""
    cls = type(layer).__name__
    if cls in INFERENCE_IDENTITY:
        return None
    describe = _DESCRIBERS.get(cls)
    if describe is None:
        what = {
            "GRU": "GRU layers",
            "SimpleRNN": "SimpleRNN layers",
            "Masking": "masking",
            "RNN": "generic RNN cells",
            "Conv2D": "2-D convolutions",
            "Add": "branches that merge (Add)",
            "Concatenate": "branches that merge (Concatenate)",
            "Multiply": "branches that merge (Multiply)",
            "Subtract": "branches that merge (Subtract)",
            "Average": "branches that merge (Average)",
        }.get(cls, f"the layer type {cls}")
        return _not_supported(layer, cls, what)
    return describe(layer, layer.get_config())


def _not_supported(layer: Any, cls: str, what: str) -> LayerSpec:
    raise UnsupportedModelError(
        f"layer '{layer.name}' ({cls}): {what} are not supported; supported layers are "
        f"{SUPPORTED_SUMMARY}, in one input -> one output chain"
    )


def _weights(layer: Any) -> list[np.ndarray]:
    return [np.asarray(w) for w in layer.get_weights()]


def _check_activation(layer: Any, config: dict[str, Any], allowed: tuple[str, ...]) -> str:
    activation = activation_name(config.get("activation", "linear"))
    if activation not in allowed:
        raise _refuse(layer, f"activation='{activation}'", f"use one of {', '.join(allowed)}")
    return activation


def _check_channels_last(layer: Any, config: dict[str, Any]) -> None:
    if config.get("data_format", "channels_last") != "channels_last":
        raise _refuse(
            layer, f"data_format='{config['data_format']}'", "use data_format='channels_last'"
        )


def _dense(layer: Any, config: dict[str, Any]) -> LayerSpec:
    return LayerSpec(
        "dense",
        layer.name,
        {
            "units": int(config["units"]),
            "activation": _check_activation(layer, config, DENSE_ACTIVATIONS),
            "use_bias": bool(config.get("use_bias", True)),
        },
        _weights(layer),
    )


def _lstm(layer: Any, config: dict[str, Any]) -> LayerSpec:
    checks = [
        ("activation", "tanh", "keep the default activation='tanh'"),
        ("recurrent_activation", "sigmoid", "keep the default recurrent_activation='sigmoid'"),
    ]
    flags = [
        (
            "stateful",
            "set stateful=False; edge-lstm resets state per sequence and offers a "
            "streaming step() API on the device",
        ),
        ("go_backwards", "set go_backwards=False (for both directions use Bidirectional)"),
        ("return_state", "set return_state=False"),
        ("time_major", "set time_major=False"),
        ("unroll", "set unroll=False"),
    ]
    _check_recurrent_options(layer, config, checks, flags)
    return LayerSpec(
        "lstm",
        layer.name,
        {
            "units": int(config["units"]),
            "return_sequences": bool(config.get("return_sequences", False)),
            "use_bias": bool(config.get("use_bias", True)),
        },
        _weights(layer),
        lstm_directions=1,
    )


def _bidirectional(layer: Any, config: dict[str, Any]) -> LayerSpec:
    inner = layer.forward_layer
    if type(inner).__name__ != "LSTM":
        raise _refuse(
            layer,
            f"a wrapped {type(inner).__name__}",
            "wrap an LSTM (GRU and SimpleRNN run as edge-lstm's own cells, not bidirectional)",
        )
    merge = config.get("merge_mode", "concat")
    if merge not in BIDIRECTIONAL_MERGES:
        raise _refuse(layer, f"merge_mode={merge!r}", f"use one of {BIDIRECTIONAL_MERGES}")
    backward = layer.backward_layer
    forward_spec = _lstm(inner, inner.get_config())
    backward_spec = _lstm_backward(backward)
    if backward_spec.config != forward_spec.config:
        raise _refuse(layer, "a backward layer unlike the forward one", "use one LSTM config")
    return LayerSpec(
        "bidirectional",
        layer.name,
        {"merge_mode": merge},
        _weights(layer),
        inner=forward_spec,
        lstm_directions=2,
    )


def _lstm_backward(layer: Any) -> LayerSpec:
    """The backward LSTM of a Bidirectional: go_backwards=True is its job, not an option."""
    config = dict(layer.get_config())
    config["go_backwards"] = False
    return _lstm(layer, config)


def _time_distributed(layer: Any, config: dict[str, Any]) -> LayerSpec:
    inner = layer.layer
    if type(inner).__name__ != "Dense":
        raise _refuse(
            layer, f"a wrapped {type(inner).__name__}", "wrap a Dense layer in TimeDistributed"
        )
    dense = _dense(inner, inner.get_config())
    return LayerSpec("timedistributed", layer.name, {}, _weights(layer), inner=dense)


def _conv1d(layer: Any, config: dict[str, Any]) -> LayerSpec:
    _check_channels_last(layer, config)
    if int(config.get("groups", 1)) != 1:
        raise _refuse(layer, f"groups={config['groups']}", "use groups=1 (or DepthwiseConv1D)")
    padding = config.get("padding", "valid")
    if padding not in ("valid", "same", "causal"):
        raise _refuse(layer, f"padding='{padding}'", "use 'valid', 'same' or 'causal'")
    return LayerSpec(
        "conv1d",
        layer.name,
        {
            "filters": int(config["filters"]),
            "kernel_size": _one(config["kernel_size"]),
            "strides": _one(config.get("strides", 1)),
            "padding": padding,
            "dilation_rate": _one(config.get("dilation_rate", 1)),
            "activation": _check_activation(layer, config, CONV_ACTIVATIONS),
            "use_bias": bool(config.get("use_bias", True)),
        },
        _weights(layer),
    )


def _depthwise_conv1d(layer: Any, config: dict[str, Any]) -> LayerSpec:
    _check_channels_last(layer, config)
    padding = config.get("padding", "valid")
    if padding not in ("valid", "same"):
        raise _refuse(layer, f"padding='{padding}'", "use 'valid' or 'same'")
    return LayerSpec(
        "depthwiseconv1d",
        layer.name,
        {
            "kernel_size": _one(config["kernel_size"]),
            "strides": _one(config.get("strides", 1)),
            "padding": padding,
            "depth_multiplier": int(config.get("depth_multiplier", 1)),
            "dilation_rate": _one(config.get("dilation_rate", 1)),
            "activation": _check_activation(layer, config, CONV_ACTIVATIONS),
            "use_bias": bool(config.get("use_bias", True)),
        },
        _weights(layer),
    )


def _separable_conv1d(layer: Any, config: dict[str, Any]) -> LayerSpec:
    spec = _depthwise_conv1d(layer, config)
    spec.kind = "separableconv1d"
    spec.config["filters"] = int(config["filters"])
    return spec


def _pooling(kind: str) -> Callable[[Any, dict[str, Any]], LayerSpec]:
    def describe(layer: Any, config: dict[str, Any]) -> LayerSpec:
        _check_channels_last(layer, config)
        pool = _one(config.get("pool_size", 2))
        strides = config.get("strides")
        padding = config.get("padding", "valid")
        if padding not in ("valid", "same"):
            raise _refuse(layer, f"padding='{padding}'", "use 'valid' or 'same'")
        return LayerSpec(
            kind,
            layer.name,
            {
                "pool_size": pool,
                "strides": pool if strides is None else _one(strides),
                "padding": padding,
            },
        )

    return describe


def _global_pooling(kind: str) -> Callable[[Any, dict[str, Any]], LayerSpec]:
    def describe(layer: Any, config: dict[str, Any]) -> LayerSpec:
        _check_channels_last(layer, config)
        return LayerSpec(kind, layer.name, {"keepdims": bool(config.get("keepdims", False))})

    return describe


def _flatten(layer: Any, config: dict[str, Any]) -> LayerSpec:
    _check_channels_last(layer, config)
    return LayerSpec("flatten", layer.name, {})


def _reshape(layer: Any, config: dict[str, Any]) -> LayerSpec:
    target = tuple(int(d) for d in config["target_shape"])
    return LayerSpec("reshape", layer.name, {"target_shape": target})


def _batch_normalization(layer: Any, config: dict[str, Any]) -> LayerSpec:
    axis = config.get("axis", -1)
    axis = axis[0] if isinstance(axis, list | tuple) and len(axis) == 1 else axis
    if axis not in (-1, 2):
        raise _refuse(layer, f"axis={axis}", "normalize the feature axis (axis=-1)")
    if config.get("renorm") or config.get("synchronized"):
        raise _refuse(layer, "renorm/synchronized", "use a plain BatchNormalization")
    return LayerSpec(
        "batchnormalization",
        layer.name,
        {
            "axis": -1,
            "epsilon": float(config.get("epsilon", 1e-3)),
            "center": bool(config.get("center", True)),
            "scale": bool(config.get("scale", True)),
        },
        _weights(layer),
    )


def _normalization(layer: Any, config: dict[str, Any]) -> LayerSpec:
    axis = config.get("axis", -1)
    axis = tuple(axis) if isinstance(axis, list | tuple) else (axis,)
    if axis not in ((-1,), (2,)):
        raise _refuse(layer, f"axis={axis}", "normalize the feature axis (axis=-1)")
    if config.get("invert", False):
        raise _refuse(layer, "invert=True", "use invert=False")
    mean = np.asarray(layer.mean, dtype=np.float32).reshape(-1)
    variance = np.asarray(layer.variance, dtype=np.float32).reshape(-1)
    return LayerSpec(
        "normalization",
        layer.name,
        {"axis": -1, "mean": mean.tolist(), "variance": variance.tolist()},
    )


def _softmax(layer: Any, config: dict[str, Any]) -> LayerSpec:
    axis = config.get("axis", -1)
    if axis not in (-1, [-1], (-1,)):
        raise _refuse(layer, f"axis={axis}", "use the default axis=-1")
    return LayerSpec("softmax", layer.name, {})


def _activation(layer: Any, config: dict[str, Any]) -> LayerSpec:
    activation = activation_name(config.get("activation"))
    if activation not in ACTIVATION_LAYERS:
        raise _refuse(
            layer, f"activation='{activation}'", f"use one of {', '.join(ACTIVATION_LAYERS)}"
        )
    return LayerSpec("activation", layer.name, {"activation": activation})


def _relu(layer: Any, config: dict[str, Any]) -> LayerSpec:
    max_value = config.get("max_value")
    slope = float(config.get("negative_slope", 0.0) or 0.0)
    threshold = float(config.get("threshold", 0.0) or 0.0)
    if slope != 0.0 or threshold != 0.0 or max_value not in (None, 6, 6.0):
        raise _refuse(
            layer,
            f"ReLU(max_value={max_value}, negative_slope={slope}, threshold={threshold})",
            "use ReLU() or ReLU(max_value=6)",
        )
    return LayerSpec(
        "activation", layer.name, {"activation": "relu" if max_value is None else "relu6"}
    )


_DESCRIBERS: dict[str, Callable[[Any, dict[str, Any]], LayerSpec]] = {
    "LSTM": _lstm,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Dense": _dense,
    "Conv1D": _conv1d,
    "DepthwiseConv1D": _depthwise_conv1d,
    "SeparableConv1D": _separable_conv1d,
    "MaxPooling1D": _pooling("maxpooling1d"),
    "AveragePooling1D": _pooling("averagepooling1d"),
    "GlobalAveragePooling1D": _global_pooling("globalaveragepooling1d"),
    "GlobalMaxPooling1D": _global_pooling("globalmaxpooling1d"),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "BatchNormalization": _batch_normalization,
    "Normalization": _normalization,
    "Softmax": _softmax,
    "Activation": _activation,
    "ReLU": _relu,
}

# LayerSpec.kind -> the tf_keras layer class that rebuilds it
_CLASS_NAMES = {
    "lstm": "LSTM",
    "gru": "GRU",
    "simple_rnn": "SimpleRNN",
    "bidirectional": "Bidirectional",
    "timedistributed": "TimeDistributed",
    "dense": "Dense",
    "conv1d": "Conv1D",
    "depthwiseconv1d": "DepthwiseConv1D",
    "separableconv1d": "SeparableConv1D",
    "maxpooling1d": "MaxPooling1D",
    "averagepooling1d": "AveragePooling1D",
    "globalaveragepooling1d": "GlobalAveragePooling1D",
    "globalmaxpooling1d": "GlobalMaxPooling1D",
    "flatten": "Flatten",
    "reshape": "Reshape",
    "batchnormalization": "BatchNormalization",
    "normalization": "Normalization",
    "softmax": "Softmax",
    "activation": "Activation",
}
