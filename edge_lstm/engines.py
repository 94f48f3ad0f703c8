"""Host-side int8 engines: the numpy reference and the real TFLM runtime, one call each."""

from __future__ import annotations

import numpy as np


def reference_outputs(tflite: bytes, x_int8: np.ndarray, activations: str = "tflm") -> np.ndarray:
    """The numpy reference (no TensorFlow, no TFLM), state reset per sequence.

    Falls back to the TFLM host runtime only while the reference module is unavailable.
    """
    try:
        from quantize.reference import run_reference
    except ImportError:
        return tflm_outputs(tflite, x_int8)
    from quantize.tflite_ir import parse_model

    return run_reference(parse_model(tflite), x_int8, activations=activations)


def tflm_outputs(tflite: bytes, x_int8: np.ndarray) -> np.ndarray:
    """The real TFLite Micro kernels on the host, state reset before every sequence."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite)
    outputs = []
    for sample in x_int8:
        interpreter.reset()
        interpreter.set_input(sample[None, ...], 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0))[0])
    return np.stack(outputs)
