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
from typing import Any

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

RUNTIME_FILES = (
    "el_nn_types.h",
    "el_nnfunctions.h",
    "el_fixedpoint.h",
    "el_sigmoid_tanh.h",
    "el_sigmoid_tanh.c",
    "el_lstm_s8.c",
    "el_fully_connected_s8.c",
    "el_softmax_s8.c",
    "el_gru_s8.h",
    "el_gru_s8.c",
    "el_net.h",
    "el_net.c",
    "el_net_gru.c",
    "el_model.c",
)

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
    shift_only = int(
        all(b < 2**30 for b in bounds)
        and all(-31 <= sh <= 0 for _, sh in input_rq + recurrent_rq)
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
        else:  # softmax
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
            [_short(x), _short(h)] for x, h in zip(layer.input_rq, layer.recurrent_rq, strict=True)
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
            # general: MultiplyByQuantizedMultiplier in C (a left shift or a huge bound)
            "requantization": "short" if layer.shift_only else "general",
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
    p = plan(model, weight_storage)
    out_dir = Path(out_dir)
    model_dir = out_dir / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "runtime").mkdir(parents=True, exist_ok=True)
    copied = []
    for name in RUNTIME_FILES:
        dst = out_dir / "runtime" / name
        shutil.copyfile(include_dir() / name, dst)
        copied.append(dst)
    copy_api(model_dir)

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
