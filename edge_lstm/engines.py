"""Host-side int8 engines: the numpy reference and the real TFLM runtime, one call each."""

from __future__ import annotations

import numpy as np


def reference_outputs(tflite: bytes, x_int8: np.ndarray, activations: str = "tflm") -> np.ndarray:
    """The numpy reference (no TensorFlow, no TFLM), state reset per sequence."""
    from quantize.reference import run_reference
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


def litert_outputs(tflite: bytes, x_int8: np.ndarray) -> np.ndarray:
    """A Linux interpreter (LiteRT, or the older tflite-runtime), state reset per sequence.

    Its fixed-point LSTM activations differ from TFLM's: compare it with the reference's
    ``litert`` variant, not the default one.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            from edge_lstm.errors import MissingToolError

            raise MissingToolError(
                "no LiteRT interpreter: pip install 'edge-lstm[litert]' (or, in an environment "
                "with numpy < 2, 'edge-lstm[tflite-runtime]')"
            ) from None
    interpreter = Interpreter(model_content=tflite)
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
