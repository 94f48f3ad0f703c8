"""Typed, TensorFlow-free picture of an int8 .tflite model.

The IR keeps the graph exactly as the converter wrote it (tensors and operators in execution
order) so that the numpy reference and the C code generator walk the same structure and can
never disagree about which tensor feeds which op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Quantization:
    """Affine quantization of one tensor: real = scale * (q - zero_point).

    ``scale`` and ``zero_point`` have one entry per channel along ``axis`` for per-channel
    tensors and a single entry otherwise.
    """

    scale: np.ndarray  # float32, shape [C] or [1]
    zero_point: np.ndarray  # int64, shape [C] or [1]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # "int8", "int16", "int32", "int64", "float32", "bool", ...
    quant: Quantization | None
    data: np.ndarray | None  # constant contents (already shaped), None for activations
    is_variable: bool = False

    @property
    def scale(self) -> float:
        """The single scale of a per-tensor quantized tensor."""
        assert self.quant is not None and not self.quant.per_channel, self.name
        return float(self.quant.scale[0])

    @property
    def zero_point(self) -> int:
        assert self.quant is not None and not self.quant.per_channel, self.name
        return int(self.quant.zero_point[0])

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class Operator:
    index: int
    opcode: str  # builtin operator name, e.g. "UNIDIRECTIONAL_SEQUENCE_LSTM"
    version: int
    inputs: tuple[int, ...]  # tensor indices; -1 marks an omitted optional input
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    sha256: str  # of the .tflite bytes: the identity a device reports back
    size_bytes: int
    description: str = ""

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    @property
    def input(self) -> Tensor:
        return self.tensors[self.inputs[0]]

    @property
    def output(self) -> Tensor:
        return self.tensors[self.outputs[0]]

    @property
    def opcodes(self) -> list[str]:
        return [op.opcode for op in self.operators]
