"""The int16 activations equal the real runtimes on all 65,536 inputs.

Golden values come from one-op int16 LOGISTIC / TANH models written directly as flatbuffers, with
the input scale chosen so that the runtime's kernel sees exactly what the LSTM's gate path sees:
scale 2^-12 (Q3.12) for the gates, 2^p for tanh of the cell state. TFLite Micro's kernels are the
"tflm" variant; LiteRT's optimized int16 kernels (gemmlowp fixed point) are the "litert" variant.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest

from quantize.activations import (
    SIGMOID_TABLE_Q16,
    activation_error_table,
    lstm_activations,
    tflm_cell_tanh_args,
    tflm_tanh_int16,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def one_op_int16_model(opcode: str, input_scale: float, output_scale: float = 2.0**-15) -> bytes:
    """A .tflite with one int16 [65536] -> int16 [65536] activation op and nothing else."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s

    def tensor(name: str, scale: float, buffer: int) -> object:
        t = s.TensorT()
        t.shape = [ALL_INT16.size]
        t.type = s.TensorType.INT16
        t.buffer = buffer
        t.name = name
        q = s.QuantizationParametersT()
        q.scale, q.zeroPoint = [scale], [0]
        t.quantization = q
        return t

    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, opcode)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 3
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [1]
    graph = s.SubGraphT()
    graph.tensors = [tensor("x", input_scale, 1), tensor("y", output_scale, 2)]
    graph.inputs, graph.outputs, graph.operators = [0], [1], [op]
    model = s.ModelT()
    model.version = 3
    model.operatorCodes = [code]
    model.subgraphs = [graph]
    model.buffers = [s.BufferT(), s.BufferT(), s.BufferT()]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def run_tflm(data: bytes) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    interpreter.set_input(ALL_INT16, 0)
    interpreter.invoke()
    return np.array(interpreter.get_output(0)).astype(np.int64)


def run_litert(data: bytes) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], ALL_INT16)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).astype(np.int64)


def _check(name: str, expected: np.ndarray, got: np.ndarray) -> None:
    mismatches = int((expected != got).sum())
    print(f"{name}: {mismatches} mismatches of {got.size}")
    assert mismatches == 0


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_tflm_gate_activations_exhaustive(opcode: str) -> None:
    act = lstm_activations("tflm")
    fn = act.gate_sigmoid if opcode == "LOGISTIC" else act.gate_tanh
    expected = run_tflm(one_op_int16_model(opcode, 2.0**-12))
    _check(f"tflm {opcode}", expected, fn(ALL_INT16))


@pytest.mark.parametrize("cell_power", [-15, -14, -13, -12, -11, -10, -9, -16])
def test_tflm_cell_tanh_exhaustive(cell_power: int) -> None:
    """TFLM's TANH op at scale 2^p computes the same function as the LSTM's tanh(c)."""
    expected = run_tflm(one_op_int16_model("TANH", 2.0**cell_power))
    got = lstm_activations("tflm").cell_tanh(ALL_INT16, cell_power)
    _check(f"tflm cell tanh 2^{cell_power}", expected, got)


@pytest.mark.parametrize("opcode", ["LOGISTIC", "TANH"])
def test_litert_gate_activations_exhaustive(opcode: str) -> None:
    act = lstm_activations("litert")
    fn = act.gate_sigmoid if opcode == "LOGISTIC" else act.gate_tanh
    expected = run_litert(one_op_int16_model(opcode, 2.0**-12))
    _check(f"litert {opcode}", expected, fn(ALL_INT16))


def test_sigmoid_table_recovered_from_the_runtime() -> None:
    """Each table entry, read back through TFLM's tanh at inputs where no interpolation happens.

    With a power-of-two scale 2^-12 the kernel multiplies by 3 and indexes |3x| >> 8; at
    3x = 256 k the fractional part is 0 and tanh returns table[k] - 32768 exactly.
    """
    out = run_tflm(one_op_int16_model("TANH", 2.0**-12))
    ks = np.arange(0, 255, 3)  # 256 k divisible by 3
    xs = ks * 256 // 3
    recovered = out[xs + 32768] + 32768
    np.testing.assert_array_equal(recovered, SIGMOID_TABLE_Q16[ks])
    assert len(ks) == 85


def test_cell_tanh_arguments() -> None:
    # derivation: shift = 15 + p - 3; negative shifts become multiplier 3 with a right shift
    assert tflm_cell_tanh_args(-12) == (0, 0)
    assert tflm_cell_tanh_args(-11) == (0, 1)
    assert tflm_cell_tanh_args(-15) == (3, 3)
    # at p = -12 the cell tanh is the gate tanh
    np.testing.assert_array_equal(
        tflm_tanh_int16(ALL_INT16, *tflm_cell_tanh_args(-12)), tflm_tanh_int16(ALL_INT16)
    )


def test_error_table_is_small_and_complete() -> None:
    rows = activation_error_table()
    assert {(r.variant, r.function) for r in rows} == {
        (v, f) for v in ("tflm", "litert") for f in ("sigmoid", "tanh")
    }
    for r in rows:
        print(r)
        assert r.max_abs_error < 2e-3 and r.mean_abs_error < r.max_abs_error
