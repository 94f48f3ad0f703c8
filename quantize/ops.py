"""The one table of the ops edge-lstm knows, and what each part of the toolkit does with them.

A row says, for one builtin opcode of the IR: which numpy kernel computes it (the reference,
bit-exact with TFLite Micro), which part of the native C engine runs it, how TFLite Micro's op
resolver registers it and which of TFLM's kernel sources implement it, and whether the TFLM arena
derivation (``quantize.arena``) models its allocations. Every list of supported ops elsewhere
(the converter's accepted ops, the reference, the arena, the TFLM resolver, the native planner,
inspect) is derived from this table, so adding an op is one row here plus its kernels and tests
(docs/architecture.md lists the files).
"""

from __future__ import annotations

from dataclasses import dataclass

from quantize.custom_recurrent import op_custom_recurrent
from quantize.errors import UnsupportedModelError
from quantize.kernels.activation import dequantize, leaky_relu, logistic_tanh, relu6, requantize
from quantize.kernels.common import OpFn
from quantize.kernels.concat import concatenation, pad, reverse_v2, split, transpose
from quantize.kernels.conv import conv_2d, depthwise_conv_2d
from quantize.kernels.elementwise import add_sub, maximum_minimum, mul
from quantize.kernels.fully_connected import fully_connected
from quantize.kernels.lstm import lstm
from quantize.kernels.pooling import average_pool_2d, max_pool_2d
from quantize.kernels.reduce import mean, reduce_max
from quantize.kernels.shape import reshape, strided_slice
from quantize.kernels.softmax import softmax


@dataclass(frozen=True)
class OpRow:
    opcode: str
    reference: OpFn | None  # the numpy kernel; None: the reference cannot run the op
    native: str | None  # the native engine's part that runs it; None: not in the native engine
    tflm_resolver: str | None  # the MicroMutableOpResolver method that registers it
    tflm_sources: tuple[str, ...] = ()  # TFLM kernel source stems (micro/kernels/<stem>.cc)
    arena: bool = False  # quantize.arena replays the allocations of its TFLM kernel


# The native engine's parts: "lstm" (el_lstm_s8), "gru" (el_gru_s8: GRU and SimpleRNN),
# "fully_connected" (el_fully_connected_s8), "softmax" (el_softmax_s8), "last_step" (a slice of
# the last time step: no code, the head reads the last layer's state), "view" (a reshape: no
# code); in a whole-sequence graph (runtime/el_graph.c) also "simple" (the kernels of
# el_elementwise_s8.h: el_reverse_s8, el_concatenation_s8, el_add_s8 for ADD and SUB, el_mul_s8,
# el_logistic_s8, el_tanh_s8, el_requantize_s8) and "native_ops" (the convolution, pooling and
# reduction kernels that firmware_gen/native_ops.py describes).
_ROWS = (
    OpRow(
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        lstm,
        "lstm",
        "AddUnidirectionalSequenceLSTM",
        ("unidirectional_sequence_lstm", "lstm_eval", "lstm_eval_common"),
        arena=True,
    ),
    OpRow(
        "STRIDED_SLICE",
        strided_slice,
        "last_step",
        "AddStridedSlice",
        ("strided_slice", "strided_slice_common"),
        arena=True,
    ),
    OpRow(
        "FULLY_CONNECTED",
        fully_connected,
        "fully_connected",
        "AddFullyConnected",
        ("fully_connected", "fully_connected_common"),
        arena=True,
    ),
    OpRow("SOFTMAX", softmax, "softmax", "AddSoftmax", ("softmax", "softmax_common"), arena=True),
    OpRow("RESHAPE", reshape, "view", "AddReshape", ("reshape", "reshape_common"), arena=True),
    OpRow("SQUEEZE", reshape, None, "AddSqueeze", ("squeeze",)),
    OpRow("EXPAND_DIMS", reshape, None, "AddExpandDims", ("expand_dims",)),
    OpRow(
        "QUANTIZE", requantize, "simple", "AddQuantize", ("quantize", "quantize_common"), arena=True
    ),
    OpRow(
        "DEQUANTIZE",
        dequantize,
        None,
        "AddDequantize",
        ("dequantize", "dequantize_common"),
        arena=True,
    ),
    OpRow("RELU", requantize, None, "AddRelu", ("activations", "activations_common"), arena=True),
    OpRow("RELU6", relu6, None, "AddRelu6", ("activations", "activations_common"), arena=True),
    OpRow("LEAKY_RELU", leaky_relu, None, "AddLeakyRelu", ("leaky_relu", "leaky_relu_common")),
    OpRow("TANH", logistic_tanh, "simple", "AddTanh", ("tanh",), arena=True),
    OpRow(
        "LOGISTIC",
        logistic_tanh,
        "simple",
        "AddLogistic",
        ("logistic", "logistic_common"),
        arena=True,
    ),
    OpRow("ADD", add_sub, "simple", "AddAdd", ("add", "add_common"), arena=True),
    OpRow("SUB", add_sub, "simple", "AddSub", ("sub", "sub_common"), arena=True),
    OpRow("MUL", mul, "simple", "AddMul", ("mul", "mul_common"), arena=True),
    OpRow("MAXIMUM", maximum_minimum, None, "AddMaximum", ("maximum_minimum",)),
    OpRow("MINIMUM", maximum_minimum, None, "AddMinimum", ("maximum_minimum",)),
    OpRow(
        "CONCATENATION", concatenation, "simple", "AddConcatenation", ("concatenation",), arena=True
    ),
    OpRow("SPLIT", split, None, "AddSplit", ("split",)),
    OpRow("TRANSPOSE", transpose, None, "AddTranspose", ("transpose", "transpose_common")),
    OpRow("PAD", pad, None, "AddPad", ("pad", "pad_common"), arena=True),
    OpRow("REVERSE_V2", reverse_v2, "simple", "AddReverseV2", ("reverse",), arena=True),
    OpRow("MEAN", mean, "native_ops", "AddMean", ("reduce", "reduce_common"), arena=True),
    OpRow(
        "REDUCE_MAX",
        reduce_max,
        "native_ops",
        "AddReduceMax",
        ("reduce", "reduce_common"),
        arena=True,
    ),
    OpRow(
        "MAX_POOL_2D",
        max_pool_2d,
        "native_ops",
        "AddMaxPool2D",
        ("pooling", "pooling_common"),
        arena=True,
    ),
    OpRow(
        "AVERAGE_POOL_2D",
        average_pool_2d,
        "native_ops",
        "AddAveragePool2D",
        ("pooling", "pooling_common"),
        arena=True,
    ),
    OpRow("CONV_2D", conv_2d, "native_ops", "AddConv2D", ("conv", "conv_common"), arena=True),
    OpRow(
        "DEPTHWISE_CONV_2D",
        depthwise_conv_2d,
        "native_ops",
        "AddDepthwiseConv2D",
        ("depthwise_conv", "depthwise_conv_common"),
        arena=True,
    ),
    # registered for TFLM exports of models converted elsewhere; no reference kernel yet
    # edge-lstm's own recurrent cells, stored as CUSTOM ops (quantize.custom_recurrent)
    OpRow("CUSTOM:EL_GRU", op_custom_recurrent, "gru", None),
    OpRow("CUSTOM:EL_SIMPLE_RNN", op_custom_recurrent, "gru", None),
    OpRow("SHAPE", None, None, "AddShape", ("shape",)),
    OpRow("PACK", None, None, "AddPack", ("pack",)),
    OpRow("UNPACK", None, None, "AddUnpack", ("unpack",)),
    OpRow("GATHER", None, None, "AddGather", ("gather",)),
)

OPS: dict[str, OpRow] = {row.opcode: row for row in _ROWS}

#: ops the numpy reference runs (and so the converter may produce)
REFERENCE_OPS: tuple[str, ...] = tuple(r.opcode for r in _ROWS if r.reference is not None)
#: edge-lstm's own recurrent cells, stored as CUSTOM ops (written by quantize.custom_recurrent,
#: never by the TFLite converter)
CUSTOM_RECURRENT_OPS: tuple[str, ...] = tuple(
    r.opcode for r in _ROWS if r.reference is op_custom_recurrent
)
#: ops the native C engine runs
NATIVE_OPS: tuple[str, ...] = tuple(r.opcode for r in _ROWS if r.native is not None)
#: ops whose TFLM arena allocations quantize.arena derives
ARENA_OPS: tuple[str, ...] = tuple(r.opcode for r in _ROWS if r.arena)
#: ops a TFLM export can register
TFLM_OPS: tuple[str, ...] = tuple(r.opcode for r in _ROWS if r.tflm_resolver is not None)


def op_row(opcode: str) -> OpRow:
    """The row of ``opcode``; an opcode the table does not know is refused by name."""
    row = OPS.get(opcode)
    if row is None:
        raise UnsupportedModelError(
            f"{opcode} is not an op edge-lstm knows (known: {', '.join(OPS)})"
        )
    return row
