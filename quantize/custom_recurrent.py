"""GRU and SimpleRNN layers as edge-lstm CUSTOM ops inside one int8 .tflite.

The TFLite converter cannot quantize GRU or SimpleRNN layers (int8 calibration crashes) and TFLite
Micro has no kernel for them, so a model is cut at its GRU/SimpleRNN layers: every run of other
layers (LSTM, Dense, Softmax) is converted by the real converter, with the float activations
at its input as representative data, and each recurrent layer is quantized by
``quantize.gru_params`` and stored as a CUSTOM op. The pieces are spliced into one flatbuffer.
Where a recurrent layer meets a converted piece, the recurrent op adopts that piece's
quantization: its input is the previous piece's int8 output as is, and its output is requantized
to the input quantization the converter chose for the next piece (calibrated on the same float
values), so no extra op is needed between them.

The CUSTOM op (``EL_GRU`` or ``EL_SIMPLE_RNN``, owned by edge-lstm):

- inputs: 0 x int8 [1, T, I]; 1 W int8 [G*H, I] and 2 U int8 [G*H, H], symmetric per-row
  scales (quantized dimension 0); 3 input bias int32 [G*H] at s_x * s_W; 4 recurrent bias int32
  [G*H] at s_h * s_U; 5 the state h, int8 [1, H], a variable tensor whose quantization is the
  state's. Row blocks z, r, n for a GRU.
- output: int8 [1, T, H] (return_sequences) or [1, H], with its own quantization.
- options (flexbuffer map): ``version`` (1), ``kind`` ("gru" / "simple_rnn"), ``reset_after``,
  ``return_sequences``, ``candidate_power`` (docs/integer_gru.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from quantize.errors import ConversionError, UnsupportedModelError
from quantize.gru_params import (
    GruParams,
    QuantizedRecurrent,
    asymmetric_int8,
    calibrate,
    gru_params,
    quantize_recurrent,
    recurrent_from_keras,
)
from quantize.gru_reference import recurrent_sequence
from quantize.ir import Model, Operator, Tensor
from quantize.support import INFERENCE_IDENTITY

CUSTOM_CODES = {"gru": "EL_GRU", "simple_rnn": "EL_SIMPLE_RNN"}
OPCODES = tuple(f"CUSTOM:{code}" for code in CUSTOM_CODES.values())
OPTIONS_VERSION = 1
_KIND_OF_CODE = {f"CUSTOM:{code}": kind for kind, code in CUSTOM_CODES.items()}

# operator input slots
X, W_X, W_H, B_X, B_H, STATE = range(6)

_RECURRENT = ("GRU", "SimpleRNN")


def _schema() -> Any:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


# --- reading the op back --------------------------------------------------------------------


def _input(model: Model, op: Operator, slot: int, what: str) -> Tensor:
    if slot >= len(op.inputs) or op.inputs[slot] < 0:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index} has no {what} tensor")
    return model.tensor(op.inputs[slot])


def _const(model: Model, op: Operator, slot: int, what: str, dtype: str) -> tuple[Tensor, Any]:
    t = _input(model, op, slot, what)
    if t.data is None or t.dtype != dtype or t.quant is None:
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index}: the {what} is not a constant {dtype} tensor "
            "with quantization"
        )
    return t, t.data


def quantized_from_op(model: Model, op: Operator) -> QuantizedRecurrent:
    """The stored layer of an ``EL_GRU`` / ``EL_SIMPLE_RNN`` operator, as quantized."""
    kind = _KIND_OF_CODE.get(op.opcode)
    if kind is None:
        raise ValueError(f"operator {op.index} is {op.opcode}, not an edge-lstm recurrent op")
    o = op.options
    version = int(o.get("version", 0))
    if version != OPTIONS_VERSION or o.get("kind") != kind:
        raise UnsupportedModelError(
            f"{op.opcode} operator {op.index} has options version {version} / kind "
            f"{o.get('kind')!r}; this edge-lstm reads version {OPTIONS_VERSION} ({kind})"
        )
    x = _input(model, op, X, "input")
    state = _input(model, op, STATE, "state")
    out = model.tensor(op.outputs[0])
    wx_t, w_x = _const(model, op, W_X, "input weights", "int8")
    wh_t, w_h = _const(model, op, W_H, "recurrent weights", "int8")
    _, b_x = _const(model, op, B_X, "input bias", "int32")
    _, b_h = _const(model, op, B_H, "recurrent bias", "int32")
    for t in (x, state, out):
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            raise UnsupportedModelError(
                f"{op.opcode} operator {op.index}: tensor {t.name!r} is not per-tensor int8"
            )
    if len(x.shape) != 3:
        raise UnsupportedModelError(f"{op.opcode} operator {op.index}: input shape {x.shape}")
    rows = w_x.shape[0]

    def row_scales(t: Tensor) -> np.ndarray:
        assert t.quant is not None
        s = t.quant.scale.astype(np.float32)
        return np.repeat(s, rows) if s.size == 1 else s

    return QuantizedRecurrent(
        kind=kind,
        reset_after=bool(o.get("reset_after", False)),
        return_sequences=bool(o.get("return_sequences", True)),
        time_steps=int(x.shape[1]),
        input_size=int(x.shape[2]),
        hidden=int(w_h.shape[1]),
        input_scale=x.scale,
        input_zero_point=x.zero_point,
        hidden_scale=state.scale,
        hidden_zero_point=state.zero_point,
        output_scale=out.scale,
        output_zero_point=out.zero_point,
        w_x=np.asarray(w_x, dtype=np.int8),
        w_x_scale=row_scales(wx_t),
        w_h=np.asarray(w_h, dtype=np.int8),
        w_h_scale=row_scales(wh_t),
        b_x=np.asarray(b_x, dtype=np.int32),
        b_h=np.asarray(b_h, dtype=np.int32),
        candidate_power=int(o.get("candidate_power", -12)),
    )


def recurrent_params(model: Model, op: Operator) -> GruParams:
    """Every integer constant of an ``EL_GRU`` / ``EL_SIMPLE_RNN`` op (for the C generator)."""
    return gru_params(quantized_from_op(model, op), name=f"{op.opcode} operator {op.index}")


def op_custom_recurrent(
    model: Model, op: Operator, env: dict[int, np.ndarray], variant: str
) -> None:
    """Reference kernel of ``CUSTOM:EL_GRU`` and ``CUSTOM:EL_SIMPLE_RNN``, for the op table.

    Same signature as quantize.reference's ``_op_*`` functions: reads ``env[op.inputs[0]]``
    (int8, [N, 1, T, I]: one leading sample axis), writes ``env[op.outputs[0]]`` ([N, *output
    shape]). ``variant`` is ignored: no runtime but edge-lstm's computes these ops, so every
    variant runs the one arithmetic of docs/integer_gru.md (TFLite Micro's sigmoid and tanh).
    """
    p = recurrent_params(model, op)
    x = env[op.inputs[0]]
    n = x.shape[0]
    seq = recurrent_sequence(p, x.reshape(n, p.time_steps, p.input_size))
    if not p.return_sequences:
        seq = seq[:, -1]
    env[op.outputs[0]] = seq.reshape((n, *model.tensor(op.outputs[0]).shape))


CUSTOM_OPS: dict[str, Callable[[Model, Operator, dict[int, np.ndarray], str], None]] = {
    code: op_custom_recurrent for code in OPCODES
}


def run_reference_with_custom(
    model: Model, x_int8: np.ndarray, activations: str = "tflm"
) -> np.ndarray:
    """quantize.reference.run_reference with the custom recurrent ops added to its op table.

    Outputs [N, *output shape without batch] int8 for inputs [N, *input shape without batch].
    """
    from quantize.reference import OPS

    # the builtin table's entries are kernels or rows holding one (``.reference``)
    table: dict[str, Any] = {k: getattr(v, "reference", v) for k, v in OPS.items()}
    table.update(CUSTOM_OPS)
    for op in model.operators:
        if table.get(op.opcode) is None:
            raise UnsupportedModelError(f"operator {op.index} is {op.opcode}: not supported")
    x = np.asarray(x_int8)
    if x.dtype != np.int8:
        raise ValueError(f"expected int8 inputs, got {x.dtype}")
    in_t = model.input
    env: dict[int, np.ndarray] = {in_t.index: x.reshape((x.shape[0], *in_t.shape))}
    for op in model.operators:
        table[op.opcode](model, op, env, activations)
    y = env[model.output.index]
    shape = model.output.shape
    if shape and shape[0] == 1:
        y = y.reshape((y.shape[0], *shape[1:]))
    return y.astype(np.int8)


# --- conversion -----------------------------------------------------------------------------


def _layers(keras_model: Any) -> list[Any]:
    """The layers that compute something (Dropout and the like are identity at inference)."""
    return [layer for layer in keras_model.layers if type(layer).__name__ not in INFERENCE_IDENTITY]


# Max abs difference between a piece's float output and its tf_keras rebuild's: both compute the
# same float32 graph, so only summation order may differ (as quantize.convert checks).
REBUILD_TOLERANCE = 1e-4


def _convert_segment(layers: list[Any], x_float: np.ndarray, y_float: np.ndarray) -> Any:
    """Convert a run of non-recurrent layers with the TFLite converter -> schema ModelT.

    The layers are described and rebuilt exactly as quantize.convert does for a whole model.
    ``y_float`` is the user's own layers' output on ``x_float``: the tf_keras rebuild must give
    the same before its conversion means anything.
    """
    from quantize.convert import build_tf_keras, tflite_int8
    from quantize.support import describe_layer

    specs = [spec for spec in (describe_layer(layer) for layer in layers) if spec is not None]
    seg = build_tf_keras(tuple(x_float.shape[1:]), specs)
    check = slice(0, min(len(x_float), 16))
    rebuilt = np.concatenate(
        [np.asarray(seg(x_float[i : i + 1], training=False)) for i in range(check.stop)]
    )
    diff = float(np.max(np.abs(rebuilt - y_float[check])))
    if not diff <= REBUILD_TOLERANCE:
        names = ", ".join(layer.name for layer in layers)
        raise ConversionError(
            f"the tf_keras rebuild of layers {names} differs from the original by {diff:.3g}"
        )
    data = tflite_int8(seg, x_float)
    return _schema().ModelT.InitFromPackedBuf(bytearray(data), 0)


def _tensor_quant(t: Any) -> tuple[float, int]:
    q = t.quantization
    if q is None or q.scale is None or len(q.scale) != 1:
        raise ConversionError(f"converted tensor {t.name!r} is not per-tensor quantized")
    zp = 0 if q.zeroPoint is None else int(q.zeroPoint[0])
    return float(np.float32(q.scale[0])), zp


class _Splicer:
    """One subgraph assembled from converted pieces and custom ops (schema object API)."""

    def __init__(self) -> None:
        s = _schema()
        self.s = s
        self.tensors: list[Any] = []
        self.buffers: list[Any] = [s.BufferT()]  # buffer 0: the empty sentinel
        self.codes: list[Any] = []
        self.code_keys: dict[tuple[int, str, int], int] = {}
        self.ops: list[Any] = []

    def buffer(self, data: np.ndarray | None) -> int:
        if data is None or data.size == 0:
            return 0
        b = self.s.BufferT()
        b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
        self.buffers.append(b)
        return len(self.buffers) - 1

    def code(self, builtin: int, custom: str | None, version: int) -> int:
        key = (builtin, custom or "", version)
        if key not in self.code_keys:
            c = self.s.OperatorCodeT()
            c.builtinCode = builtin
            c.deprecatedBuiltinCode = min(builtin, 127)
            c.customCode = custom
            c.version = version
            self.codes.append(c)
            self.code_keys[key] = len(self.codes) - 1
        return self.code_keys[key]

    def tensor(
        self,
        name: str,
        shape: list[int],
        ttype: int,
        scale: list[float],
        zero_point: list[int],
        data: np.ndarray | None = None,
        variable: bool = False,
    ) -> int:
        t = self.s.TensorT()
        t.name = name
        t.shape = list(shape)
        t.type = ttype
        t.buffer = self.buffer(data)
        q = self.s.QuantizationParametersT()
        q.scale = [float(v) for v in scale]
        q.zeroPoint = [int(v) for v in zero_point]
        q.quantizedDimension = 0
        t.quantization = q
        t.isVariable = variable
        self.tensors.append(t)
        return len(self.tensors) - 1

    def add_converted(self, seg: Any, input_tensor: int | None) -> tuple[int, int]:
        """Append a converted piece; its input becomes ``input_tensor`` when one is given."""
        graph = seg.subgraphs[0]
        if len(graph.inputs) != 1 or len(graph.outputs) != 1:
            raise ConversionError("a converted piece has several inputs or outputs")
        seg_in = int(graph.inputs[0])
        mapping: dict[int, int] = {}
        for i, t in enumerate(graph.tensors):
            if i == seg_in and input_tensor is not None:
                mine = self.tensors[input_tensor]
                if _tensor_quant(mine) != _tensor_quant(t):
                    raise ConversionError(
                        f"quantization mismatch at {t.name!r}: {_tensor_quant(mine)} vs "
                        f"{_tensor_quant(t)}"
                    )
                mapping[i] = input_tensor
                continue
            data = None
            if t.buffer and t.buffer < len(seg.buffers) and seg.buffers[t.buffer].data is not None:
                data = np.asarray(seg.buffers[t.buffer].data, dtype=np.uint8)
            t.buffer = self.buffer(data)
            t.isVariable = bool(t.isVariable)
            self.tensors.append(t)
            mapping[i] = len(self.tensors) - 1
        for op in graph.operators or []:
            code = seg.operatorCodes[op.opcodeIndex]
            builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
            custom = code.customCode.decode() if isinstance(code.customCode, bytes) else None
            op.opcodeIndex = self.code(builtin, custom, int(code.version))
            op.inputs = [mapping[int(i)] if i >= 0 else -1 for i in op.inputs]
            op.outputs = [mapping[int(i)] for i in op.outputs]
            if op.intermediates is not None and len(op.intermediates):
                op.intermediates = [mapping[int(i)] for i in op.intermediates]
            self.ops.append(op)
        return mapping[seg_in], mapping[int(graph.outputs[0])]

    def add_recurrent(self, q: QuantizedRecurrent, x: int, name: str) -> int:
        from flatbuffers import flexbuffers

        tt = self.s.TensorType
        rows = q.gates * q.hidden
        s_x, s_h = np.float32(q.input_scale), np.float32(q.hidden_scale)
        zeros = [0] * rows
        w_x = self.tensor(f"{name}/W", [rows, q.input_size], tt.INT8, list(q.w_x_scale), zeros,
                          q.w_x)  # fmt: skip
        w_h = self.tensor(f"{name}/U", [rows, q.hidden], tt.INT8, list(q.w_h_scale), zeros, q.w_h)
        b_x = self.tensor(f"{name}/input_bias", [rows], tt.INT32,
                          list((s_x * q.w_x_scale).astype(np.float32)), zeros,
                          q.b_x.astype("<i4"))  # fmt: skip
        b_h = self.tensor(f"{name}/recurrent_bias", [rows], tt.INT32,
                          list((s_h * q.w_h_scale).astype(np.float32)), zeros,
                          q.b_h.astype("<i4"))  # fmt: skip
        state = self.tensor(f"{name}/state", [1, q.hidden], tt.INT8, [q.hidden_scale],
                            [q.hidden_zero_point], variable=True)  # fmt: skip
        shape = [1, q.time_steps, q.hidden] if q.return_sequences else [1, q.hidden]
        out = self.tensor(f"{name}/output", shape, tt.INT8, [q.output_scale],
                          [q.output_zero_point])  # fmt: skip
        op = self.s.OperatorT()
        op.opcodeIndex = self.code(self.s.BuiltinOperator.CUSTOM, CUSTOM_CODES[q.kind], 1)
        op.inputs = [x, w_x, w_h, b_x, b_h, state]
        op.outputs = [out]
        options = {
            "version": OPTIONS_VERSION,
            "kind": q.kind,
            "reset_after": bool(q.reset_after),
            "return_sequences": bool(q.return_sequences),
            "candidate_power": int(q.candidate_power),
        }
        op.customOptions = np.frombuffer(bytes(flexbuffers.Dumps(options)), dtype=np.uint8)
        op.customOptionsFormat = self.s.CustomOptionsFormat.FLEXBUFFERS
        self.ops.append(op)
        return out

    def finish(self, inputs: list[int], outputs: list[int], description: str) -> bytes:
        import flatbuffers

        s = self.s
        graph = s.SubGraphT()
        graph.tensors = self.tensors
        graph.inputs, graph.outputs = inputs, outputs
        graph.operators = self.ops
        graph.name = "main"
        model = s.ModelT()
        model.version = 3
        model.operatorCodes = self.codes
        model.subgraphs = [graph]
        model.buffers = self.buffers
        model.description = description
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def _pieces(layers: list[Any]) -> list[tuple[str, list[Any]]]:
    """Runs of layers: ("recurrent", [one GRU/SimpleRNN]) or ("converted", [other layers])."""
    pieces: list[tuple[str, list[Any]]] = []
    for layer in layers:
        if type(layer).__name__ in _RECURRENT:
            pieces.append(("recurrent", [layer]))
        elif pieces and pieces[-1][0] == "converted":
            pieces[-1][1].append(layer)
        else:
            pieces.append(("converted", [layer]))
    return pieces


def convert_with_custom_recurrent(
    keras_model: Any, calib_x: np.ndarray, samples: int = 200
) -> bytes:
    """Keras (3 or tf_keras) model with GRU/SimpleRNN layers + float calibration data [N, T, F]
    -> one full-integer int8 .tflite (bytes) with EL_GRU / EL_SIMPLE_RNN CUSTOM ops.

    The other layers go through the TFLite converter piece by piece (LSTMs become fused
    UNIDIRECTIONAL_SEQUENCE_LSTM ops as in ``quantize.convert``). Raises UnsupportedModelError
    naming a layer or option that cannot be converted, ConversionError when the converter fails.
    """
    return convert_keeping_layers(keras_model, calib_x, samples)[0]


def convert_keeping_layers(
    keras_model: Any, calib_x: np.ndarray, samples: int = 200
) -> tuple[bytes, list[QuantizedRecurrent]]:
    """``convert_with_custom_recurrent`` that also returns each recurrent layer as quantized
    (in model order), so a test can check that the file gives back the same integers."""
    x = np.asarray(calib_x, dtype=np.float32)[:samples]
    if x.ndim != 3 or len(x) == 0 or not np.all(np.isfinite(x)):
        raise ValueError("calibration data must be finite float [N, T, F] with N > 0")
    layers = _layers(keras_model)
    if not any(type(layer).__name__ in _RECURRENT for layer in layers):
        raise UnsupportedModelError("the model has no GRU or SimpleRNN layer")
    pieces = _pieces(layers)
    # float activations at every piece boundary, from the user's own layers
    acts = [x]
    for _, group in pieces:
        a = acts[-1]
        for layer in group:
            a = np.asarray(layer(a, training=False), dtype=np.float32)
        acts.append(a)
    converted = [
        _convert_segment(group, acts[i], acts[i + 1]) if kind == "converted" else None
        for i, (kind, group) in enumerate(pieces)
    ]

    splicer = _Splicer()
    quantized: list[QuantizedRecurrent] = []
    current: int | None = None  # the int8 tensor that feeds the next piece
    model_input: int | None = None
    for i, (kind, group) in enumerate(pieces):
        if kind == "converted":
            seg_in, seg_out = splicer.add_converted(converted[i], current)
            model_input = seg_in if model_input is None else model_input
            current = seg_out
            continue
        layer = group[0]
        f = recurrent_from_keras(layer)
        if current is None:
            input_quant = asymmetric_int8(float(acts[i].min()), float(acts[i].max()))
            current = splicer.tensor(
                "input", [1, *acts[i].shape[1:]], splicer.s.TensorType.INT8,
                [input_quant[0]], [input_quant[1]],
            )  # fmt: skip
            model_input = current
        else:
            input_quant = _tensor_quant(splicer.tensors[current])
        output_quant = None
        if i + 1 < len(pieces) and pieces[i + 1][0] == "converted":
            nxt = converted[i + 1].subgraphs[0]
            output_quant = _tensor_quant(nxt.tensors[int(nxt.inputs[0])])
        q = quantize_recurrent(
            f, calibrate(f, acts[i]), input_quant, int(acts[i].shape[1]), output_quant
        )
        gru_params(q, name=f"layer '{layer.name}'")  # refuse now what the kernel cannot run
        quantized.append(q)
        current = splicer.add_recurrent(q, current, layer.name)
    assert model_input is not None and current is not None
    data = splicer.finish([model_input], [current], "edge-lstm: int8 with custom recurrent ops")
    return data, quantized
