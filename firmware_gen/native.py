"""The native int8 engine: one int8 .tflite (as quantize.ir) -> the model's data as C.

The generator writes data only: packed weights (model_weights.c), the kernels' constant
parameter structs and a layer table (model.c) and the model's figures (model_config.h). The
control flow is hand-written C in firmware_gen/runtime, copied next to it: the kernels, and
el_net.c, which walks the layer table (one step at a time through all stacked LSTM layers: a
stacked LSTM is causal, so interleaving the layers gives the same integers as running each
layer over the whole sequence, and the RAM is the state of each layer plus one shared scratch
buffer, independent of the sequence length).

Everything the TFLite Micro kernels compute at prepare time is computed here instead, with the
same float32/double steps, so that the firmware does no floating point and gives TFLite Micro's
bytes: requantization multipliers and shifts, biases with the zero-point corrections folded in
(bias - zp * row sum), the cell-state tanh scaling, the quantized cell clip, the softmax exp
scaling.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from firmware_gen import include_dir
from firmware_gen.cgen import (
    Initializer,
    ModelFigures,
    array_length,
    banner,
    const_array,
    copy_api,
    include_guard,
    initializer,
    model_config_header,
    scalar_count,
)
from quantize.custom_recurrent import recurrent_params
from quantize.errors import UnsupportedModelError
from quantize.fixedpoint import multiply_by_quantized_multiplier
from quantize.gru_params import GruParams
from quantize.ir import Model, Operator, Tensor
from quantize.lstm_params import (
    GATES,
    LSTM_BIASES,
    LSTM_CELL_STATE,
    LSTM_HIDDEN_STATE,
    LSTM_INPUT,
    LSTM_INPUT_WEIGHTS,
    LSTM_LAYER_NORM,
    LSTM_PEEPHOLE,
    LSTM_PROJECTION,
    LSTM_RECURRENT_WEIGHTS,
    LSTM_SLOTS,
    lstm_params,
)
from quantize.op_params import fully_connected_params, softmax_op_params
from quantize.ops import NATIVE_OPS, OPS

if TYPE_CHECKING:  # native_ops imports this module (pack_rows): import it where it is used
    from firmware_gen.native_ops import NativeArray

RUNTIME_FILES = (
    "el_nn_types.h",
    "el_nnfunctions.h",
    "el_fixedpoint.h",
    "el_sigmoid_tanh.h",
    "el_sigmoid_tanh.c",
    "el_lstm_s8.c",
    "el_lstm_units_armv6m.c",
    "el_lstm_units_mve.c",
    "el_fully_connected_s8.c",
    "el_softmax_s8.c",
    "el_gru_s8.h",
    "el_gru_s8.c",
    "el_net.h",
    "el_net.c",
    "el_net_gru.c",
    "el_model.c",
    # the whole-sequence graph (el_graph.h) and its simple kernels; an image whose model is a
    # streaming stack links none of them (the build drops unreferenced sections)
    "el_graph.h",
    "el_graph.c",
    "el_graph_kernels.c",
    "el_elementwise_s8.h",
    "el_gemmlowp.h",
    "el_reverse_s8.c",
    "el_concatenation_s8.c",
    "el_add_s8.c",
    "el_mul_s8.c",
    "el_logistic_s8.c",
    "el_tanh_s8.c",
    "el_requantize_s8.c",
)


def runtime_files() -> tuple[str, ...]:
    """Every file an export copies to runtime/: RUNTIME_FILES, and the convolution, pooling and
    reduction kernels (firmware_gen/native_ops.py lists them) with their el_graph glue."""
    from firmware_gen.native_ops import KERNEL_FILES

    return (*RUNTIME_FILES, "el_graph_native_ops.c", *KERNEL_FILES)


_TFLM_HINT = "export it with `--runtime tflm` instead"
_MUST_BE_ABSENT = {
    **{slot: "peephole" for slot in LSTM_PEEPHOLE},
    **{slot: "projection" for slot in LSTM_PROJECTION},
    **{slot: "layer norm" for slot in LSTM_LAYER_NORM},
}


@dataclass
class NativeExport:
    """What was written, with the memory figures ``export --json`` reports."""

    model_c: Path  # model.c: parameter structs, state and the layer table
    model_h: Path  # model_config.h: the EL_MODEL_* figures
    runtime_files: list[Path]
    weights_bytes: int  # const weights, biases and requantization tables (flash)
    state_bytes: int  # h and c of every LSTM layer (+ the sequence output buffer)
    scratch_bytes: int  # shared kernel scratch and head activations
    macs: int  # multiply-accumulates per inference (padded to the kernels' groups of 4)
    layers: list[dict[str, Any]] = field(default_factory=list)
    weight_storage: str = "int8"  # of the LSTM weights: "int8" or "int16" (sign-extended)
    # "streaming": the layer table, one step through every layer (el_net.h); "whole_sequence":
    # the operator table over an arena (el_graph.h), which needs all T steps before an output
    execution: str = "streaming"
    arena_bytes: int = 0  # the whole-sequence graph's activation arena (in scratch_bytes)

    @property
    def ram_bytes(self) -> int:
        return self.state_bytes + self.scratch_bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "runtime": "native",
            "weight_storage": self.weight_storage,
            "flash_weights_bytes": self.weights_bytes,
            "ram_state_bytes": self.state_bytes,
            "ram_scratch_bytes": self.scratch_bytes,
            "ram_bytes": self.ram_bytes,
            "macs_per_inference": self.macs,
            "execution": self.execution,
            # a streaming model gives an output after any number of el_model_step() calls; a
            # whole-sequence one only after all T (el_model_output() returns -3 before)
            "streaming": self.execution == "streaming",
            "ram_arena_bytes": self.arena_bytes,
            "layers": self.layers,
        }


# --- weight layouts -------------------------------------------------------------------------


def pack_rows(w: np.ndarray) -> np.ndarray:
    """[R, K] int8 -> [R, ceil(K/4)] int32 words, bytes (w0, w2, w1, w3) per 4 columns.

    That byte order is what SXTB16 (bytes 0, 2) and SXTB16 ROR #8 (bytes 1, 3) turn into the
    int16 pairs (w0, w1) and (w2, w3) that SMLAD multiplies with the input pairs (x0, x1),
    (x2, x3); the plain C path unpacks the same words.
    """
    rows, cols = w.shape
    groups = (cols + 3) // 4
    padded = np.zeros((rows, groups * 4), dtype=np.int8)
    padded[:, :cols] = w
    quads = padded.reshape(rows, groups, 4)[:, :, [0, 2, 1, 3]].astype(np.uint8)
    words = np.ascontiguousarray(quads).view("<u4").reshape(rows, groups)
    return words.astype(np.uint32).view(np.int32)


def pack_rows_s16(w: np.ndarray) -> np.ndarray:
    """[R, K] int8 -> [R, 2 ceil(K/4)] int32 words, the int16 pairs (w0, w1), (w2, w3).

    The same values as pack_rows() stored sign-extended: SMLAD multiplies each word with an
    input pair as it is, so the loop saves the two SXTB16 per word at twice the flash.
    """
    rows, cols = w.shape
    groups = (cols + 3) // 4
    padded = np.zeros((rows, groups * 4), dtype=np.int16)
    padded[:, :cols] = w
    words = np.ascontiguousarray(padded).view("<u4").reshape(rows, 2 * groups)
    return words.astype(np.uint32).view(np.int32)


WEIGHT_STORAGE = ("int8", "int16")


# --- the plan: which kernels run, with which constants ---------------------------------------


@dataclass
class _Lstm:
    name: str
    input_size: int
    hidden: int
    weights: np.ndarray  # int32 words
    bias: np.ndarray  # int32 [H, 8]
    input_rq: list[tuple[int, int]]
    recurrent_rq: list[tuple[int, int]]
    forget_cell_rq: tuple[int, int]
    input_gate_rq: tuple[int, int]
    hidden_rq: tuple[int, int]
    hidden_zp: int
    tanh_mult: int
    tanh_shift: int
    cell_clip: int
    shift_only: int  # 1: the kernel's short requantization forms are exact for this layer
    gates_in_range: int = 0  # 1: no gate side nor gate sum can leave int16 (needs shift_only)
    weight_bits: int = 8  # 8: four int8 per word; 16: int16 pairs (see pack_rows_s16)

    @property
    def scratch_words(self) -> int:
        return 2 * ((self.input_size + 3) // 4) + 2 * ((self.hidden + 3) // 4)

    @property
    def macs(self) -> int:
        return 4 * self.hidden * 4 * ((self.input_size + 3) // 4 + (self.hidden + 3) // 4)


def gru_scratch_words(gates: int, input_size: int, hidden: int) -> int:
    """el_gru_s8_buffer_size() in words: every row's two accumulators (rows padded to a
    multiple of 4 per gate), then x, h and r x h widened to int16 pairs."""
    h_groups, in_groups = (hidden + 3) // 4, (input_size + 3) // 4
    return 2 * gates * 4 * h_groups + 2 * in_groups + 4 * h_groups


def gru_short_rq(p: GruParams) -> int:
    """1 when every row's accumulator plus bias, shifted left by its requantization's left shift,
    stays below 2^30 for any int8 input (|W . v| <= 128 sum |W|), so el_gru_s8 may take the
    short SMMLAR form of the requantization (el_gru_rq_short()); else 0, the general form."""
    for w, bias, shift in ((p.w_x, p.input_bias, p.input_shift),
                           (p.w_h, p.recurrent_bias, p.recurrent_shift)):  # fmt: skip
        bound = 128 * np.abs(w.astype(np.int64)).sum(axis=1) + np.abs(bias.astype(np.int64))
        if np.any(bound << np.maximum(np.asarray(shift, np.int64), 0) >= 1 << 30):
            return 0
    return 1


def gru_packed_weights(w: np.ndarray, gates: int, hidden: int) -> list[int]:
    """A GRU / SimpleRNN matrix ([gates * hidden][columns] int8) as el_gru_s8 reads it: each
    gate's rows padded to a multiple of 4, then per block of four rows and per group of four
    columns (zero-padded) one word per row with the weights of columns c, c+2, c+1, c+3, so
    that one load of a group's inputs feeds four rows and SXTB16 / SXTB16 ROR #8 give the
    int16 pairs of columns (c, c+1) and (c+2, c+3)."""
    cols = w.shape[1]
    h4, c4 = 4 * ((hidden + 3) // 4), 4 * ((cols + 3) // 4)
    padded = np.zeros((gates, h4, c4), np.int8)
    padded[:, :hidden, :cols] = np.asarray(w, np.int8).reshape(gates, hidden, cols)
    blocks = padded.reshape(gates * h4 // 4, 4, c4 // 4, 4)[..., [0, 2, 1, 3]]
    words = np.ascontiguousarray(blocks.transpose(0, 2, 1, 3)).view("<i4")
    return [int(v) for v in words.reshape(-1)]


@dataclass
class _Gru:
    """A GRU or SimpleRNN (edge-lstm's EL_GRU / EL_SIMPLE_RNN ops), constants from gru_params."""

    name: str
    params: GruParams

    @property
    def input_size(self) -> int:
        return self.params.input_size

    @property
    def hidden(self) -> int:
        return self.params.hidden

    @property
    def requantized_output(self) -> bool:
        return self.params.requantize_output

    @property
    def scratch_words(self) -> int:
        return gru_scratch_words(self.params.gates, self.input_size, self.hidden)

    @property
    def state_bytes(self) -> int:
        return self.hidden * (2 if self.requantized_output else 1)

    @property
    def macs(self) -> int:
        return self.params.gates * self.hidden * (self.input_size + self.hidden)


@dataclass
class _Fc:
    name: str
    input_size: int
    output_size: int
    weights: np.ndarray
    bias: np.ndarray
    rq: list[tuple[int, int]]
    output_zp: int
    act_min: int
    act_max: int

    @property
    def scratch_words(self) -> int:
        return 2 * ((self.input_size + 3) // 4)

    @property
    def macs(self) -> int:
        return self.output_size * 4 * ((self.input_size + 3) // 4)


@dataclass
class _Softmax:
    name: str
    size: int
    multiplier: int
    left_shift: int
    diff_min: int
    scratch_words: int = 0
    macs: int = 0

    @property
    def output_size(self) -> int:
        return self.size


@dataclass
class _Plan:
    timesteps: int
    features: int
    lstms: list[_Lstm | _Gru]  # the recurrent layers, first first
    head: list[_Fc | _Softmax]
    sequence_output: bool  # the head runs at every step and the output is [T, K]
    step_output_bytes: int
    input: Tensor
    output: Tensor


def _unsupported(op: Operator, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"operator {op.index} ({op.opcode}): {why}; the native runtime does not support it, "
        f"{_TFLM_HINT}"
    )


def _require_int8(model: Model, op: Operator, index: int, what: str) -> Tensor:
    t = model.tensor(index)
    if t.dtype != "int8" or t.quant is None:
        raise _unsupported(op, f"{what} is {t.dtype}, not quantized int8")
    return t


def _lstm(model: Model, op: Operator, name: str, weight_bits: int = 8) -> _Lstm:
    ins = list(op.inputs) + [-1] * (LSTM_SLOTS - len(op.inputs))
    for index, feature in _MUST_BE_ABSENT.items():
        if ins[index] >= 0:
            raise _unsupported(op, f"the LSTM has {feature} tensors")
    if any(ins[i] < 0 for i in LSTM_INPUT_WEIGHTS):
        raise _unsupported(op, "the LSTM has no input gate (CIFG)")
    if op.options.get("fusedActivationFunction", 4) != 4:
        raise _unsupported(op, "the LSTM cell activation is not tanh")
    x = _require_int8(model, op, ins[LSTM_INPUT], "the LSTM input")
    _require_int8(model, op, ins[LSTM_HIDDEN_STATE], "the hidden state")
    c_state = model.tensor(ins[LSTM_CELL_STATE])
    if c_state.dtype != "int16" or c_state.quant is None:
        raise _unsupported(op, f"the cell state is {c_state.dtype}, not int16")
    wx = [model.tensor(ins[slot]) for slot in LSTM_INPUT_WEIGHTS]
    wh = [model.tensor(ins[slot]) for slot in LSTM_RECURRENT_WEIGHTS]
    bias = [model.tensor(ins[slot]) for slot in LSTM_BIASES]
    for t in wx + wh:
        if t.dtype != "int8" or t.data is None or t.quant is None or t.quant.per_channel:
            raise _unsupported(op, f"weight {t.name} is not constant per-tensor int8")
    for t in bias:
        if t.dtype != "int32" or t.data is None:
            raise _unsupported(op, f"bias {t.name} is not constant int32")
    if x.shape[0] != 1 and not op.options.get("timeMajor", False):
        raise _unsupported(op, f"batch size {x.shape[0]} (only 1 is supported)")
    hidden, input_size = wx[0].shape
    # Every constant comes from the one derivation the numpy reference uses as well.
    params = lstm_params(model, op, "tflm")
    zp_h = params.hidden_zero_point
    power = params.cell_power

    # The folded biases (zero points included) of gate g are rows g*H .. (g+1)*H - 1.
    bias_words = np.zeros((hidden, 8), dtype=np.int64)
    for g, gate in enumerate(GATES):
        bias_words[:, g] = params.input_bias[params.gate_rows(gate)]
        bias_words[:, 4 + g] = params.recurrent_bias[params.gate_rows(gate)]

    # Weights: per unit, input part then recurrent part, gates interleaved per column group.
    # With int16 storage each gate has two words per column group, next to each other.
    pack = pack_rows if weight_bits == 8 else pack_rows_s16
    per_group = weight_bits // 8
    px = np.stack([pack(w.data).reshape(hidden, -1, per_group) for w in wx], axis=2)
    ph = np.stack([pack(w.data).reshape(hidden, -1, per_group) for w in wh], axis=2)
    packed = np.concatenate([px.reshape(hidden, -1), ph.reshape(hidden, -1)], axis=1)

    left = 15 + power - 3
    tanh_mult, tanh_shift = (3, -left) if left < 0 else (3 << left, 0)
    cell_clip = params.cell_clip if params.cell_clip > 0 else -1  # the kernel's "no clip" is -1
    first_rows = [params.gate_rows(gate).start for gate in GATES]
    input_rq = [(int(params.input_multiplier[r]), int(params.input_shift[r])) for r in first_rows]
    recurrent_rq = [
        (int(params.recurrent_multiplier[r]), int(params.recurrent_shift[r])) for r in first_rows
    ]
    forget_cell_rq = (params.forget_cell_multiplier, params.forget_cell_shift)
    input_gate_rq = (params.input_cell_multiplier, params.input_cell_shift)
    hidden_rq = (params.hidden_multiplier, params.hidden_shift)
    # Largest |accumulator| per gate side: |folded bias| + 128 * sum |w| (raw int8 inputs).
    bounds = [
        int(np.max(np.abs(bias_words[:, g]) + 128 * np.abs(w.data.astype(np.int64)).sum(axis=1)))
        for g, w in enumerate(wx + wh)
    ]
    # A left shift L is exact on the short form when the doubled accumulator shifted by L
    # still fits an int32 (then TFLM's x * 2^L does not wrap either).
    shift_only = int(
        all(b < 2**30 for b in bounds)
        and all(
            -31 <= sh <= 0 or (b << (sh + 1)) < 2**31
            for b, (_, sh) in zip(bounds, input_rq + recurrent_rq, strict=True)
        )
        and -31 <= hidden_rq[1] <= -1
        and all(m == 2**30 and -29 <= sh <= -1 for m, sh in (forget_cell_rq, input_gate_rq))
    )
    # Per unit and gate, the largest |requantized side| over every accumulator the bound allows
    # (MultiplyByQuantizedMultiplier is monotonic, so the ends +-bound give it): when both sides
    # and their sum stay within +-32767, the kernel's three int16 saturations of the gate change
    # nothing and are left out.
    side = []
    for g, (w, (m, sh)) in enumerate(zip(wx + wh, input_rq + recurrent_rq, strict=True)):
        bound = np.abs(bias_words[:, g]) + 128 * np.abs(w.data.astype(np.int64)).sum(axis=1)
        side.append(
            np.maximum(
                np.abs(multiply_by_quantized_multiplier(bound, m, sh)),
                np.abs(multiply_by_quantized_multiplier(-bound, m, sh)),
            )
        )
    gates_in_range = int(
        bool(shift_only) and all(int(np.max(side[g] + side[g + 4])) <= 32767 for g in range(4))
    )
    return _Lstm(
        name=name,
        input_size=int(input_size),
        hidden=int(hidden),
        weights=packed.reshape(-1).astype(np.int32),
        # The kernel's short forms take doubled accumulators (doubled inputs and biases).
        bias=(bias_words * (1 + shift_only)).astype(np.int32),
        input_rq=input_rq,
        recurrent_rq=recurrent_rq,
        forget_cell_rq=forget_cell_rq,
        input_gate_rq=input_gate_rq,
        hidden_rq=hidden_rq,
        hidden_zp=zp_h,
        tanh_mult=tanh_mult,
        tanh_shift=tanh_shift,
        cell_clip=cell_clip,
        shift_only=shift_only,
        gates_in_range=gates_in_range,
        weight_bits=weight_bits,
    )


def _fully_connected(model: Model, op: Operator, name: str, input_size: int) -> _Fc:
    _require_int8(model, op, op.inputs[0], "the FC input")
    _require_int8(model, op, op.outputs[0], "the FC output")
    w = model.tensor(op.inputs[1])
    if w.dtype != "int8" or w.data is None or w.quant is None:
        raise _unsupported(op, "the FC weights are not constant int8")
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bt = model.tensor(op.inputs[2])
        if bt.dtype != "int32" or bt.data is None:
            raise _unsupported(op, "the FC bias is not constant int32")
    p = fully_connected_params(model, op)
    if p.input_size != input_size:
        raise _unsupported(
            op, f"the FC expects {p.input_size} inputs per row, the graph gives {input_size}"
        )
    if np.abs(p.folded_bias).max(initial=0) >= 2**31:
        raise _unsupported(op, "a folded FC bias does not fit in int32")
    return _Fc(
        name=name,
        input_size=p.input_size,
        output_size=p.output_size,
        weights=pack_rows(p.weights).reshape(-1),
        bias=p.folded_bias.astype(np.int32),
        rq=[(int(m), int(sh)) for m, sh in zip(p.multiplier, p.shift, strict=True)],
        output_zp=p.output_zero_point,
        act_min=p.activation_min,
        act_max=p.activation_max,
    )


def _softmax(model: Model, op: Operator, name: str, size: int) -> _Softmax:
    _require_int8(model, op, op.inputs[0], "the softmax input")
    _require_int8(model, op, op.outputs[0], "the softmax output")
    p = softmax_op_params(model, op)
    if p.input_left_shift < 0:
        raise _unsupported(op, "the softmax input scale is too small")
    return _Softmax(
        name=name,
        size=size,
        multiplier=p.input_multiplier,
        left_shift=p.input_left_shift,
        diff_min=p.diff_min,
    )


def _last_step_slice(model: Model, op: Operator, shape: tuple[int, ...]) -> bool:
    """Does this STRIDED_SLICE pick exactly the last time step of a [1, T, H] sequence?"""
    from_tensors = [model.tensor(i).data for i in op.inputs[1:4]]
    if any(d is None for d in from_tensors) or len(shape) != 3:
        return False
    begin, end, strides = (np.asarray(d).reshape(-1).tolist() for d in from_tensors)
    index = np.arange(int(np.prod(shape))).reshape(shape)
    slices = []
    opts = op.options
    for axis in range(3):
        b = None if (opts.get("beginMask", 0) >> axis) & 1 else begin[axis]
        e = None if (opts.get("endMask", 0) >> axis) & 1 else end[axis]
        s = strides[axis]
        if (opts.get("shrinkAxisMask", 0) >> axis) & 1:
            slices.append(b if b is not None else 0)
        else:
            slices.append(slice(b, e, s))
    if opts.get("ellipsisMask", 0) or opts.get("newAxisMask", 0):
        return False
    picked = index[tuple(slices)].reshape(-1)
    return bool(np.array_equal(picked, index[:, -1, :].reshape(-1)))


def plan(model: Model, weight_storage: str = "int8") -> _Plan:
    """Check that the graph is LSTM* -> (last step) -> FC/SOFTMAX*, and compute constants.

    ``weight_storage`` "int16" stores the LSTM weights sign-extended (faster on cores with
    the DSP extension, twice the LSTM weight flash); the values and results are the same.
    """
    if weight_storage not in WEIGHT_STORAGE:
        raise ValueError(f"weight_storage must be one of {WEIGHT_STORAGE}, not {weight_storage!r}")
    x = model.input
    if x.dtype != "int8" or x.quant is None:
        raise UnsupportedModelError(
            f"the model input is {x.dtype}; the native runtime needs an int8 input, {_TFLM_HINT}"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModelError(
            f"the model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            f"the native runtime handles one of each, {_TFLM_HINT}"
        )
    if len(x.shape) != 3 or x.shape[0] != 1:
        raise UnsupportedModelError(
            f"the model input has shape {list(x.shape)}; the native runtime needs [1, T, F], "
            f"{_TFLM_HINT}"
        )
    timesteps, features = int(x.shape[1]), int(x.shape[2])
    current = model.inputs[0]
    sequence = True  # does `current` hold the whole sequence (vs one vector)?
    width = features
    lstms: list[_Lstm | _Gru] = []
    head: list[_Fc | _Softmax] = []
    for op in model.operators:
        if current not in op.inputs[:1]:
            raise _unsupported(op, "the graph is not a single chain of operators")
        name = f"el_l{op.index}"
        part = OPS[op.opcode].native if op.opcode in OPS else None
        if part is None:
            raise _unsupported(
                op, f"this operator (the native runtime runs {', '.join(NATIVE_OPS)})"
            )
        if part == "lstm":
            if head or not sequence:
                raise _unsupported(op, "an LSTM after a non-LSTM layer")
            layer = _lstm(model, op, name, 8 if weight_storage == "int8" else 16)
            if layer.input_size != width:
                raise _unsupported(op, f"LSTM input width {layer.input_size} != {width}")
            lstms.append(layer)
            width = layer.hidden
        elif part == "gru":
            if head or not sequence:
                raise _unsupported(op, "a GRU / SimpleRNN after a non-recurrent layer")
            gru = _Gru(name, recurrent_params(model, op))
            if gru.input_size != width:
                raise _unsupported(op, f"input width {gru.input_size} != {width}")
            lstms.append(gru)
            width = gru.hidden
            sequence = gru.params.return_sequences
        elif part == "last_step":
            if not sequence or head or not lstms:
                raise _unsupported(op, "a slice other than the last LSTM step")
            if not _last_step_slice(model, op, model.tensor(op.inputs[0]).shape):
                raise _unsupported(op, "a slice other than the last time step")
            sequence = False
        elif part == "view":
            src, dst = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
            if src.nbytes != dst.nbytes:
                raise _unsupported(op, "a reshape that changes the size")
            if sequence and timesteps > 1 and int(np.prod(dst.shape)) != timesteps * width:
                raise _unsupported(op, "a reshape that mixes time steps")
        elif part == "fully_connected":
            if not lstms:
                raise _unsupported(op, "a fully connected layer before the LSTM")
            if sequence and not op.options.get("keepNumDims", False) and timesteps > 1:
                raise _unsupported(op, "a fully connected layer over flattened time steps")
            layer_fc = _fully_connected(model, op, name, width)
            head.append(layer_fc)
            width = layer_fc.output_size
        elif part != "softmax":
            raise _unsupported(op, "an operator of a whole-sequence graph")
        else:
            if not lstms:
                raise _unsupported(op, "a softmax before the LSTM")
            head.append(_softmax(model, op, name, width))
        current = op.outputs[0]
    if current != model.outputs[0]:
        raise UnsupportedModelError(
            f"the model output is not the end of the operator chain; {_TFLM_HINT}"
        )
    if not lstms:
        raise UnsupportedModelError(f"the model has no LSTM layer; {_TFLM_HINT}")
    out = model.output
    if out.dtype != "int8" or out.quant is None:
        raise UnsupportedModelError(
            f"the model output is {out.dtype}; the native runtime needs int8, {_TFLM_HINT}"
        )
    sequence_output = sequence and timesteps > 1
    step_bytes = width
    expected = width * (timesteps if sequence_output else 1)
    if int(np.prod(out.shape)) != expected:
        raise UnsupportedModelError(
            f"the model output has shape {list(out.shape)}, expected {expected} values; "
            f"{_TFLM_HINT}"
        )
    return _Plan(timesteps, features, lstms, head, sequence_output, step_bytes, x, out)


# --- C emission: data only (the control flow is runtime/el_net.c) ------------------------------


def _requant(pair: tuple[int, int]) -> dict[str, Initializer]:
    return {"multiplier": pair[0], "shift": pair[1]}


def _short(pair: tuple[int, int]) -> dict[str, Initializer]:
    """An el_short_rq (see el_mbqm_short()) from a (multiplier, shift) with shift <= 0."""
    m, shift = pair
    right = -shift
    return {
        "multiplier": m,
        "half": (1 << (right - 1)) if right else 0,
        "right": right,
        "round_neg": int(right > 0),
    }


def _gate_shifts(layer: _Lstm) -> str:
    """Which requantization block of the kernel the layer's gate sides take (el_lstm_rq_form)."""
    shifts = [sh for _, sh in layer.input_rq + layer.recurrent_rq]
    return "left" if max(shifts) > 0 else ("none" if max(shifts) == 0 else "right")


def _gate_short(pair: tuple[int, int]) -> dict[str, Initializer]:
    """An el_gate_rq: a right shift as in _short(), or a left shift with nothing to round."""
    m, shift = pair
    if shift > 0:
        return {"left": shift, "multiplier": m, "half": 0, "right": 0, "round_neg": 0}
    return {"left": 0} | _short(pair)


def short_rq_fields(layer: _Lstm) -> dict[str, Initializer]:
    """The layer's el_lstm_short_rq: the short requantization forms' constants.

    Its scalar count is also the struct's size in words (the flash figure), which the
    generated C checks against sizeof.
    """
    fc_shift, ig_shift = layer.forget_cell_rq[1], layer.input_gate_rq[1]
    clip = layer.cell_clip
    lo, hi = (-clip, clip) if clip >= 0 else (-32768, 32767)
    return {
        "gate": [
            [_gate_short(x), _gate_short(h)]
            for x, h in zip(layer.input_rq, layer.recurrent_rq, strict=True)
        ],
        "kept_add": (1 << -fc_shift) + 1,
        "kept_s1": 1 - fc_shift,
        "added_add": (1 << -ig_shift) + 1,
        "added_s1": 1 - ig_shift,
        "cell_lo": lo,
        "cell_hi": hi,
        "tanh_multiplier": layer.tanh_mult,
        "tanh_round": (1 << (layer.tanh_shift - 1)) if layer.tanh_shift > 0 else 0,
        "tanh_shift": layer.tanh_shift,
        "hidden": _short(layer.hidden_rq),
        "hidden_zero_point": layer.hidden_zp,
        "saturate": 1 - layer.gates_in_range,
    }


def _lstm_fields(layer: _Lstm) -> dict[str, Initializer]:
    n = layer.name
    return {
        "input_size": layer.input_size,
        "hidden_size": layer.hidden,
        "weights": f"{n}_weights",
        "bias": f"{n}_bias",
        "input_rq": [_requant(r) for r in layer.input_rq],
        "recurrent_rq": [_requant(r) for r in layer.recurrent_rq],
        "forget_cell_rq": _requant(layer.forget_cell_rq),
        "input_gate_rq": _requant(layer.input_gate_rq),
        "hidden_rq": _requant(layer.hidden_rq),
        "hidden_zero_point": layer.hidden_zp,
        "cell_tanh_multiplier": layer.tanh_mult,
        "cell_tanh_shift": layer.tanh_shift,
        "cell_clip": layer.cell_clip,
        "shift_only": layer.shift_only,
        "gates_in_range": layer.gates_in_range,
        "weight_bits": layer.weight_bits,
        "short_rq": f"&{n}_short_rq" if layer.shift_only else "0",
    }


def _words(n: int) -> int:
    return (n + 3) // 4


@dataclass
class _Emitted:
    """The generated sources, and the arrays whose sizeof the memory figures must equal."""

    weights_c: list[str] = field(default_factory=list)
    weights_h: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    flash: list[str] = field(default_factory=list)  # counted in EL_MODEL_WEIGHT_BYTES
    state: list[str] = field(default_factory=list)  # counted in EL_MODEL_STATE_BYTES

    def array(self, ctype: str, name: str, values: list[int], what: str) -> None:
        self.weights_c.append(f"/* {what} */\n")
        self.weights_c.append(const_array(ctype, name, values, 8, static=False))
        self.weights_h.append(f"extern const {ctype} {name}[{array_length(values)}];\n")
        self.flash.append(name)

    def struct(self, ctype: str, name: str, fields: dict[str, Initializer]) -> None:
        self.params.append(f"static const {ctype} {name} = {initializer(fields)};\n")


def _table_row(layer: _Lstm | _Gru) -> dict[str, Initializer]:
    """The layer's el_net_lstm entry."""
    n = layer.name
    if isinstance(layer, _Gru):
        output = f"{n}_out" if layer.requantized_output else f"{n}_h"
        return {"params": "0", "hidden": f"{n}_h", "cell": "0", "gru": f"&{n}_params",
                "gru_kernels": "&el_net_gru_s8", "output": output}  # fmt: skip
    return {"params": f"&{n}_params", "hidden": f"{n}_h", "cell": f"{n}_c", "gru": "0",
            "gru_kernels": "0", "output": f"{n}_h"}  # fmt: skip


def _emit_gru(e: _Emitted, layer: _Gru) -> int:
    """A GRU / SimpleRNN's arrays, params and state; returns its flash bytes."""
    n, p = layer.name, layer.params
    kind = "GRU" if p.kind == "gru" else "SimpleRNN"
    w_x = gru_packed_weights(p.w_x, p.gates, p.hidden)
    w_h = gru_packed_weights(p.w_h, p.gates, p.hidden)
    e.array("int32_t", f"{n}_w_x", w_x, f"{kind} input weights, packed (el_gru_s8.h)")
    e.array("int32_t", f"{n}_w_h", w_h, f"{kind} recurrent weights, packed (el_gru_s8.h)")
    e.array("int32_t", f"{n}_input_bias", p.input_bias.tolist(), "b_x - zp_x * row sums")
    e.array("int32_t", f"{n}_recurrent_bias", p.recurrent_bias.tolist(), "b_h - zp_h * row sums")
    rows = p.gates * p.hidden
    for side in ("input", "recurrent"):
        pairs = zip(getattr(p, f"{side}_multiplier"), getattr(p, f"{side}_shift"), strict=True)
        rq = initializer([_requant((int(m), int(sh))) for m, sh in pairs])
        e.params.append(f"static const el_requant {n}_{side}_rq[{rows}] = {rq};\n")
        e.flash.append(f"{n}_{side}_rq")
    fields: dict[str, Initializer] = {
        "kind": "EL_GRU_KIND_GRU" if p.kind == "gru" else "EL_GRU_KIND_SIMPLE_RNN",
        "reset_after": int(p.reset_after),
        "input_size": p.input_size,
        "hidden_size": p.hidden,
        "w_x": f"{n}_w_x",
        "w_h": f"{n}_w_h",
        "input_bias": f"{n}_input_bias",
        "recurrent_bias": f"{n}_recurrent_bias",
        "input_rq": f"{n}_input_rq",
        "recurrent_rq": f"{n}_recurrent_rq",
        "candidate_shift": p.candidate_shift,
        "hidden_rq": _requant((p.hidden_multiplier, p.hidden_shift)),
        "hidden_zero_point": p.hidden_zero_point,
        "output_rq": _requant((p.output_multiplier, p.output_shift)),
        "output_zero_point": p.output_zero_point,
        "short_rq": gru_short_rq(p),
    }
    e.params.append(f"/* {kind} {p.input_size} -> {p.hidden} */\n")
    e.struct("el_gru_s8_params", f"{n}_params", fields)
    e.params.append(f"static int8_t {n}_h[{p.hidden}];\n")
    e.state.append(f"{n}_h")
    if layer.requantized_output:
        e.params.append(f"static int8_t {n}_out[{p.hidden}];\n")
        e.state.append(f"{n}_out")
    e.params.append("\n")
    return 4 * (len(w_x) + len(w_h) + p.input_bias.size + p.recurrent_bias.size) + 16 * rows


def _emit_lstm(e: _Emitted, layer: _Lstm) -> tuple[int, dict[str, Any]]:
    """An LSTM's weights, biases, params and state (h, c); its flash bytes and its entry of the
    export's layer list. The streaming table and the whole-sequence graph emit it alike."""
    n = layer.name
    w_words = layer.hidden * 4 * (_words(layer.input_size) + _words(layer.hidden))
    w_words = w_words * layer.weight_bits // 8
    e.array(
        "int32_t",
        f"{n}_weights",
        layer.weights.tolist(),
        f"LSTM {layer.input_size} -> {layer.hidden}: per unit, gates i f g o interleaved "
        "per 4 columns, input part then recurrent part"
        + (", int16 pairs" if layer.weight_bits == 16 else ""),
    )
    e.array(
        "int32_t",
        f"{n}_bias",
        layer.bias.reshape(-1).tolist(),
        "per unit: input bias - zp_x * row sum for i f g o, then -zp_h * row sum"
        + (", times 2 (short requantization forms)" if layer.shift_only else ""),
    )
    e.params.append(f"/* LSTM {layer.input_size} -> {layer.hidden} */\n")
    e.params.append(
        f"EL_NET_STATIC_ASSERT(sizeof({n}_weights) == {w_words}u * 4u, {n}_weights_size);\n"
    )
    lw = 4 * (layer.weights.size + layer.bias.size)
    if layer.shift_only:
        short = short_rq_fields(layer)
        e.params.append("/* the short requantization forms' constants */\n")
        e.struct("el_lstm_short_rq", f"{n}_short_rq", short)
        e.params.append(
            f"EL_NET_STATIC_ASSERT(sizeof({n}_short_rq) == {scalar_count(short)}u * 4u, "
            f"{n}_short_rq_size);\n"
        )
        e.flash.append(f"{n}_short_rq")
        lw += 4 * scalar_count(short)
    e.struct("el_lstm_s8_params", f"{n}_params", _lstm_fields(layer))
    e.params.append(
        f"static int8_t {n}_h[{layer.hidden}];\nstatic int16_t {n}_c[{layer.hidden}];\n\n"
    )
    e.state += [f"{n}_h", f"{n}_c"]
    return lw, (
        {
            "op": "lstm",
            "input": layer.input_size,
            "hidden": layer.hidden,
            "flash_bytes": lw,
            "weight_bits": layer.weight_bits,
            # short: the fast requantization forms (and, on DSP cores, the units routine);
            # general: MultiplyByQuantizedMultiplier in C (an accumulator bound too large for
            # the short forms)
            "requantization": "short" if layer.shift_only else "general",
            # the gate sides' shifts: "right" (all right shifts), "none" (some side without a
            # shift), "left" (some side with a left shift); each is a units-routine block
            "gate_shifts": _gate_shifts(layer),
            "gates_in_range": bool(layer.gates_in_range),
            "state_bytes": 3 * layer.hidden,
            "macs_per_step": layer.macs,
        }
    )


def _emit_fc(e: _Emitted, op: _Fc) -> tuple[int, dict[str, Any]]:
    """A FULLY_CONNECTED layer's packed weights, biases and params; its flash bytes and its
    entry of the export's layer list."""
    n = op.name
    e.array(
        "int32_t",
        f"{n}_weights",
        op.weights.tolist(),
        f"FULLY_CONNECTED {op.input_size} -> {op.output_size}: packed rows",
    )
    e.array("int32_t", f"{n}_bias", op.bias.tolist(), "bias - zp_x * row sum")
    e.params.append(f"/* FULLY_CONNECTED {op.input_size} -> {op.output_size} */\n")
    e.params.append(
        f"EL_NET_STATIC_ASSERT(sizeof({n}_weights) == "
        f"{op.output_size * _words(op.input_size)}u * 4u, {n}_weights_size);\n"
    )
    rq = initializer([_requant(r) for r in op.rq])
    e.params.append(f"static const el_requant {n}_rq[{op.output_size}] = {rq};\n")
    e.flash.append(f"{n}_rq")
    fields: dict[str, Initializer] = {
        "input_size": op.input_size,
        "output_size": op.output_size,
        "weights": f"{n}_weights",
        "bias": f"{n}_bias",
        "rq": f"{n}_rq",
        "output_zero_point": op.output_zp,
        "activation_min": op.act_min,
        "activation_max": op.act_max,
    }
    e.struct("el_fully_connected_s8_params", f"{n}_params", fields)
    e.params.append("\n")
    fw = 4 * (op.weights.size + op.bias.size) + 4 * scalar_count([_requant(r) for r in op.rq])
    return fw, (
        {
            "op": "fully_connected",
            "input": op.input_size,
            "output": op.output_size,
            "flash_bytes": fw,
            "macs": op.macs,
        }
    )


def _emit_softmax(e: _Emitted, op: _Softmax) -> dict[str, Any]:
    """A SOFTMAX's params; its entry of the export's layer list."""
    n = op.name
    e.params.append(f"/* SOFTMAX over {op.size} */\n")
    fields = {
        "size": op.size,
        "input_multiplier": op.multiplier,
        "input_left_shift": op.left_shift,
        "diff_min": op.diff_min,
    }
    e.struct("el_softmax_s8_params", f"{n}_params", fields)
    e.params.append("\n")
    return {"op": "softmax", "size": op.size}


def generate(model: Model, out_dir: str | Path, weight_storage: str = "int8") -> NativeExport:
    """Write the model's data into out_dir/model and copy the engine to out_dir/runtime.

    model/: model_weights.c/.h (packed weights and biases), model.c (the kernels' parameter
    structs, the state buffers and the layer table el_model_net), model_config.h (the
    EL_MODEL_* figures), and the static API headers el_model.h and model.h.
    """
    try:
        p: _Plan | None = plan(model, weight_storage)
    except UnsupportedModelError as streaming_refusal:
        # not a recurrent stack with a per-step head: the whole-sequence graph, or the
        # streaming refusal when the graph cannot run the model either
        p = None
        try:
            gp = plan_graph(model, weight_storage)
        except UnsupportedModelError as graph_refusal:
            raise graph_refusal from streaming_refusal
    out_dir = Path(out_dir)
    model_dir = out_dir / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "runtime").mkdir(parents=True, exist_ok=True)
    copied = []
    for name in runtime_files():
        dst = out_dir / "runtime" / name
        shutil.copyfile(include_dir() / name, dst)
        copied.append(dst)
    copy_api(model_dir)
    if p is None:
        return _generate_graph(model, gp, model_dir, copied, weight_storage)

    head_widths = [op.output_size for op in p.head]
    act_bytes = max(head_widths[:-1], default=0)  # intermediate head activations
    scratch_words = max(
        [layer.scratch_words for layer in p.lstms] + [op.scratch_words for op in p.head] + [1]
    )
    seq_bytes = p.timesteps * p.step_output_bytes if p.sequence_output else 0
    state_bytes = (
        sum(layer.state_bytes if isinstance(layer, _Gru) else layer.hidden * 3 for layer in p.lstms)
        + seq_bytes
    )
    scratch_bytes = 4 * scratch_words + 2 * act_bytes
    output_bytes = p.step_output_bytes * (p.timesteps if p.sequence_output else 1)
    macs = p.timesteps * sum(layer.macs for layer in p.lstms) + (
        p.timesteps if p.sequence_output else 1
    ) * sum(op.macs for op in p.head)

    e = _Emitted()
    weights_bytes = 0
    layer_info: list[dict[str, Any]] = []
    for layer in p.lstms:
        n = layer.name
        if isinstance(layer, _Gru):
            lw = _emit_gru(e, layer)
            weights_bytes += lw
            layer_info.append(
                {
                    "op": layer.params.kind,
                    "input": layer.input_size,
                    "hidden": layer.hidden,
                    "flash_bytes": lw,
                    "state_bytes": layer.state_bytes,
                    "macs_per_step": layer.macs,
                }
            )
            continue
        lw, info = _emit_lstm(e, layer)
        weights_bytes += lw
        layer_info.append(info)
    ops: list[dict[str, Initializer]] = []
    for op in p.head:
        n = op.name
        if isinstance(op, _Fc):
            fw, info = _emit_fc(e, op)
            weights_bytes += fw
            ops.append(
                {"kind": "EL_NET_FULLY_CONNECTED", "params": {"fully_connected": f"&{n}_params"}}
            )
            layer_info.append(info)
        else:
            ops.append({"kind": "EL_NET_SOFTMAX", "params": {"softmax": f"&{n}_params"}})
            layer_info.append(_emit_softmax(e, op))

    buffers = [f"/* shared scratch: the largest kernel buffer ({scratch_words} words) */\n"]
    buffers.append(f"static int32_t el_scratch[{scratch_words}];\n")
    scratch = ["el_scratch"]
    if act_bytes:
        buffers.append(f"static int8_t el_act[2][{act_bytes}];\n")
        scratch.append("el_act")
    if p.sequence_output:
        buffers.append(f"static int8_t el_seq_out[{output_bytes}];\n")
        e.state.append("el_seq_out")
    buffers.append("static el_net_state el_net_run_state;\n\n")

    lstm_rows = [_table_row(layer) for layer in p.lstms]
    table = [
        "/* the layer table that el_net.c walks */\n",
        f"static const el_net_lstm el_net_lstm_layers[{len(p.lstms)}] = "
        f"{initializer(list(lstm_rows))};\n",
    ]
    if ops:
        table.append(
            f"static const el_net_op el_net_head_ops[{len(ops)}] = {initializer(list(ops))};\n"
        )
    net: dict[str, Initializer] = {
        "timesteps": "EL_MODEL_TIMESTEPS",
        "features": "EL_MODEL_FEATURES",
        "lstm_count": len(p.lstms),
        "lstm": "el_net_lstm_layers",
        "op_count": len(ops),
        "ops": "el_net_head_ops" if ops else "0",
        "step_output_bytes": "EL_MODEL_STEP_OUTPUT_BYTES",
        "sequence_output": "EL_MODEL_SEQUENCE_OUTPUT",
        "sequence": "el_seq_out" if p.sequence_output else "0",
        "scratch": "el_scratch",
        "scratch_bytes": "(int32_t)sizeof(el_scratch)",
        "activations": "&el_act[0][0]" if act_bytes else "0",
        "activation_bytes": act_bytes,
        "state": "&el_net_run_state",
    }
    table.append(f"const el_net el_model_net = {initializer(net)};\n\n")

    def sizes(names: list[str]) -> str:
        return "\n    + ".join(f"sizeof({name})" for name in names) if names else "0"

    checks = [
        "/* the figures of model_config.h, as C counts them */\n",
        f"EL_NET_STATIC_ASSERT(EL_MODEL_INPUT_BYTES == {p.timesteps * p.features}, "
        "el_model_input_bytes);\n",
        f"EL_NET_STATIC_ASSERT(EL_MODEL_OUTPUT_BYTES == {output_bytes}, el_model_output_bytes);\n",
    ]
    for figure, names in (("WEIGHT", e.flash), ("STATE", e.state), ("SCRATCH", scratch)):
        checks.append(
            f"EL_NET_STATIC_ASSERT(EL_MODEL_{figure}_BYTES ==\n    {sizes(names)},\n    "
            f"el_model_{figure.lower()}_bytes);\n"
        )

    sha = model.sha256
    weights_guard = include_guard("el_model_weights_h")
    weights_h = [
        banner("model_weights.h", sha, "the model's constant arrays (flash)"),
        weights_guard[0],
        "\n#include <stdint.h>\n\n",
        *e.weights_h,
        "\n",
        weights_guard[1],
    ]
    weights_c = [
        banner("model_weights.c", sha, "the model's constant arrays (flash)"),
        '#include "model_weights.h"\n\n',
        *e.weights_c,
    ]
    model_c = [
        banner("model.c", sha, "the model's parameters, state and layer table (native engine)"),
        '#include "el_net.h"\n#include "model_config.h"\n#include "model_weights.h"\n\n',
        *e.params,
        *buffers,
        *table,
        *checks,
    ]
    config = model_config_header(
        ModelFigures(
            sha256=sha,
            runtime="native",
            timesteps=p.timesteps,
            features=p.features,
            output_bytes=output_bytes,
            step_output_bytes=p.step_output_bytes,
            sequence_output=p.sequence_output,
            input_scale=p.input.scale,
            input_zero_point=p.input.zero_point,
            output_scale=p.output.scale,
            output_zero_point=p.output.zero_point,
        ),
        "the figures of the model (native engine)",
        [
            f"#define EL_MODEL_LSTM_LAYERS {len(p.lstms)}",
            f"#define EL_MODEL_MACS {macs}u /* per inference, padded to groups of 4 */",
            "/* flash of the weights, biases and requantization tables */",
            f"#define EL_MODEL_WEIGHT_BYTES {weights_bytes}u",
            "/* h and c of every layer (+ the sequence output) */",
            f"#define EL_MODEL_STATE_BYTES {state_bytes}u",
            "/* the shared kernel scratch and the head's intermediate activations */",
            f"#define EL_MODEL_SCRATCH_BYTES {scratch_bytes}u",
            "#define EL_MODEL_RAM_BYTES (EL_MODEL_STATE_BYTES + EL_MODEL_SCRATCH_BYTES)",
        ],
    )
    written = {
        "model_weights.h": "".join(weights_h),
        "model_weights.c": "".join(weights_c),
        "model.c": "".join(model_c),
        "model_config.h": config,
    }
    for name, text in written.items():
        (model_dir / name).write_text(text)
    return NativeExport(
        model_c=model_dir / "model.c",
        model_h=model_dir / "model_config.h",
        runtime_files=copied,
        weights_bytes=weights_bytes,
        state_bytes=state_bytes,
        scratch_bytes=scratch_bytes,
        macs=macs,
        layers=layer_info,
        weight_storage=weight_storage,
    )


# --- whole-sequence graphs (runtime/el_graph.c) ---------------------------------------------
#
# A model that is not an LSTM/GRU stack with a per-step head (a Bidirectional LSTM, a Conv1D
# front end, global pooling, element-wise layers) runs as a table of operators over one int8
# arena: each operator reads and writes whole tensors at arena offsets planned here.

ARENA_ALIGN = 4  # bytes: every arena tensor starts on a word


@dataclass
class _GraphOp:
    """One row of the operator table: what el_graph.c calls and what the generator emits."""

    name: str
    kind: str  # the el_graph_op_kind suffix (EL_GRAPH_<kind>)
    kernel: str  # the el_graph_kernel it points to
    params_ctype: str  # the params struct the row's params pointer points to
    fields: dict[str, Initializer]
    inputs: list[int]  # tensor indices read from the arena (1 or 2)
    output: int  # tensor index written
    const2: str | None = None  # a constant second input (flash array name)
    arrays: list[NativeArray] = field(default_factory=list)
    scratch_bytes: int = 0
    macs: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    lstm: _Lstm | None = None  # an EL_GRAPH_LSTM row's layer (emitted by _emit_lstm)
    rows_of: _Fc | _Softmax | None = None  # a row-wise kernel's layer


@dataclass
class _GraphPlan:
    timesteps: int
    features: int
    ops: list[_GraphOp]
    input: Tensor
    output: Tensor
    buffers: dict[int, int]  # tensor index -> arena offset (views resolved)
    arena_bytes: int
    output_offset: int
    output_bytes: int
    views: dict[int, tuple[int, int]] = field(default_factory=dict)  # tensor -> (holder, offset)


def _elements(t: Tensor) -> int:
    return int(np.prod(t.shape)) if t.shape else 1


def _trailing_period(model: Model, op: Operator, index: int, size: int) -> int:
    """How many values an element-wise input repeats over the output: all of them, or a
    trailing block ([1, 1, F] over [1, T, F]); other broadcasts are refused."""
    t = model.tensor(index)
    n = _elements(t)
    if n == size:
        return n
    shape = [int(d) for d in t.shape]
    out = [int(d) for d in model.tensor(op.outputs[0]).shape]
    shape = [1] * (len(out) - len(shape)) + shape
    k = len(shape)
    while k > 0 and shape[k - 1] == out[k - 1]:
        k -= 1
    if any(d != 1 for d in shape[:k]) or size % n:
        raise _unsupported(op, f"a broadcast of shape {list(t.shape)} over {out}")
    return n


def _binary_inputs(
    model: Model, op: Operator, name: str
) -> tuple[list[int], str | None, list[NativeArray]]:
    """The arena inputs of ADD/SUB/MUL and, for a constant operand, its flash array."""
    a, b = op.inputs[0], op.inputs[1]
    const_a, const_b = model.tensor(a).data is not None, model.tensor(b).data is not None
    if const_a and const_b:
        raise _unsupported(op, "both inputs are constants")
    if const_a:
        raise _unsupported(op, "a constant first input")
    if const_b:
        values = np.asarray(model.tensor(b).data).astype(np.int8).reshape(-1).tolist()
        from firmware_gen.native_ops import NativeArray

        array = NativeArray("int8_t", f"{name}_const", values, f"{op.opcode} constant operand")
        return [a], array.name, [array]
    return [a, b], None, []


def _graph_simple_op(model: Model, op: Operator, name: str) -> _GraphOp:
    """The row of one of the simple kernels (el_elementwise_s8.h), its constants from
    quantize/op_params.py (the derivation the numpy reference uses)."""
    from quantize.op_params import (
        add_sub_params,
        constant,
        logistic_tanh_params,
        mul_params,
        requantize_params,
        same_quantization,
    )

    y = model.tensor(op.outputs[0])
    size = _elements(y)
    x = model.tensor(op.inputs[0])
    if op.opcode == "REVERSE_V2":
        axes = constant(model, op.inputs[1], op).astype(np.int64).reshape(-1).tolist()
        rank = len(x.shape)
        if len(axes) != 1:
            raise _unsupported(op, "a reverse over several axes")
        axis = int(axes[0]) % rank  # bytes moved as they are: TFLM checks no scale here
        fields: dict[str, Initializer] = {
            "outer": int(np.prod(x.shape[:axis])),
            "axis": int(x.shape[axis]),
            "inner": int(np.prod(x.shape[axis + 1 :])),
        }
        return _GraphOp(
            name,
            "REVERSE",
            "el_graph_reverse_kernel",
            "el_reverse_s8_params",
            fields,
            [op.inputs[0]],
            op.outputs[0],
        )
    if op.opcode == "CONCATENATION":
        if len(op.inputs) != 2:
            raise _unsupported(op, f"a concatenation of {len(op.inputs)} inputs (2 are supported)")
        if int(op.options.get("fusedActivationFunction", 0)):
            raise _unsupported(op, "a concatenation with a fused activation")
        if any(model.tensor(i).data is not None for i in op.inputs):
            raise _unsupported(op, "a concatenation of a constant")
        same_quantization(model, op, tuple(op.inputs))
        rank = len(y.shape)
        axis = int(op.options.get("axis", 0)) % rank
        outer = int(np.prod(y.shape[:axis]))
        inner = [_elements(model.tensor(i)) // outer for i in op.inputs]
        fields = {"outer": outer, "inner1": inner[0], "inner2": inner[1]}
        return _GraphOp(
            name,
            "CONCATENATION",
            "el_graph_concatenation_kernel",
            "el_concatenation_s8_params",
            fields,
            list(op.inputs),
            op.outputs[0],
        )
    if op.opcode in ("ADD", "SUB"):
        p = add_sub_params(model, op)
        inputs, const2, arrays = _binary_inputs(model, op, name)
        fields = {
            "size": size,
            "period1": _trailing_period(model, op, op.inputs[0], size),
            "period2": _trailing_period(model, op, op.inputs[1], size),
            "subtract": int(op.opcode == "SUB"),
            "left_shift": 20,
            "input1_offset": p.input1_offset,
            "input2_offset": p.input2_offset,
            "input1_rq": _requant((p.input1_multiplier, p.input1_shift)),
            "input2_rq": _requant((p.input2_multiplier, p.input2_shift)),
            "output_rq": _requant((p.output_multiplier, p.output_shift)),
            "output_offset": p.output_offset,
            "activation_min": p.activation_min,
            "activation_max": p.activation_max,
        }
        return _GraphOp(
            name,
            "ADD",
            "el_graph_add_kernel",
            "el_add_s8_params",
            fields,
            inputs,
            op.outputs[0],
            const2,
            arrays,
        )
    if op.opcode == "MUL":
        pm = mul_params(model, op)
        inputs, const2, arrays = _binary_inputs(model, op, name)
        fields = {
            "size": size,
            "period1": _trailing_period(model, op, op.inputs[0], size),
            "period2": _trailing_period(model, op, op.inputs[1], size),
            "input1_offset": -pm.input1_zero_point,
            "input2_offset": -pm.input2_zero_point,
            "output_rq": _requant((pm.multiplier, pm.shift)),
            "output_offset": pm.output_zero_point,
            "activation_min": pm.activation_min,
            "activation_max": pm.activation_max,
        }
        return _GraphOp(
            name,
            "MUL",
            "el_graph_mul_kernel",
            "el_mul_s8_params",
            fields,
            inputs,
            op.outputs[0],
            const2,
            arrays,
            macs=0,  # an elementwise product, not a matrix one (as inspect counts)
        )
    if op.opcode in ("LOGISTIC", "TANH"):
        pl = logistic_tanh_params(model, op)
        fields = {
            "size": size,
            "input_zero_point": pl.input_zero_point,
            "input_multiplier": pl.input_multiplier,
            "input_left_shift": pl.input_left_shift,
            "input_range_radius": pl.input_range_radius,
        }
        kind = op.opcode if op.opcode == "TANH" else "LOGISTIC"
        return _GraphOp(
            name,
            kind,
            f"el_graph_{kind.lower()}_kernel",
            "el_logistic_tanh_s8_params",
            fields,
            [op.inputs[0]],
            op.outputs[0],
        )
    if op.opcode == "QUANTIZE":
        if x.dtype != "int8" or y.dtype != "int8":
            raise _unsupported(op, f"a QUANTIZE from {x.dtype} to {y.dtype} (int8 -> int8 only)")
        pr = requantize_params(model, op)
        fields = {
            "size": size,
            "input_offset": -pr.input_zero_point,
            "rq": _requant((pr.multiplier, pr.shift)),
            "output_offset": pr.output_zero_point,
            "activation_min": pr.activation_min,
            "activation_max": pr.activation_max,
        }
        return _GraphOp(
            name,
            "REQUANTIZE",
            "el_graph_requantize_kernel",
            "el_requantize_s8_params",
            fields,
            [op.inputs[0]],
            op.outputs[0],
        )
    raise _unsupported(op, "this operator")


_NATIVE_OPS_KINDS = ("CONV", "DEPTHWISE_CONV", "MAX_POOL", "AVG_POOL", "MEAN", "REDUCE_MAX")


def _heavy_op(model: Model, op: Operator, name: str) -> _GraphOp:
    """A convolution, pooling or reduction row: its kernel data from native_ops.native_op()."""
    from firmware_gen.native_ops import native_op

    n = native_op(model, op, name)
    short = n.kernel.removeprefix("el_").removesuffix("_s8")
    return _GraphOp(
        name,
        short.upper(),
        f"el_graph_{short}_kernel",
        n.params_ctype,
        dict(n.fields),
        [op.inputs[0]],
        op.outputs[0],
        arrays=list(n.arrays),
        scratch_bytes=int(n.scratch_bytes),
        macs=int(n.macs),
    )


def _lstm_consumers(model: Model, tensor: int) -> list[Operator]:
    return [op for op in model.operators if tensor in op.inputs]


def plan_graph(model: Model, weight_storage: str = "int8") -> _GraphPlan:
    """The whole-sequence plan: an operator table in the model's order, and an arena holding
    every activation tensor at an offset no tensor alive at the same time overlaps."""
    x = model.input
    if x.dtype != "int8" or x.quant is None or len(x.shape) != 3 or x.shape[0] != 1:
        raise UnsupportedModelError(
            f"the model input is {x.dtype} {list(x.shape)}; the native runtime needs int8 "
            f"[1, T, F], {_TFLM_HINT}"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModelError(
            f"the model has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            f"the native runtime handles one of each, {_TFLM_HINT}"
        )
    out = model.output
    if out.dtype != "int8" or out.quant is None:
        raise UnsupportedModelError(
            f"the model output is {out.dtype}; the native runtime needs int8, {_TFLM_HINT}"
        )
    timesteps, features = int(x.shape[1]), int(x.shape[2])
    bits = 8 if weight_storage == "int8" else 16
    view: dict[int, tuple[int, int]] = {}  # tensor -> (tensor holding its bytes, byte offset)
    last_only: set[int] = set()  # LSTM outputs of which only the last step is kept

    def base(t: int) -> tuple[int, int]:
        return view.get(t, (t, 0))

    ops: list[_GraphOp] = []
    for op in model.operators:
        name = f"el_l{op.index}"
        part = OPS[op.opcode].native if op.opcode in OPS else None
        if part is None:
            raise _unsupported(
                op, f"this operator (the native runtime runs {', '.join(NATIVE_OPS)})"
            )
        if part == "view":
            src, dst = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
            if src.nbytes != dst.nbytes:
                raise _unsupported(op, "a reshape that changes the size")
            view[op.outputs[0]] = base(op.inputs[0])
            continue
        if part == "last_step":
            src = model.tensor(op.inputs[0])
            if not _last_step_slice(model, op, src.shape):
                raise _unsupported(op, "a slice other than the last time step")
            holder, offset = base(op.inputs[0])
            producer = next((g for g in ops if g.output == holder), None)
            only_use = len(_lstm_consumers(model, op.inputs[0])) == 1 and holder == op.inputs[0]
            if producer is not None and producer.lstm is not None and only_use and offset == 0:
                # the LSTM keeps its last h only: no [T][H] buffer at all
                last_only.add(holder)
                producer.fields["return_sequences"] = 0
                view[op.outputs[0]] = (holder, 0)
            else:
                step = model.tensor(op.outputs[0]).nbytes
                view[op.outputs[0]] = (holder, offset + src.nbytes - step)
            continue
        if any(model.tensor(i).dtype != "int8" for i in op.outputs):
            raise _unsupported(op, "an output that is not int8")
        if part == "lstm":
            layer = _lstm(model, op, name, bits)
            src = model.tensor(op.inputs[0])
            steps = _elements(src) // layer.input_size  # a strided front end shortens T
            if steps * layer.input_size != _elements(src) or len(src.shape) != 3:
                raise _unsupported(op, f"an LSTM over {list(src.shape)}")
            fields: dict[str, Initializer] = {
                "params": f"&{name}_params",
                "hidden": f"{name}_h",
                "cell": f"{name}_c",
                "timesteps": steps,
                "return_sequences": 1,
            }
            g = _GraphOp(
                name,
                "LSTM",
                "el_graph_lstm_kernel",
                "el_graph_lstm_params",
                fields,
                [op.inputs[0]],
                op.outputs[0],
                lstm=layer,
                scratch_bytes=4 * layer.scratch_words,
                macs=steps * layer.macs,
            )
        elif part == "gru":
            raise _unsupported(op, "a GRU / SimpleRNN inside a whole-sequence graph")
        elif part in ("fully_connected", "softmax"):
            src = model.tensor(op.inputs[0])
            if part == "fully_connected":
                width = int(model.tensor(op.inputs[1]).shape[-1])
                layer_fc = _fully_connected(model, op, name, width)
                rows_of: _Fc | _Softmax = layer_fc
                out_w = layer_fc.output_size
                kernel, scratch, macs = "fully_connected", 4 * layer_fc.scratch_words, layer_fc.macs
            else:
                width = int(src.shape[-1])
                rows_of = _softmax(model, op, name, width)
                out_w, kernel, scratch, macs = width, "softmax", 0, 0
            rows = _elements(src) // width
            fields = {
                "params": f"&{name}_params",
                "rows": rows,
                "input_size": width,
                "output_size": out_w,
            }
            g = _GraphOp(
                name,
                kernel.upper(),
                f"el_graph_{kernel}_kernel",
                "el_graph_rows_params",
                fields,
                [op.inputs[0]],
                op.outputs[0],
                rows_of=rows_of,
                scratch_bytes=scratch,
                macs=rows * macs,
            )
        elif part == "simple":
            g = _graph_simple_op(model, op, name)
        else:  # "native_ops": a convolution, pooling or reduction kernel
            g = _heavy_op(model, op, name)
        for i in g.inputs + [g.output]:
            if model.tensor(i).dtype != "int8" or model.tensor(i).quant is None:
                raise _unsupported(op, f"tensor {model.tensor(i).name} is not quantized int8")
        ops.append(g)
    if not any(g.lstm is not None for g in ops):
        raise UnsupportedModelError(f"the model has no LSTM layer; {_TFLM_HINT}")

    # Lifetimes over the op order: the input from before the first op, the output to the end.
    first: dict[int, int] = {base(model.inputs[0])[0]: -1}
    last: dict[int, int] = {}
    for k, g in enumerate(ops):
        for i in g.inputs:
            holder = base(i)[0]
            if holder not in first:
                raise _unsupported(model.operators[0], f"tensor {i} is read before it is written")
            last[holder] = k
        holder = base(g.output)[0]
        first.setdefault(holder, k)
        last[holder] = max(last.get(holder, k), k)
    out_holder, out_offset = base(model.outputs[0])
    if out_holder not in first:
        raise UnsupportedModelError(f"the model output is not computed by the graph; {_TFLM_HINT}")
    last[out_holder] = len(ops)

    def size_of(t: int) -> int:
        if t in last_only:
            return next(g.lstm.hidden for g in ops if g.output == t and g.lstm is not None)
        return model.tensor(t).nbytes

    offsets: dict[int, int] = {}
    placed: list[tuple[int, int, int, int]] = []  # offset, end, first, last
    for t in sorted(first, key=lambda t: (-size_of(t), first[t])):
        lo, hi, size = first[t], last.get(t, first[t]), size_of(t)
        alive = [(o, e_) for o, e_, f_, l_ in placed if f_ <= hi and lo <= l_]
        candidates = sorted({0, *(-(-e_ // ARENA_ALIGN) * ARENA_ALIGN for _, e_ in alive)})
        offset = next(c for c in candidates if all(c + size <= o or e_ <= c for o, e_ in alive))
        offsets[t] = offset
        placed.append((offset, offset + size, lo, hi))
    arena_bytes = max((e_ for _, e_, _, _ in placed), default=0)
    arena_bytes = -(-arena_bytes // ARENA_ALIGN) * ARENA_ALIGN

    buffers = {t: offsets[h] + o for t, (h, o) in view.items() if h in offsets}
    buffers.update(offsets)
    return _GraphPlan(
        timesteps=timesteps,
        features=features,
        ops=ops,
        input=x,
        output=out,
        buffers=buffers,
        arena_bytes=arena_bytes,
        output_offset=offsets[out_holder] + out_offset,
        output_bytes=out.nbytes,
        views=dict(view),
    )


GRAPH_RUNTIME_NOTE = "a whole-sequence graph: step() buffers x_t, output() runs the model"


def _generate_graph(
    model: Model, gp: _GraphPlan, model_dir: Path, copied: list[Path], weight_storage: str
) -> NativeExport:
    """model.c / model_weights.c / model_config.h of a whole-sequence graph (el_graph.h)."""
    e = _Emitted()
    weights_bytes = 0
    layer_info: list[dict[str, Any]] = []
    rows: list[dict[str, Initializer]] = []
    for g in gp.ops:
        n = g.name
        if g.lstm is not None:
            lw, info = _emit_lstm(e, g.lstm)
            info["return_sequences"] = bool(g.fields["return_sequences"])
            info["macs"] = g.macs
        elif isinstance(g.rows_of, _Fc):
            lw, info = _emit_fc(e, g.rows_of)
            info["rows"] = g.fields["rows"]
            info["macs"] = g.macs
        elif isinstance(g.rows_of, _Softmax):
            lw, info = 0, _emit_softmax(e, g.rows_of)
            info["rows"] = g.fields["rows"]
        else:
            lw = 0
            for a in g.arrays:
                if a.ctype == "el_requant":
                    e.params.append(a.definition(static=True))
                    e.flash.append(a.name)
                else:
                    e.array(a.ctype, a.name, [int(v) for v in a.values], a.comment)  # type: ignore[arg-type]
                lw += a.nbytes
            info = {
                "op": g.kind.lower(),
                "kernel": g.params_ctype.removesuffix("_params"),
                "flash_bytes": lw,
                "macs": g.macs,
            }
        weights_bytes += lw
        info["arena_in"] = [gp.buffers[i] for i in g.inputs]
        info["arena_out"] = gp.buffers[g.output]
        layer_info.append(info)
        e.params.append(f"/* {g.kind} (el_graph.h row) */\n")
        e.struct(g.params_ctype, f"{n}_graph", g.fields)
        e.params.append("\n")
        rows.append(
            {
                "kind": f"EL_GRAPH_{g.kind}",
                "kernel": f"&{g.kernel}",
                "params": f"&{n}_graph",
                "in1": gp.buffers[g.inputs[0]],
                "in2": gp.buffers[g.inputs[1]] if len(g.inputs) > 1 else -1,
                "const2": g.const2 or "0",
                "out": gp.buffers[g.output],
            }
        )
    scratch_bytes_need = max([g.scratch_bytes for g in gp.ops] + [4])
    scratch_words = -(-scratch_bytes_need // 4)
    arena_words = max(gp.arena_bytes // 4, 1)
    state_bytes = sum(3 * g.lstm.hidden for g in gp.ops if g.lstm is not None)
    scratch_bytes = 4 * scratch_words + 4 * arena_words
    macs = sum(g.macs for g in gp.ops)
    buffers = [
        f"/* shared kernel scratch: the largest kernel buffer ({scratch_words} words) */\n",
        f"static int32_t el_scratch[{scratch_words}];\n",
        f"/* the activation arena: every tensor at its planned offset ({gp.arena_bytes} B) */\n",
        f"static int32_t el_arena[{arena_words}];\n",
        "static el_graph_state el_graph_run_state;\n\n",
    ]
    table = [
        "/* the operator table that el_graph.c walks, in execution order */\n",
        f"static const el_graph_op el_graph_ops[{len(rows)}] = {initializer(list(rows))};\n",
    ]
    graph: dict[str, Initializer] = {
        "timesteps": "EL_MODEL_TIMESTEPS",
        "features": "EL_MODEL_FEATURES",
        "op_count": len(rows),
        "ops": "el_graph_ops",
        "arena": "(int8_t *)el_arena",
        "arena_bytes": "(int32_t)sizeof(el_arena)",
        "input": gp.buffers[model.inputs[0]],
        "output": gp.output_offset,
        "output_bytes": "EL_MODEL_OUTPUT_BYTES",
        "scratch": "el_scratch",
        "scratch_bytes": "(int32_t)sizeof(el_scratch)",
        "state": "&el_graph_run_state",
    }
    table.append(f"const el_graph el_model_graph = {initializer(graph)};\n\n")

    def sizes(names: list[str]) -> str:
        return "\n    + ".join(f"sizeof({name})" for name in names) if names else "0"

    checks = [
        "/* the figures of model_config.h, as C counts them */\n",
        f"EL_NET_STATIC_ASSERT(EL_MODEL_INPUT_BYTES == {gp.timesteps * gp.features}, "
        "el_model_input_bytes);\n",
        f"EL_NET_STATIC_ASSERT(EL_MODEL_OUTPUT_BYTES == {gp.output_bytes}, "
        "el_model_output_bytes);\n",
        "EL_NET_STATIC_ASSERT(EL_MODEL_ARENA_BYTES == sizeof(el_arena), el_model_arena_bytes);\n",
        f"EL_NET_STATIC_ASSERT({gp.output_offset} + EL_MODEL_OUTPUT_BYTES <= "
        "EL_MODEL_ARENA_BYTES, el_model_output_in_arena);\n",
    ]
    for figure, names in (
        ("WEIGHT", e.flash),
        ("STATE", e.state),
        ("SCRATCH", ["el_scratch", "el_arena"]),
    ):
        checks.append(
            f"EL_NET_STATIC_ASSERT(EL_MODEL_{figure}_BYTES ==\n    {sizes(names)},\n    "
            f"el_model_{figure.lower()}_bytes);\n"
        )
    sha = model.sha256
    weights_guard = include_guard("el_model_weights_h")
    weights_h = [
        banner("model_weights.h", sha, "the model's constant arrays (flash)"),
        weights_guard[0],
        "\n#include <stdint.h>\n\n",
        *e.weights_h,
        "\n",
        weights_guard[1],
    ]
    weights_c = [
        banner("model_weights.c", sha, "the model's constant arrays (flash)"),
        '#include "model_weights.h"\n\n',
        *e.weights_c,
    ]
    includes = ['#include "el_net.h"\n#include "el_graph.h"\n#include "el_elementwise_s8.h"\n']
    includes += [f'#include "{h}"\n' for h in sorted(_graph_headers(gp))]
    model_c = [
        banner("model.c", sha, "the model's parameters, arena and operator table (native engine)"),
        *includes,
        '#include "model_config.h"\n#include "model_weights.h"\n\n',
        *e.params,
        *buffers,
        *table,
        *checks,
    ]
    config = model_config_header(
        ModelFigures(
            sha256=sha,
            runtime="native",
            timesteps=gp.timesteps,
            features=gp.features,
            output_bytes=gp.output_bytes,
            step_output_bytes=gp.output_bytes,
            sequence_output=False,
            input_scale=gp.input.scale,
            input_zero_point=gp.input.zero_point,
            output_scale=gp.output.scale,
            output_zero_point=gp.output.zero_point,
        ),
        "the figures of the model (native engine, whole-sequence graph)",
        [
            "/* a whole-sequence graph (el_graph.h): el_model_step() buffers the steps and",
            " * el_model_output() runs the model once all EL_MODEL_TIMESTEPS are in (-3 before) */",
            "#define EL_MODEL_WHOLE_SEQUENCE 1",
            f"#define EL_MODEL_LSTM_LAYERS {sum(g.lstm is not None for g in gp.ops)}",
            f"#define EL_MODEL_MACS {macs}u /* per inference, padded to groups of 4 */",
            "/* flash of the weights, biases and requantization tables */",
            f"#define EL_MODEL_WEIGHT_BYTES {weights_bytes}u",
            "/* h and c of every LSTM layer */",
            f"#define EL_MODEL_STATE_BYTES {state_bytes}u",
            "/* the activation arena of the operator table (inside the scratch figure) */",
            f"#define EL_MODEL_ARENA_BYTES {4 * arena_words}u",
            "/* the shared kernel scratch and the activation arena */",
            f"#define EL_MODEL_SCRATCH_BYTES {scratch_bytes}u",
            "#define EL_MODEL_RAM_BYTES (EL_MODEL_STATE_BYTES + EL_MODEL_SCRATCH_BYTES)",
        ],
    )
    written = {
        "model_weights.h": "".join(weights_h),
        "model_weights.c": "".join(weights_c),
        "model.c": "".join(model_c),
        "model_config.h": config,
    }
    for name, text in written.items():
        (model_dir / name).write_text(text)
    return NativeExport(
        model_c=model_dir / "model.c",
        model_h=model_dir / "model_config.h",
        runtime_files=copied,
        weights_bytes=weights_bytes,
        state_bytes=state_bytes,
        scratch_bytes=scratch_bytes,
        macs=macs,
        layers=layer_info,
        weight_storage=weight_storage,
        execution="whole_sequence",
        arena_bytes=4 * arena_words,
    )


def _graph_headers(gp: _GraphPlan) -> set[str]:
    """The kernel headers of the native_ops rows (their params structs)."""
    return {
        f"{g.params_ctype.removesuffix('_params')}.h" for g in gp.ops if g.kind in _NATIVE_OPS_KINDS
    }
