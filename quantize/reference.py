"""Bit-exact numpy executor of an int8 model IR: the golden outputs for every other backend.

Each activation is kept as an array of shape (N, *tensor_shape): the model's own shape (batch 1
first) with one more leading axis for the N independent samples, so every op is vectorized over
samples and only the recurrent kernels loop, over time steps. The kernels live in
``quantize.kernels``; ``quantize.ops`` says which one runs which opcode.

``activations="tflm"`` reproduces TFLite Micro (the firmware); ``"litert"`` reproduces the LiteRT
interpreter (ai-edge-litert), whose LSTM uses different fixed-point activations and a few different
roundings; ``"tflite-runtime"`` reproduces tflite-runtime 2.14, which is "litert" except for the
rounding of FULLY_CONNECTED.
"""

from __future__ import annotations

import numpy as np

from quantize.activations import RUNTIMES
from quantize.errors import BadDataError, UnsupportedModelError
from quantize.fixedpoint import round_half_away, saturate_to
from quantize.ir import Model, Tensor
from quantize.kernels.common import Env
from quantize.ops import OPS, REFERENCE_OPS

SUPPORTED_OPS = REFERENCE_OPS


def dequantize(q: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Real values of a per-tensor quantized int array: scale * (q - zero_point), float32."""
    centered = q.astype(np.float32) - np.float32(tensor.zero_point)
    return (np.float32(tensor.scale) * centered).astype(np.float32)


def quantize_input(x: np.ndarray, tensor: Tensor) -> np.ndarray:
    """Float data to the model's int8 input as TFLite's QUANTIZE kernel computes it: x / scale
    divided in float32, rounded half away from zero, saturated. A float64 division differs from
    TFLite's next to the halves (x / scale = 18.4999994 in float64 is 18.5 in float32).
    """
    if not np.all(np.isfinite(x)):
        raise BadDataError("the input data contains NaN or infinite values")
    q = round_half_away(np.asarray(x, dtype=np.float32) / np.float32(tensor.scale))
    return saturate_to(q + tensor.zero_point, "int8")


def check_supported(model: Model) -> None:
    """Raise UnsupportedModelError naming the first operator the reference cannot run."""
    for op in model.operators:
        row = OPS.get(op.opcode)
        if row is None or row.reference is None:
            raise UnsupportedModelError(
                f"operator {op.index} is {op.opcode}, which edge-lstm does not support "
                f"(supported: {', '.join(SUPPORTED_OPS)})"
            )
    if model.input.dtype != "int8" or model.output.dtype != "int8":
        raise UnsupportedModelError(
            f"the model's input/output are {model.input.dtype}/{model.output.dtype}; "
            "edge-lstm needs an int8 input and output (convert with `edge-lstm quantize`)"
        )


def run_reference(model: Model, x_int8: np.ndarray, activations: str = "tflm") -> np.ndarray:
    """Outputs [N, *output_shape_without_batch] int8 for inputs [N, *input_shape_without_batch].

    ``activations`` is "tflm" (TFLite Micro, the firmware), "litert" (the LiteRT interpreter,
    ai-edge-litert) or "tflite-runtime" (tflite-runtime 2.14).
    """
    if activations not in RUNTIMES:
        raise ValueError(f"unknown activation variant {activations!r}; choose one of {RUNTIMES}")
    check_supported(model)
    x = np.asarray(x_int8)
    in_t = model.input
    sample_shape = in_t.shape[1:] if in_t.shape and in_t.shape[0] == 1 else in_t.shape
    if x.dtype != np.int8:
        raise BadDataError(f"run_reference expects int8 inputs, got {x.dtype}")
    if x.shape[1:] != tuple(sample_shape):
        raise BadDataError(
            f"input data has shape {list(x.shape)}, the model expects [N, "
            f"{', '.join(str(d) for d in sample_shape)}]"
        )
    env: Env = {in_t.index: x.reshape((x.shape[0], *in_t.shape))}
    for op in model.operators:
        kernel = OPS[op.opcode].reference
        assert kernel is not None  # check_supported() refused every op without one
        kernel(model, op, env, activations)
    y = env[model.output.index]
    out_shape = model.output.shape
    if out_shape and out_shape[0] == 1:
        y = y.reshape((y.shape[0], *out_shape[1:]))
    return y.astype(np.int8)
