"""How big a TFLite Micro tensor arena a model needs, per kernel set and pointer size.

A firmware must never be given a guessed arena: with too small a buffer, TFLM's CMSIS-NN LSTM
setup writes its kernel sums through an unchecked null pointer. The smallest arena found with
the host runtime does not carry over either (64-bit pointers, a recording allocator, reference
kernels only). So this module replays TFLM's allocation sequence for a model, call by call, on
an arena of a given size, with the structure sizes of the target ABI:

* the tail (persistent) side: allocator objects, the TfLiteEvalTensor array, the
  node/registration array, each op's builtin params and kernel user data, the per-op persistent
  buffers a kernel asks for in Prepare (per-channel FC multipliers, CMSIS-NN kernel sums), the
  scratch-buffer handles, the variable (LSTM state) tensors and the input/output TfLiteTensors;
* the head (non-persistent) side: the scratch-request array, the temporary TfLiteTensors that
  kernels hold during Prepare, the planner's AllocationInfo array and working memory, and
  finally the greedy memory plan of activations and scratch buffers (replayed exactly:
  16-byte aligned sizes, largest first, first gap that fits).

The smallest arena size for which every step fits is found by bisection over the replay. The
structure sizes were measured by compiling ``sizeof``/``alignof`` probes against TFLM's headers
with the host g++ (LP64) and arm-none-eabi-g++ (Cortex-M, AAPCS short enums), with
``TF_LITE_STATIC_MEMORY`` defined as every TFLM build does. The replay with the host table
(``SIZES_HOST_WHEEL``) reproduces the host runtime's bisected minimum exactly
(tests/test_arena.py checks that on the whole test zoo), which is what makes the 32-bit figure
trustworthy; the shipped figure still adds a margin (see ``MARGIN_*``) for TFLM versions whose
structures grow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator, Tensor
from quantize.lstm_params import LSTM_CELL_STATE, LSTM_HIDDEN_STATE, LSTM_SLOTS
from quantize.op_params import ConvParams, conv_params
from quantize.ops import ARENA_OPS, CUSTOM_RECURRENT_OPS

KernelSet = Literal["reference", "cmsis-nn"]
KERNEL_SETS: tuple[KernelSet, ...] = ("reference", "cmsis-nn")

ARENA_ALIGNMENT = 16  # MicroArenaBufferAlignment()
MAX_SCRATCH_PER_OP = 12  # kMaxScratchBuffersPerOp
PLANNER_BYTES_PER_BUFFER = 40  # GreedyMemoryPlanner::per_buffer_size(): 16 + 4 + 4 + 12 + 4

# Margin added to the replayed minimum for the figure a firmware gets. The replay is exact for
# the TFLM version it was measured against; the margin absorbs structure growth in later TFLM
# versions (a new field in OpDataLSTM or TfLiteTensor costs a few bytes per op or per temporary
# tensor) and the arena alignment of a linker that does not honour alignas(16). 10 % of the
# minimum, at least 256 bytes, rounded up to 16.
MARGIN_FRACTION = 0.10
MARGIN_MIN_BYTES = 256

# sizeof, alignof of the structures TFLM allocates in the arena.
Sizes = dict[str, tuple[int, int]]

# Ops without builtin params (their Parse function allocates nothing) and ops whose kernel has no
# Init (no user data): the replay skips those steps rather than allocating zero bytes, which
# would still move the tail to a 16-byte boundary.
NO_PARAMS = frozenset(
    {"REVERSE_V2", "LOGISTIC", "TANH", "RELU", "RELU6", "PAD", "QUANTIZE", "DEQUANTIZE"}
    | set(CUSTOM_RECURRENT_OPS)  # a custom op's options are read in place, never parsed
)
NO_INIT = frozenset({"RESHAPE", "REVERSE_V2"})


def _op_data(
    *,
    conv: int,
    pool: int,
    reduce: int,
    concat: int,
    add: int,
    sub: int,
    mul: int,
    logistic: int,
    tanh: int,
    relu: int,
    relu6: int,
    pad: int,
    quantize: int,
    dequantize: int,
    cmsis_conv: int,
    cmsis_pool: int,
) -> Sizes:
    """Kernel user-data sizes of the non-recurrent ops, for both kernel sets.

    The op data is allocated with AllocatePersistentBuffer (16-byte aligned), so only the size
    counts. The CMSIS-NN build takes every op but CONV_2D, DEPTHWISE_CONV_2D, the two pools and
    ADD from the reference kernels; its conv/depthwise op data is OpDataConv plus a scratch index,
    its pooling op data OpDataPooling plus a scratch index, its ADD op data the same fields as
    OpDataAdd.
    """
    reference = {
        "CONV_2D": conv,  # OpDataConv
        "DEPTHWISE_CONV_2D": conv,
        "MAX_POOL_2D": pool,  # OpDataPooling
        "AVERAGE_POOL_2D": pool,
        "MEAN": reduce,  # OpDataReduce
        "REDUCE_MAX": reduce,
        "CONCATENATION": concat,  # concatenation.cc OpData (ConcatenationParams)
        "ADD": add,  # OpDataAdd
        "SUB": sub,  # OpDataSub
        "MUL": mul,  # OpDataMul
        "LOGISTIC": logistic,  # OpDataLogistic
        "TANH": tanh,  # tanh.cc OpData
        "RELU": relu,  # ReluOpData (ReluParams)
        "RELU6": relu6,  # Relu6OpData
        "PAD": pad,  # pad.h OpData (PadParams)
        "QUANTIZE": quantize,  # OpDataQuantizeReference
        "DEQUANTIZE": dequantize,  # DequantizeOpData
    }
    cmsis = {
        **reference,
        "CONV_2D": cmsis_conv,
        "DEPTHWISE_CONV_2D": cmsis_conv,
        "MAX_POOL_2D": cmsis_pool,
        "AVERAGE_POOL_2D": cmsis_pool,
    }
    out: Sizes = {}
    for kernels, table in (("reference", reference), ("cmsis-nn", cmsis)):
        for opcode, size in table.items():
            out[f"{kernels}:{opcode}"] = (size, 4)
    return out


SIZES_LP64: Sizes = {  # x86_64 g++ 12, TF_LITE_STATIC_MEMORY
    "SingleArenaBufferAllocator": (72, 8),
    "RecordingSingleArenaBufferAllocator": (104, 8),
    "GreedyMemoryPlanner": (72, 8),
    "MicroAllocator": (72, 8),
    "RecordingMicroAllocator": (248, 8),
    "BuiltinDataAllocator": (16, 8),
    "SubgraphAllocations": (16, 8),
    "TfLiteEvalTensor": (24, 8),
    "NodeAndRegistration": (64, 8),
    "ScratchBufferRequest": (16, 8),
    "ScratchBufferHandle": (8, 8),
    "AllocationInfo": (32, 8),
    "TfLiteTensor": (64, 8),
    "TfLiteAffineQuantization": (24, 8),
    "TfLiteIntArray": (4, 4),
    "size_t": (8, 8),
    "pointer": (8, 8),
    "params:UNIDIRECTIONAL_SEQUENCE_LSTM": (16, 4),
    "params:STRIDED_SLICE": (24, 4),
    "params:FULLY_CONNECTED": (16, 4),
    "params:SOFTMAX": (4, 4),
    "reference:UNIDIRECTIONAL_SEQUENCE_LSTM": (688, 8),
    "reference:FULLY_CONNECTED": (64, 8),
    "reference:SOFTMAX": (80, 8),
    "reference:STRIDED_SLICE": (84, 4),
    "cmsis-nn:UNIDIRECTIONAL_SEQUENCE_LSTM": (1008, 8),
    "cmsis-nn:FULLY_CONNECTED": (96, 8),
    "cmsis-nn:SOFTMAX": (88, 8),
    "cmsis-nn:STRIDED_SLICE": (84, 4),
    **{
        "params:CONV_2D": (28, 4),
        "params:DEPTHWISE_CONV_2D": (28, 4),
        "params:MAX_POOL_2D": (40, 4),
        "params:AVERAGE_POOL_2D": (40, 4),
        "params:MEAN": (1, 1),
        "params:REDUCE_MAX": (1, 1),
        "params:RESHAPE": (36, 4),
        "params:CONCATENATION": (8, 4),
        "params:ADD": (8, 4),
        "params:SUB": (8, 4),
        "params:MUL": (4, 4),
    },
    **_op_data(
        conv=72,
        pool=32,
        reduce=44,
        concat=40,
        add=60,
        sub=52,
        mul=36,
        logistic=16,
        tanh=16,
        relu=28,
        relu6=8,
        pad=56,
        quantize=32,
        dequantize=32,
        cmsis_conv=80,
        cmsis_pool=36,
    ),
}

# The tflite-micro wheel on PyPI is built with USE_TFLM_COMPRESSION (its RecordingMicroAllocator
# and SubgraphAllocations carry the compression fields) and from a later commit. The sizes its
# Parse and Init functions pass to the allocators were read from its machine code (objdump of
# _runtime.so: the immediate size and alignment before each allocator call); they equal the
# probed LP64 sizes except for the fully connected op data (72 B) and params (32 B, aligned to
# 8). With these entries the replay reproduces the wheel's bisected minimum arena byte for byte
# on every test model.
SIZES_HOST_WHEEL: Sizes = {
    **SIZES_LP64,
    "RecordingMicroAllocator": (272, 8),
    "SubgraphAllocations": (24, 8),
    "reference:FULLY_CONNECTED": (72, 8),
    "params:FULLY_CONNECTED": (32, 8),
    # USE_TFLM_COMPRESSION adds two scratch indices to OpDataConv and ten to the concatenation
    # op data
    "reference:CONV_2D": (80, 8),
    "reference:DEPTHWISE_CONV_2D": (80, 8),
    "reference:CONCATENATION": (80, 8),
}

# edge-lstm's EL_GRU / EL_SIMPLE_RNN kernel (firmware_gen/runtime/tflm/el_gru_tflm.cc), the same
# for both kernel sets: its op data is ElRecurrentOpData, el_gru_s8_params and four int32
# (tests/test_tflm_custom.py compiles sizeof probes of it with g++ and arm-none-eabi-g++).
CUSTOM_OP_DATA_LP64 = (112, 8)
CUSTOM_OP_DATA_CORTEX_M = (88, 4)
for _kernels in KERNEL_SETS:
    for _opcode in CUSTOM_RECURRENT_OPS:
        SIZES_LP64[f"{_kernels}:{_opcode}"] = CUSTOM_OP_DATA_LP64
        SIZES_HOST_WHEEL[f"{_kernels}:{_opcode}"] = CUSTOM_OP_DATA_LP64

SIZES_CORTEX_M: Sizes = {  # arm-none-eabi-g++ 12.2 -mcpu=cortex-m4, TF_LITE_STATIC_MEMORY
    "SingleArenaBufferAllocator": (36, 4),
    "RecordingSingleArenaBufferAllocator": (52, 4),
    "GreedyMemoryPlanner": (44, 4),
    "MicroAllocator": (36, 4),
    "RecordingMicroAllocator": (124, 4),
    "BuiltinDataAllocator": (8, 4),
    "SubgraphAllocations": (8, 4),
    "TfLiteEvalTensor": (12, 4),
    "NodeAndRegistration": (32, 4),
    "ScratchBufferRequest": (12, 4),
    "ScratchBufferHandle": (4, 4),
    "AllocationInfo": (24, 4),
    "TfLiteTensor": (32, 4),
    "TfLiteAffineQuantization": (12, 4),
    "TfLiteIntArray": (4, 4),
    "size_t": (4, 4),
    "pointer": (4, 4),
    "params:UNIDIRECTIONAL_SEQUENCE_LSTM": (16, 4),
    "params:STRIDED_SLICE": (24, 4),
    "params:FULLY_CONNECTED": (5, 1),  # short enums
    "params:SOFTMAX": (4, 4),
    "reference:UNIDIRECTIONAL_SEQUENCE_LSTM": (688, 8),
    "reference:FULLY_CONNECTED": (48, 4),
    "reference:SOFTMAX": (56, 8),
    "reference:STRIDED_SLICE": (84, 4),
    "cmsis-nn:UNIDIRECTIONAL_SEQUENCE_LSTM": (912, 8),
    "cmsis-nn:FULLY_CONNECTED": (72, 4),
    "cmsis-nn:SOFTMAX": (64, 8),
    "cmsis-nn:STRIDED_SLICE": (84, 4),
    **{
        "params:CONV_2D": (28, 4),
        "params:DEPTHWISE_CONV_2D": (28, 4),
        "params:MAX_POOL_2D": (40, 4),
        "params:AVERAGE_POOL_2D": (40, 4),
        "params:MEAN": (1, 1),  # TfLiteReducerParams: one bool
        "params:REDUCE_MAX": (1, 1),
        "params:RESHAPE": (36, 4),
        "params:CONCATENATION": (8, 4),
        "params:ADD": (2, 1),  # short enum activation + bool
        "params:SUB": (2, 1),
        "params:MUL": (1, 1),
    },
    **_op_data(
        conv=56,
        pool=32,
        reduce=44,
        concat=24,
        add=60,
        sub=52,
        mul=36,
        logistic=16,
        tanh=16,
        relu=28,
        relu6=8,
        pad=56,
        quantize=32,
        dequantize=32,
        cmsis_conv=60,
        cmsis_pool=36,
    ),
}

for _kernels in KERNEL_SETS:
    for _opcode in CUSTOM_RECURRENT_OPS:
        SIZES_CORTEX_M[f"{_kernels}:{_opcode}"] = CUSTOM_OP_DATA_CORTEX_M

#: the builtin ops whose TFLM kernels the replay models (each checked against the host runtime)
SUPPORTED_OPS = ARENA_OPS
#: and edge-lstm's custom recurrent ops, whose kernel ships with the TFLM export (checked against
#: TFLM firmware, as the host runtime cannot load that kernel)
REPLAYED_OPS = (*ARENA_OPS, *CUSTOM_RECURRENT_OPS)


class ArenaTooSmall(Exception):
    """One allocation of the replay did not fit; carries which one, for the explanation."""


def _align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _align_down(value: int, alignment: int) -> int:
    return value // alignment * alignment


@dataclass
class _Arena:
    """SingleArenaBufferAllocator on offsets: head and temp grow up, tail grows down."""

    size: int
    head: int = 0
    temp: int = 0
    tail: int = 0
    temp_count: int = 0
    peak_head: int = 0  # highest head/temp offset reached (for the report)
    persistent: int = 0

    def __post_init__(self) -> None:
        self.tail = self.size

    def persistent_alloc(self, nbytes: int, alignment: int, what: str) -> None:
        result = _align_down(self.tail - nbytes, alignment)
        if result < self.head:
            raise ArenaTooSmall(f"persistent {what} ({nbytes} B)")
        self.tail = result
        self.persistent = self.size - self.tail

    def temp_alloc(self, nbytes: int, alignment: int, what: str) -> int:
        result = _align_up(self.temp, alignment)
        if self.tail - result < nbytes:
            raise ArenaTooSmall(f"temporary {what} ({nbytes} B)")
        self.temp = result + nbytes
        self.temp_count += 1
        self.peak_head = max(self.peak_head, self.temp)
        return result

    def temp_free(self) -> None:
        self.temp_count -= 1

    def reset_temp(self) -> None:
        assert self.temp_count == 0
        self.temp = self.head

    def resize_head(self, nbytes: int, alignment: int, what: str) -> None:
        """ResizeBuffer of the one resizable buffer at the arena's head."""
        start = _align_up(0, alignment)
        if self.tail - start < nbytes:
            raise ArenaTooSmall(f"{what} ({nbytes} B)")
        self.head = start + nbytes
        self.temp = self.head
        self.peak_head = max(self.peak_head, self.head)


@dataclass(frozen=True)
class Plan:
    """The greedy plan of the non-persistent buffers (activations and scratch)."""

    peak_bytes: int
    buffers: tuple[tuple[int, int, int, int], ...]  # (aligned size, first, last, offset)


@dataclass(frozen=True)
class Replay:
    """What one run of the allocation sequence left in an arena that was large enough."""

    arena_size: int
    persistent_bytes: int
    planned_bytes: int
    peak_head_bytes: int
    scratch_buffers: tuple[int, ...]
    variable_bytes: int


def _tensor_bytes(t: Tensor) -> int:
    return math.prod(t.shape) * _itemsize(t.dtype)


def _itemsize(dtype: str) -> int:
    return {"int8": 1, "uint8": 1, "bool": 1, "int16": 2, "uint16": 2, "float16": 2}.get(
        dtype, 8 if dtype in ("int64", "uint64", "float64") else 4
    )


def check_supported(model: Model) -> None:
    """The replay models the kernels of the ops edge-lstm converts to, and only those."""
    others = sorted({op.opcode for op in model.operators} - set(REPLAYED_OPS))
    if others:
        raise UnsupportedModelError(
            f"cannot derive a TFLM arena size for ops {', '.join(others)}: the derivation "
            f"covers {', '.join(REPLAYED_OPS)}"
        )


def greedy_plan(requests: list[tuple[int, int, int]]) -> Plan:
    """TFLM's GreedyMemoryPlanner on (aligned size, first use, last use) requests.

    Largest first (stable for equal sizes, in reverse request order as TFLM sorts them), each
    at the lowest offset where it overlaps no simultaneously live buffer already placed.
    """
    if not requests:
        return Plan(0, ())
    count = len(requests)
    # TFLM fills the sorted arrays from the tail, then bubble-sorts descending (stable).
    order = [count - 1 - k for k in range(count)]
    order.sort(key=lambda i: -requests[i][0])
    placed: list[tuple[int, int]] = []  # (offset, request index), sorted by offset
    offsets = [0] * count
    for rank, i in enumerate(order):
        size, first, last = requests[i]
        candidate = 0
        if rank > 0:
            for offset, j in placed:
                s_j, f_j, l_j = requests[j]
                if f_j > last or first > l_j:
                    continue
                if offset - candidate >= size:
                    break
                candidate = max(candidate, offset + s_j)
        offsets[i] = candidate
        # insert after entries with offset <= candidate (TFLM inserts before the first larger)
        pos = 0
        if placed and placed[0][0] <= candidate:
            pos = next((k for k in range(1, len(placed)) if placed[k][0] > candidate), len(placed))
        placed.insert(pos, (candidate, i))
    peak = max(offsets[i] + requests[i][0] for i in range(count))
    return Plan(
        peak,
        tuple((requests[i][0], requests[i][1], requests[i][2], offsets[i]) for i in range(count)),
    )


def replay(
    model: Model,
    arena_size: int,
    sizes: Sizes,
    kernels: KernelSet = "reference",
    recording: bool = False,
    mve: bool = False,
    dsp: bool = True,
) -> Replay:
    """Run TFLM's allocation sequence for ``model`` on an arena of ``arena_size`` bytes.

    Raises ArenaTooSmall at the first allocation that does not fit. ``recording`` selects the
    RecordingMicroAllocator that the Python runtime uses; firmware uses the plain
    MicroAllocator with the greedy planner. ``mve`` models CMSIS-NN on a core with Helium
    (Cortex-M55), whose fully connected kernel keeps kernel sums; ``dsp`` a core with the DSP
    extension (Cortex-M4/M7/M33), whose CMSIS-NN depthwise convolution and average pooling ask
    for scratch buffers that a Cortex-M0 build does not (so the default figure is an upper bound
    there).
    """
    check_supported(model)
    a = _Arena(arena_size)

    def p(name: str, what: str, count: int = 1) -> None:
        size, align = sizes[name]
        a.persistent_alloc(size * count, align, what)

    # MicroAllocator::Create / RecordingMicroAllocator::Create
    if recording:
        p("RecordingSingleArenaBufferAllocator", "arena allocator")
        p("GreedyMemoryPlanner", "memory planner")
        p("RecordingMicroAllocator", "micro allocator")
    else:
        p("SingleArenaBufferAllocator", "arena allocator")
        p("GreedyMemoryPlanner", "memory planner")
        p("MicroAllocator", "micro allocator")

    # StartModelAllocation
    p("BuiltinDataAllocator", "builtin data allocator")
    req_size, req_align = sizes["ScratchBufferRequest"]
    a.resize_head(req_size * MAX_SCRATCH_PER_OP, req_align, "scratch request array")
    p("SubgraphAllocations", "subgraph allocations")
    p("TfLiteEvalTensor", "eval tensors", len(model.tensors))
    p("NodeAndRegistration", "nodes and registrations", len(model.operators))

    # builtin params, parsed op by op
    for op in model.operators:
        if op.opcode not in NO_PARAMS:
            p(f"params:{op.opcode}", f"{op.opcode} params")

    # kernel Init: user data, 16-byte aligned
    for op in model.operators:
        if op.opcode not in NO_INIT:
            size, _ = sizes[f"{kernels}:{op.opcode}"]
            a.persistent_alloc(size, ARENA_ALIGNMENT, f"{op.opcode} op data")

    # kernel Prepare, then FinishPrepareNodeAllocations
    scratch: list[tuple[int, int]] = []  # (bytes, node)
    t_size, t_align = sizes["TfLiteTensor"]
    q_size, q_align = sizes["TfLiteAffineQuantization"]
    ia_size, ia_align = sizes["TfLiteIntArray"]

    def temp_tensor(index: int) -> None:
        a.temp_alloc(t_size, t_align, f"temporary tensor {index}")
        tensor = model.tensors[index]
        if tensor.quant is not None:
            channels = tensor.quant.scale.size
            a.temp_alloc(q_size, q_align, "temporary quantization")
            a.temp_alloc(ia_size + 4 * channels, ia_align, "temporary zero points")

    def hold(indices: list[int]) -> int:
        for index in indices:
            temp_tensor(index)
        return len(indices)

    for node, op in enumerate(model.operators):
        held = 0
        if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            ins = [i for i in op.inputs[:LSTM_SLOTS] if i >= 0]
            held = hold(ins + [op.outputs[0]])
            state = model.tensors[op.inputs[LSTM_HIDDEN_STATE]]  # [batch, H]
            cell = model.tensors[op.inputs[LSTM_CELL_STATE]]
            batch, hidden = state.shape[0], state.shape[-1]
            if kernels == "cmsis-nn":
                for gate in range(8):
                    a.persistent_alloc(4 * hidden, ARENA_ALIGNMENT, f"LSTM kernel sum {gate}")
                buffers = 3
            else:
                buffers = 4
            for _ in range(buffers):
                scratch.append((batch * hidden * _itemsize(cell.dtype), node))
        elif op.opcode == "FULLY_CONNECTED":
            ins = [i for i in op.inputs[:3] if i >= 0]
            held = hold(ins[:2] + ([ins[2]] if len(ins) > 2 else []) + [op.outputs[0]])
            weights = model.tensors[op.inputs[1]]
            out = model.tensors[op.outputs[0]]
            per_channel = weights.quant is not None and weights.quant.scale.size > 1
            if per_channel:
                channels = weights.quant.scale.size  # type: ignore[union-attr]
                a.persistent_alloc(4 * channels, ARENA_ALIGNMENT, "FC multipliers")
                a.persistent_alloc(4 * channels, ARENA_ALIGNMENT, "FC shifts")
            if kernels == "cmsis-nn":
                depth = weights.shape[-1]
                out_depth = out.shape[-1]
                if len(out.shape) > 2 and depth % 4 == 0:
                    if not per_channel:
                        scratch.append((out_depth * 8, node))
                elif mve:
                    a.persistent_alloc(out_depth * 4, ARENA_ALIGNMENT, "FC kernel sums")
        elif op.opcode in CUSTOM_RECURRENT_OPS:
            # el_gru_tflm.cc Prepare: inputs 0..5 and the output as temporaries, released;
            # one persistent buffer of the constants; the step function's scratch
            held = hold([*op.inputs[:6], op.outputs[0]])
            rows, hidden = model.tensors[op.inputs[2]].shape
            inputs = model.tensors[op.inputs[0]].shape[-1]
            gates = rows // hidden
            a.persistent_alloc(
                recurrent_constant_bytes(gates, inputs, hidden),
                ARENA_ALIGNMENT,
                f"{op.opcode} constants",
            )
            scratch.append((recurrent_scratch_bytes(gates, inputs, hidden), node))
        elif op.opcode == "SOFTMAX":
            held = hold([op.inputs[0], op.outputs[0]])
        elif op.opcode == "STRIDED_SLICE":
            held = hold(list(op.inputs[:4]) + [op.outputs[0]])
        else:
            for step, value in prepare_steps(model, op, kernels, mve=mve, dsp=dsp):
                if step == "temp":
                    held += hold([value])
                elif step == "persistent":
                    a.persistent_alloc(value, ARENA_ALIGNMENT, f"{op.opcode} buffer")
                else:
                    scratch.append((value, node))
        del held  # every temporary is released when Prepare returns
        a.temp_count = 0
        a.reset_temp()
        pending = len(scratch)
        a.resize_head(req_size * (pending + MAX_SCRATCH_PER_OP), req_align, "scratch request array")

    # FinishModelAllocation: scratch handles, then CommitStaticMemoryPlan
    if scratch:
        p("ScratchBufferHandle", "scratch buffer handles", len(scratch))
    sz, sz_align = sizes["size_t"]
    a.temp_alloc(sz, sz_align, "subgraph offsets")
    ai_size, ai_align = sizes["AllocationInfo"]
    a.temp_alloc(ai_size * (len(model.tensors) + len(scratch)), ai_align, "allocation info")
    variable_bytes = 0
    for t in model.tensors:
        if t.is_variable:
            a.persistent_alloc(_tensor_bytes(t), ARENA_ALIGNMENT, f"variable tensor {t.index}")
            variable_bytes += _align_up(_tensor_bytes(t), ARENA_ALIGNMENT)

    requests = _lifetimes(model, scratch)
    remaining = _align_down(a.tail, ARENA_ALIGNMENT) - _align_up(a.temp, ARENA_ALIGNMENT)
    a.temp_alloc(remaining, ARENA_ALIGNMENT, "planner working memory")
    if remaining // PLANNER_BYTES_PER_BUFFER < len(requests):
        raise ArenaTooSmall(f"planner working memory for {len(requests)} buffers")
    plan = greedy_plan(requests)
    a.temp_count = 0
    a.reset_temp()
    a.head = 0
    a.temp = 0
    a.resize_head(plan.peak_bytes, ARENA_ALIGNMENT, "planned activations")

    # input and output TfLiteTensors, kept for the application
    ptr_size, _ = sizes["pointer"]
    for indices in (model.inputs, model.outputs):
        a.persistent_alloc(ptr_size * len(indices), ARENA_ALIGNMENT, "tensor pointer array")
        for index in indices:
            p("TfLiteTensor", "input/output tensor")
            quant = model.tensors[index].quant
            if quant is not None:
                p("TfLiteAffineQuantization", "input/output quantization")
                a.persistent_alloc(ia_size + 4 * quant.scale.size, ia_align, "zero points")

    return Replay(
        arena_size=arena_size,
        persistent_bytes=a.persistent,
        planned_bytes=plan.peak_bytes,
        peak_head_bytes=a.peak_head,
        scratch_buffers=tuple(b for b, _ in scratch),
        variable_bytes=variable_bytes,
    )


def recurrent_scratch_bytes(gates: int, inputs: int, hidden: int) -> int:
    """el_gru_s8_buffer_size() of a GRU (3 gates) or SimpleRNN (1) layer: every row's input and
    recurrent accumulators (int32, rows padded to H4 = 4 ceil(H/4) per gate), then x, h and
    r x h widened to int16 pairs (tests/test_tflm_custom.py compares it with the C function)."""
    h_groups, in_groups = (hidden + 3) // 4, (inputs + 3) // 4
    return 4 * (2 * gates * 4 * h_groups + 2 * in_groups + 4 * h_groups)


def recurrent_constant_bytes(gates: int, inputs: int, hidden: int) -> int:
    """The persistent buffer el_gru_tflm.cc's Prepare takes: W and U repacked for the step
    function (G H4 rows x ceil(I/4) and ceil(H/4) words), then per row (G H) two el_requant
    (8 B each) and the two folded biases (int32)."""
    h4 = 4 * ((hidden + 3) // 4)
    packed = 4 * gates * h4 * ((inputs + 3) // 4 + (hidden + 3) // 4)
    return packed + gates * hidden * (2 * 8 + 2 * 4)


Step = tuple[Literal["temp", "persistent", "scratch"], int]


def prepare_steps(
    model: Model, op: Operator, kernels: KernelSet, mve: bool = False, dsp: bool = True
) -> list[Step]:
    """The allocations one non-recurrent kernel's Prepare makes, in TFLM's order.

    ("temp", tensor index): AllocateTempInputTensor/AllocateTempOutputTensor (a missing
    optional tensor allocates nothing); ("persistent", bytes): AllocatePersistentBuffer;
    ("scratch", bytes): RequestScratchBufferInArena. Order matters because a persistent buffer
    taken after some temporaries shrinks the room of the later ones only. Each list was read
    from the kernel's Prepare (and the functions it calls) at the TFLM commit the sizes come
    from; the CMSIS-NN scratch sizes from arm_*_get_buffer_size of the CMSIS-NN commit TFLM
    pins, for a GCC build (the 1x1 convolution buffer is armclang-only).
    """
    code = op.opcode
    ins = [i for i in op.inputs]
    out = op.outputs[0]

    def t(*indices: int) -> list[Step]:
        return [("temp", i) for i in indices if i >= 0]

    def optional(k: int) -> int:
        return ins[k] if len(ins) > k else -1

    if code in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        weights = model.tensors[ins[1]]
        channels = weights.shape[3] if code == "DEPTHWISE_CONV_2D" else weights.shape[0]
        per_channel: list[Step] = [("persistent", 4 * channels), ("persistent", 4 * channels)]
        calculate = t(ins[0], ins[1], optional(2), out)  # CalculateOpData{Conv,DepthwiseConv}
        if kernels == "reference":
            return t(out, ins[0], ins[1]) + per_channel + calculate
        _int8_only(model, op)
        steps = t(ins[0], ins[1], out) + per_channel + calculate
        size = (
            _cmsis_conv_buffer(model, op, mve)
            if code == "CONV_2D"
            else _cmsis_depthwise_buffer(model, op, mve, dsp)
        )
        return steps + ([("scratch", size)] if size > 0 else [])
    if code in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        steps = t(ins[0], out)  # PoolingPrepare
        if kernels == "cmsis-nn" and code == "AVERAGE_POOL_2D":
            _int8_only(model, op)
            steps += t(ins[0], out)
            depth = model.tensors[out].shape[3]
            size = 4 * depth if dsp and not mve else 0  # arm_avgpool_s8_get_buffer_size
            steps += [("scratch", size)] if size > 0 else []
        return steps
    if code == "MEAN":
        x, axis, y = (model.tensors[i] for i in (ins[0], ins[1], out))
        steps = t(ins[0], out, ins[1])  # PrepareMeanOrSumHelper
        if x.dtype in ("int8", "int16"):
            steps.append(("scratch", 4 * math.prod(y.shape)))  # int32 accumulator
        steps += [("scratch", 4 * len(x.shape)), ("scratch", 4 * math.prod(axis.shape))]
        return steps + t(ins[0], ins[1]) + (t(out) if x.dtype == "int8" else [])  # PrepareSimple
    if code == "REDUCE_MAX":
        x, axis = model.tensors[ins[0]], model.tensors[ins[1]]
        steps = t(ins[0], ins[1]) + (t(out) if x.dtype == "int8" else [])  # PrepareSimple
        steps += t(ins[0], out, ins[1])  # PrepareMinMaxHelper
        return steps + [("scratch", 4 * len(x.shape)), ("scratch", 4 * math.prod(axis.shape))]
    if code == "CONCATENATION":
        return t(ins[0], out, *ins)
    if code in ("ADD", "SUB", "MUL"):
        return t(ins[0], ins[1], out)
    if code == "TANH":
        return t(ins[0], ins[0], out)  # TanhPrepare holds the input, then CalculateArithmeticOpData
    if code == "RELU6":
        return t(ins[0])
    if code == "REVERSE_V2":
        return t(ins[0], ins[1], out)
    if code == "PAD":
        return t(ins[0], ins[1], optional(2), out)
    if code in ("RESHAPE", "LOGISTIC", "RELU", "QUANTIZE", "DEQUANTIZE"):
        return t(ins[0], out)
    raise UnsupportedModelError(f"no allocation replay for {code}")


def _int8_only(model: Model, op: Operator) -> None:
    """The CMSIS-NN scratch formulas are derived for the int8 kernels (int16 ones differ)."""
    dtype = model.tensors[op.inputs[0]].dtype
    if dtype != "int8":
        raise UnsupportedModelError(
            f"cannot derive a TFLM arena size for a CMSIS-NN {op.opcode} on {dtype} input: the "
            f"derivation covers the int8 kernels"
        )


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


def _cmsis_conv_buffer(model: Model, op: Operator, mve: bool) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size for a CONV_2D op."""
    params = conv_params(model, op)
    x, w, y = (model.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    return _conv_buffer(x.shape[1:4], (w.shape[1], w.shape[2], w.shape[3]), y.shape[2], params, mve)


def _conv_buffer(
    x_hwc: tuple[int, ...], filter_hwc: tuple[int, ...], out_w: int, params: ConvParams, mve: bool
) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size (DSP, no-DSP and MVE builds; GCC)."""
    in_h, in_w, in_c = x_hwc
    fh, fw, filter_c = filter_hwc
    (_, sw), (dh, dw), (ph, pw) = params.stride, params.dilation, params.padding
    if pw == 0 and ph == 0 and fw == 1 and fh == 1 and dw == 1 and dh == 1 and in_c == filter_c:
        return 0  # 1x1: the fast kernel's buffer exists for armclang only
    cols = fw * fh * in_c
    if not mve:  # arm_convolve_s8_get_buffer_size (also the 1 x n case)
        return 2 * ((cols + 3) // 4 * 4) * 2
    general = 4 * ((cols + 15) // 16) * 16  # arm_convolve_s8_get_buffer_size_mve
    if not (in_h == 1 and dw == 1 and fh == 1 and (sw * in_c) % 4 == 0 and in_c == filter_c):
        return general
    # arm_convolve_1_x_n_s8_get_buffer_size_mve
    total_pad = (out_w - 1) * sw + fw - in_w
    asym = _c_mod(total_pad, 2)
    right = max(1, _c_div(pw + asym + sw - 1, sw)) if pw + asym != 0 else 0
    left = max(1, _c_div(pw + sw - 1, sw)) if pw != 0 else 0
    if right + max(out_w - (right + left), 0) + left != out_w:
        return general
    pad_left = pw * in_c
    pad_right = right * in_c if asym else pad_left
    elems_left = fw * in_c
    return max(elems_left + pad_left, elems_left - in_c + pad_right)


def _cmsis_depthwise_buffer(model: Model, op: Operator, mve: bool, dsp: bool) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size (DSP, no-DSP and MVE builds; GCC).

    On MVE with one input channel the wrapper converts to a regular convolution (the GCC
    threshold is more than one output channel); that convolution's buffer is computed with the
    op's stride, which TFLM leaves unset in the parameters it passes.
    """
    params = conv_params(model, op)
    x, w, y = (model.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    batch, in_c = x.shape[0], x.shape[3]
    fh, fw, out_c = w.shape[1], w.shape[2], y.shape[3]
    (dh, dw), (ph, pw) = params.dilation, params.padding
    if mve and in_c == 1 and out_c > 1:
        as_conv = _conv_buffer(x.shape[1:4], (fh, fw, 1), y.shape[2], params, mve=True)
        return as_conv + out_c * fh * fw
    if not (in_c == out_c and batch == 1 and dw == 1 and dh == 1):
        return 0
    if mve:
        return 4 * 124 * fw * fh  # CH_IN_BLOCK_MVE
    if not dsp or (fw == 3 and fh == 3 and ph <= 1 and pw <= 1):
        return 0
    return in_c * fw * fh * 2


def _lifetimes(model: Model, scratch: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """AllocationInfoBuilder: (aligned size, first, last) of each planned buffer, in order."""
    n = len(model.tensors)
    first = [-1] * n
    last = [-1] * n

    def created(i: int, scope: int) -> None:
        if first[i] == -1:
            first[i] = scope

    for i in model.inputs:
        created(i, 0)
        last[i] = 0
    scope = 0
    for op in model.operators:
        scope += 1
        for i in op.outputs:
            created(i, scope)
        for i in op.inputs:
            if i >= 0:
                last[i] = scope
        for i in op.outputs:
            last[i] = scope
    for i in model.outputs:
        created(i, scope)
        last[i] = scope

    requests = []
    for t in model.tensors:
        nbytes = _tensor_bytes(t)
        if t.data is None and not t.is_variable and nbytes != 0:
            requests.append((_align_up(nbytes, ARENA_ALIGNMENT), first[t.index], last[t.index]))
    for nbytes, node in scratch:
        requests.append((_align_up(nbytes, ARENA_ALIGNMENT), node + 1, node + 1))
    return requests


def fits(model: Model, arena_size: int, sizes: Sizes, **kwargs: object) -> bool:
    try:
        replay(model, arena_size, sizes, **kwargs)  # type: ignore[arg-type]
    except ArenaTooSmall:
        return False
    return True


def minimum_arena(model: Model, sizes: Sizes, **kwargs: object) -> int:
    """Smallest arena size for which the whole replay fits (bisection; fitting is monotone)."""
    low, high = 0, 1024
    while not fits(model, high, sizes, **kwargs):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        if fits(model, mid, sizes, **kwargs):
            high = mid
        else:
            low = mid
    return high


def with_margin(minimum: int) -> int:
    return _align_up(minimum + max(MARGIN_MIN_BYTES, math.ceil(minimum * MARGIN_FRACTION)), 16)


@dataclass(frozen=True)
class ArenaFigure:
    """One arena figure with how it was obtained, for people and for generated headers."""

    kernels: str
    bytes: int  # the figure to use
    minimum: int  # the replayed (or measured) minimum
    margin: int
    derivation: str
    parts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "kernels": self.kernels,
            "bytes": self.bytes,
            "minimum": self.minimum,
            "margin": self.margin,
            "derivation": self.derivation,
            "parts": dict(self.parts),
        }


def cortex_m_figure(
    model: Model, kernels: KernelSet = "reference", mve: bool = False, dsp: bool = True
) -> ArenaFigure:
    """The arena a Cortex-M firmware gets for ``model``: the 32-bit replay plus the margin.

    ``mve``/``dsp`` select the CMSIS-NN build (see ``replay``); the default, a DSP core without
    Helium, is also an upper bound for a Cortex-M0 build.
    """
    if kernels not in KERNEL_SETS:
        raise ValueError(f"kernel set must be one of {KERNEL_SETS}, not {kernels!r}")
    minimum = minimum_arena(model, SIZES_CORTEX_M, kernels=kernels, mve=mve, dsp=dsp)
    r = replay(model, minimum, SIZES_CORTEX_M, kernels=kernels, mve=mve, dsp=dsp)
    total = with_margin(minimum)
    lstm_layers = sum(op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM" for op in model.operators)
    extra = ""
    if kernels == "cmsis-nn":
        extra = f"; CMSIS-NN adds 8 int32[H] kernel sums for each of {lstm_layers} LSTM layer(s)"
    derivation = (
        f"TFLM allocation replay with 32-bit Cortex-M structure sizes, {kernels} kernels, "
        f"greedy planner: persistent {r.persistent_bytes} B (allocator objects, "
        f"{len(model.tensors)} eval tensors, {len(model.operators)} nodes, params, op data, "
        f"state tensors {r.variable_bytes} B) + planned activations and scratch "
        f"{r.planned_bytes} B; setup peak fits in {minimum} B{extra}; "
        f"margin +{total - minimum} B (10 %, at least {MARGIN_MIN_BYTES} B, rounded to 16)"
    )
    return ArenaFigure(
        kernels=kernels,
        bytes=total,
        minimum=minimum,
        margin=total - minimum,
        derivation=derivation,
        parts={
            "persistent": r.persistent_bytes,
            "planned": r.planned_bytes,
            "variables": r.variable_bytes,
            "setup_peak_head": r.peak_head_bytes,
        },
    )


def host_replay_minimum(model: Model) -> int:
    """The minimum the replay predicts for the host Python runtime (LP64, recording allocator)."""
    return minimum_arena(model, SIZES_HOST_WHEEL, kernels="reference", recording=True)
