"""Read a .tflite flatbuffer into the typed IR, without TensorFlow.

The flatbuffer schema module that the ``tflite-micro`` package ships is the parser; this module
turns its object tree into ``quantize.ir`` types and rejects files that are truncated, random or
structurally inconsistent with one clear error instead of a crash deep inside numpy.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from quantize.errors import BadModelFileError
from quantize.ir import Model, Operator, Quantization, Tensor

_TENSOR_TYPES = {
    0: "float32",
    1: "float16",
    2: "int32",
    3: "uint8",
    4: "int64",
    6: "bool",
    7: "int16",
    9: "int8",
    10: "float64",
    12: "uint64",
    15: "uint32",
    16: "uint16",
}


def _schema() -> Any:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


def builtin_op_names() -> dict[int, str]:
    schema = _schema()
    return {
        value: name
        for name, value in vars(schema.BuiltinOperator).items()
        if not name.startswith("_") and isinstance(value, int)
    }


def _options_dict(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    return {key: value for key, value in vars(options).items() if not key.startswith("_")}


def _custom_options(op: Any) -> dict[str, Any]:
    """A custom op's options: its flexbuffer map decoded (TFLite's one custom-options format).

    A decoding error propagates, so a corrupt map is reported as a broken model file.
    """
    raw = op.customOptions
    if raw is None or len(raw) == 0:
        return {}
    from flatbuffers import flexbuffers

    value = flexbuffers.Loads(bytes(np.asarray(raw, dtype=np.uint8).tobytes()))
    return dict(value) if isinstance(value, dict) else {"value": value}


def read_model(path: str | Path) -> Model:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadModelFileError(f"cannot read {path}: {exc.strerror}") from None
    return parse_model(data, source=str(path))


def parse_model(data: bytes, source: str = "<bytes>") -> Model:
    schema = _schema()
    hint = "re-create it with `edge-lstm quantize`"
    if len(data) < 16:
        raise BadModelFileError(f"{source} is not a .tflite model: only {len(data)} bytes; {hint}")
    if data[4:8] != b"TFL3":
        raise BadModelFileError(
            f"{source} is not a .tflite model: file identifier is {data[4:8]!r}, "
            f"expected b'TFL3'; {hint}"
        )
    try:
        fb = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    except Exception as exc:  # the generated parser raises whatever struct/index error it meets
        raise BadModelFileError(
            f"{source} is a broken .tflite file ({type(exc).__name__} while parsing); {hint}"
        ) from None
    try:
        return _to_ir(fb, data, schema)
    except BadModelFileError:
        raise
    except Exception as exc:
        raise BadModelFileError(
            f"{source} has an inconsistent structure ({type(exc).__name__}: {exc}); {hint}"
        ) from None


def _to_ir(fb: Any, data: bytes, schema: Any) -> Model:
    if not fb.subgraphs:
        raise BadModelFileError("the .tflite model has no subgraph")
    if len(fb.subgraphs) != 1:
        raise BadModelFileError(
            f"the .tflite model has {len(fb.subgraphs)} subgraphs (a WHILE or IF loop?): "
            "edge-lstm expects one subgraph with fused LSTM ops; convert with `edge-lstm quantize`"
        )
    graph = fb.subgraphs[0]
    buffers = fb.buffers or []
    names = builtin_op_names()

    tensors: list[Tensor] = []
    for index, t in enumerate(graph.tensors or []):
        dtype = _TENSOR_TYPES.get(t.type)
        if dtype is None:
            raise BadModelFileError(f"tensor {index} has unsupported type code {t.type}")
        shape = tuple(int(d) for d in (t.shape if t.shape is not None else []))
        content = None
        if t.buffer and t.buffer < len(buffers) and buffers[t.buffer] is not None:
            buf = buffers[t.buffer]
            raw = _buffer_bytes(buf, data)
            if raw is not None and len(raw) > 0:
                expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
                if len(raw) != expected:
                    raise BadModelFileError(
                        f"tensor {index} ({_name(t)}) holds {len(raw)} bytes, "
                        f"its shape {list(shape)} needs {expected}"
                    )
                content = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
                content = content.astype(dtype)
        elif t.buffer >= len(buffers) and t.buffer != 0:
            raise BadModelFileError(f"tensor {index} points to missing buffer {t.buffer}")
        tensors.append(
            Tensor(
                index=index,
                name=_name(t),
                shape=shape,
                dtype=dtype,
                quant=_quantization(t.quantization),
                data=content,
                is_variable=bool(t.isVariable),
            )
        )

    operators: list[Operator] = []
    codes = fb.operatorCodes or []
    for index, op in enumerate(graph.operators or []):
        if op.opcodeIndex >= len(codes):
            raise BadModelFileError(f"operator {index} uses missing opcode {op.opcodeIndex}")
        code = codes[op.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        opcode = names.get(builtin, f"BUILTIN_{builtin}")
        if opcode == "CUSTOM":
            custom = code.customCode
            opcode = f"CUSTOM:{custom.decode() if isinstance(custom, bytes) else custom}"
        ins = tuple(int(i) for i in (op.inputs if op.inputs is not None else []))
        outs = tuple(int(i) for i in (op.outputs if op.outputs is not None else []))
        for i in ins + outs:
            if i >= len(tensors) or i < -1:
                raise BadModelFileError(f"operator {index} ({opcode}) refers to tensor {i}")
        operators.append(
            Operator(
                index=index,
                opcode=opcode,
                version=int(code.version),
                inputs=ins,
                outputs=outs,
                options=(
                    _custom_options(op)
                    if opcode.startswith("CUSTOM:")
                    else _options_dict(op.builtinOptions)
                ),
            )
        )

    description = fb.description
    if isinstance(description, bytes):
        description = description.decode(errors="replace")
    return Model(
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=tuple(int(i) for i in graph.inputs),
        outputs=tuple(int(i) for i in graph.outputs),
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        description=description or "",
    )


def _name(t: Any) -> str:
    name = t.name
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name or "")


def _buffer_bytes(buf: Any, data: bytes) -> bytes | None:
    if buf.data is not None and len(buf.data) > 0:
        return bytes(np.asarray(buf.data, dtype=np.uint8).tobytes())
    if buf.offset and buf.size:  # models over 2 GB keep buffers after the flatbuffer
        if buf.offset + buf.size > len(data):
            raise BadModelFileError("a buffer points past the end of the file (truncated?)")
        return data[buf.offset : buf.offset + buf.size]
    return None


def _quantization(q: Any) -> Quantization | None:
    if q is None or q.scale is None or len(q.scale) == 0:
        return None
    scale = np.asarray(q.scale, dtype=np.float32)
    zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0] * scale.size, dtype=np.int64)
    if zp.size == 1 and scale.size > 1:
        zp = np.repeat(zp, scale.size)
    return Quantization(scale=scale, zero_point=zp, axis=int(q.quantizedDimension))
