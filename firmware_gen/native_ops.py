"""The native engine's front-end and pooling ops: one IR operator -> the data its C kernel takes.

For CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN and REDUCE_MAX,
``native_op()`` returns a ``NativeOp``: which kernel of firmware_gen/runtime runs it
(``el_conv_s8``, ...), the designated-initializer fields of its ``*_params`` struct, the const
arrays those fields point to (packed weights, biases, per-channel requantizations), its scratch
bytes (what the kernel's ``*_buffer_size()`` returns for these params, computed the same way
here so the generator can size one shared scratch and check it), its MACs and its tensor shapes.

Every constant comes from quantize.op_params, the module the numpy reference takes them from, so
the reference and the C kernels can only differ in how they loop, never in a constant. Anything a
kernel does not handle raises UnsupportedModelError naming the operator and what it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from firmware_gen.cgen import Initializer, array_length, const_array, initializer
from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator, Tensor
from quantize.op_params import (
    conv_params,
    mean_params,
    pool_params,
    reduce_axes,
    same_quantization,
)

_TFLM_HINT = "export it with `--runtime tflm` instead"

#: The rank the reduction kernels take (el_mean_s8_params.dims, el_reduce_max_s8_params.dims).
REDUCE_RANK = 4


@dataclass(frozen=True)
class NativeArray:
    """One const array a params struct points to (flash on an MCU)."""

    ctype: str  # "int32_t", "int8_t" or "el_requant"
    name: str  # the C symbol, prefixed by the op's name
    values: list[Initializer]  # ints, or {"multiplier", "shift"} dicts for el_requant
    comment: str  # what the array is, for the generated file

    @property
    def nbytes(self) -> int:
        """sizeof the array in C (every element type here has no padding)."""
        size = {"int8_t": 1, "int16_t": 2, "int32_t": 4, "el_requant": 8}[self.ctype]
        return size * array_length(self.values)

    def definition(self, *, static: bool = True) -> str:
        """The C definition, preceded by its comment."""
        head = f"/* {self.comment} */\n"
        if self.ctype == "el_requant":
            storage = "static const" if static else "const"
            body = initializer(list(self.values))
            return (
                f"{head}{storage} el_requant {self.name}[{array_length(self.values)}] = {body};\n"
            )
        ints = [int(v) for v in self.values]  # type: ignore[arg-type]
        return head + const_array(self.ctype, self.name, ints, 12, static=static)

    def declaration(self) -> str:
        """The extern declaration of a non-static definition."""
        return f"extern const {self.ctype} {self.name}[{array_length(self.values)}];\n"


@dataclass(frozen=True)
class NativeOp:
    """What the generator writes for one operator run by a native kernel."""

    kernel: str  # the C function, e.g. "el_conv_s8" (header "el_conv_s8.h")
    params_ctype: str  # e.g. "el_conv_s8_params"
    fields: dict[str, Initializer]  # designated initializers; arrays by their C names
    arrays: list[NativeArray]
    scratch_bytes: int  # equals the kernel's *_buffer_size() for these params
    macs: int  # multiply-accumulates per inference (0 for pooling and reductions)
    input_shape: tuple[int, ...]  # the IR shapes (batch 1 included)
    output_shape: tuple[int, ...]

    @property
    def header(self) -> str:
        return f"{self.kernel}.h"

    @property
    def input_bytes(self) -> int:
        return int(np.prod(self.input_shape, dtype=np.int64))

    @property
    def output_bytes(self) -> int:
        return int(np.prod(self.output_shape, dtype=np.int64))

    @property
    def flash_bytes(self) -> int:
        """The const arrays' bytes (the params struct itself is 4 bytes per scalar field)."""
        return sum(a.nbytes for a in self.arrays)

    def params_definition(self, name: str) -> str:
        """``static const <params_ctype> <name> = {...};`` with every field named."""
        return f"static const {self.params_ctype} {name} = {initializer(self.fields)};\n"


def _unsupported(op: Operator, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"operator {op.index} ({op.opcode}): {why}; the native runtime does not support it, "
        f"{_TFLM_HINT}"
    )


def _nhwc(model: Model, op: Operator, index: int, what: str) -> tuple[int, int, int]:
    """(H, W, C) of a batch-1 NHWC tensor; the kernels have no batch loop."""
    shape = model.tensor(index).shape
    if len(shape) != 4 or shape[0] != 1:
        raise _unsupported(op, f"the {what} has shape {list(shape)}, not [1, H, W, C]")
    return int(shape[1]), int(shape[2]), int(shape[3])


def _requants(multiplier: np.ndarray, shift: np.ndarray) -> list[Initializer]:
    return [
        {"multiplier": int(m), "shift": int(s)}
        for m, s in zip(multiplier.tolist(), shift.tolist(), strict=True)
    ]


def _bias(model: Model, op: Operator, channels: int, bias: np.ndarray) -> list[Initializer]:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        dtype = model.tensor(op.inputs[2]).dtype
        if dtype != "int32":
            raise _unsupported(op, f"the bias is {dtype}, not int32")
    if bias.size != channels:
        raise _unsupported(op, f"the bias has {bias.size} values for {channels} channels")
    return [int(v) for v in bias.tolist()]


def _shapes(model: Model, op: Operator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return tuple(model.tensor(op.inputs[0]).shape), tuple(model.tensor(op.outputs[0]).shape)


def conv_buffer_size(filter_h: int, filter_w: int, filter_c: int) -> int:
    """el_conv_s8_buffer_size(): one position's taps as int16 pairs, 2 ceil(K/4) words."""
    k = filter_h * filter_w * filter_c
    return 2 * ((k + 3) // 4) * 4


def _conv(model: Model, op: Operator, name: str) -> NativeOp:
    # the fully connected rows' packing (imported here: firmware_gen.native imports this module)
    from firmware_gen.native import pack_rows

    p = conv_params(model, op)
    in_h, in_w, in_c = _nhwc(model, op, op.inputs[0], "input")
    out_h, out_w, out_c = _nhwc(model, op, op.outputs[0], "output")
    out_ch, kh, kw, filter_c = (int(d) for d in p.weights.shape)
    if out_ch != out_c:
        raise _unsupported(op, f"{out_ch} filters for {out_c} output channels")
    groups = in_c // filter_c
    if out_c % groups:
        raise _unsupported(op, f"{out_c} output channels do not split into {groups} groups")
    k = kh * kw * filter_c
    words = pack_rows(p.weights.reshape(out_c, k))
    arrays = [
        NativeArray(
            "int32_t",
            f"{name}_weights",
            [int(v) for v in words.reshape(-1).tolist()],
            f"CONV_2D {kh}x{kw}x{filter_c} -> {out_c}: weights [O][ceil(K/4)], (ky, kx, c) "
            "order, packed (w0, w2, w1, w3)",
        ),
        NativeArray("int32_t", f"{name}_bias", _bias(model, op, out_c, p.bias), "bias [O]"),
        NativeArray(
            "el_requant", f"{name}_rq", _requants(p.multiplier, p.shift), "per-channel requant"
        ),
    ]
    fields: dict[str, Initializer] = {
        "input_h": in_h,
        "input_w": in_w,
        "input_c": in_c,
        "output_h": out_h,
        "output_w": out_w,
        "output_c": out_c,
        "filter_h": kh,
        "filter_w": kw,
        "filter_c": filter_c,
        "stride_h": p.stride[0],
        "stride_w": p.stride[1],
        "dilation_h": p.dilation[0],
        "dilation_w": p.dilation[1],
        "pad_h": p.padding[0],
        "pad_w": p.padding[1],
        "input_zero_point": p.input_zero_point,
        "output_zero_point": p.output_zero_point,
        "activation_min": p.activation_min,
        "activation_max": p.activation_max,
        "weights": f"{name}_weights",
        "bias": f"{name}_bias",
        "rq": f"{name}_rq",
    }
    return NativeOp(
        kernel="el_conv_s8",
        params_ctype="el_conv_s8_params",
        fields=fields,
        arrays=arrays,
        scratch_bytes=conv_buffer_size(kh, kw, filter_c),
        macs=out_h * out_w * out_c * k,
        input_shape=(1, in_h, in_w, in_c),
        output_shape=(1, out_h, out_w, out_c),
    )


def _depthwise_conv(model: Model, op: Operator, name: str) -> NativeOp:
    p = conv_params(model, op)
    in_h, in_w, in_c = _nhwc(model, op, op.inputs[0], "input")
    out_h, out_w, out_c = _nhwc(model, op, op.outputs[0], "output")
    one, kh, kw, w_c = (int(d) for d in p.weights.shape)
    multiplier = p.depth_multiplier
    if one != 1 or w_c != out_c or multiplier < 1 or in_c * multiplier != out_c:
        raise _unsupported(
            op,
            f"filter {list(p.weights.shape)} does not map {in_c} input channels to {out_c} "
            "output channels by a depth multiplier",
        )
    arrays = [
        NativeArray(
            "int8_t",
            f"{name}_weights",
            [int(v) for v in p.weights.reshape(-1).tolist()],
            f"DEPTHWISE_CONV_2D {kh}x{kw}, {in_c} x {multiplier} channels: weights [KH][KW][O]",
        ),
        NativeArray("int32_t", f"{name}_bias", _bias(model, op, out_c, p.bias), "bias [O]"),
        NativeArray(
            "el_requant", f"{name}_rq", _requants(p.multiplier, p.shift), "per-channel requant"
        ),
    ]
    fields: dict[str, Initializer] = {
        "input_h": in_h,
        "input_w": in_w,
        "input_c": in_c,
        "output_h": out_h,
        "output_w": out_w,
        "output_c": out_c,
        "depth_multiplier": multiplier,
        "filter_h": kh,
        "filter_w": kw,
        "stride_h": p.stride[0],
        "stride_w": p.stride[1],
        "dilation_h": p.dilation[0],
        "dilation_w": p.dilation[1],
        "pad_h": p.padding[0],
        "pad_w": p.padding[1],
        "input_zero_point": p.input_zero_point,
        "output_zero_point": p.output_zero_point,
        "activation_min": p.activation_min,
        "activation_max": p.activation_max,
        "weights": f"{name}_weights",
        "bias": f"{name}_bias",
        "rq": f"{name}_rq",
    }
    return NativeOp(
        kernel="el_depthwise_conv_s8",
        params_ctype="el_depthwise_conv_s8_params",
        fields=fields,
        arrays=arrays,
        scratch_bytes=4 * out_c,  # el_depthwise_conv_s8_buffer_size(): the accumulators
        macs=out_h * out_w * out_c * kh * kw,
        input_shape=(1, in_h, in_w, in_c),
        output_shape=(1, out_h, out_w, out_c),
    )


def _pool(kernel: str) -> Callable[[Model, Operator, str], NativeOp]:
    def make(model: Model, op: Operator, name: str) -> NativeOp:
        p = pool_params(model, op)
        in_h, in_w, in_c = _nhwc(model, op, op.inputs[0], "input")
        out_h, out_w, out_c = _nhwc(model, op, op.outputs[0], "output")
        if out_c != in_c or (out_h, out_w) != p.output_hw:
            raise _unsupported(
                op, "the output shape does not follow from the input, filter and options"
            )
        fields: dict[str, Initializer] = {
            "input_h": in_h,
            "input_w": in_w,
            "channels": in_c,
            "output_h": out_h,
            "output_w": out_w,
            "filter_h": p.filter[0],
            "filter_w": p.filter[1],
            "stride_h": p.stride[0],
            "stride_w": p.stride[1],
            "pad_h": p.padding[0],
            "pad_w": p.padding[1],
            "activation_min": p.activation_min,
            "activation_max": p.activation_max,
        }
        return NativeOp(
            kernel=kernel,
            params_ctype=f"{kernel}_params",
            fields=fields,
            arrays=[],
            # el_avg_pool_s8_buffer_size(): one int32 sum per channel; max pool: none
            scratch_bytes=4 * in_c if kernel == "el_avg_pool_s8" else 0,
            macs=0,
            input_shape=(1, in_h, in_w, in_c),
            output_shape=(1, out_h, out_w, out_c),
        )

    return make


def _reduce_shape(
    model: Model, op: Operator, axes: tuple[int, ...]
) -> tuple[list[Initializer], list[Initializer]]:
    """The input shape padded on the left to REDUCE_RANK axes, and the reduced-axis flags."""
    x: Tensor = model.tensor(op.inputs[0])
    rank = len(x.shape)
    if rank > REDUCE_RANK:
        raise _unsupported(op, f"the input has rank {rank}, more than {REDUCE_RANK}")
    if not axes or any(a < 0 or a >= rank for a in axes):
        raise _unsupported(op, f"axes {list(axes)} for an input of rank {rank}")
    pad = REDUCE_RANK - rank
    dims: list[Initializer] = [1] * pad + [int(d) for d in x.shape]
    reduce: list[Initializer] = [0] * REDUCE_RANK
    for a in axes:
        reduce[a + pad] = 1
    kept = int(np.prod([d for d, r in zip(dims, reduce, strict=True) if not r], dtype=np.int64))
    if kept != int(np.prod(model.tensor(op.outputs[0]).shape, dtype=np.int64)):
        raise _unsupported(op, "the output size does not follow from the input and axes")
    return dims, reduce


def _mean(model: Model, op: Operator, name: str) -> NativeOp:
    p = mean_params(model, op)
    dims, reduce = _reduce_shape(model, op, p.axes)
    fields: dict[str, Initializer] = {
        "dims": dims,
        "reduce": reduce,
        "count": p.count,
        "input_zero_point": p.input_zero_point,
        "output_zero_point": p.output_zero_point,
        "rq": {"multiplier": p.multiplier, "shift": p.shift},
    }
    shape_in, shape_out = _shapes(model, op)
    return NativeOp("el_mean_s8", "el_mean_s8_params", fields, [], 0, 0, shape_in, shape_out)


def _reduce_max(model: Model, op: Operator, name: str) -> NativeOp:
    same_quantization(model, op, (op.inputs[0],))
    dims, reduce = _reduce_shape(model, op, reduce_axes(model, op))
    fields: dict[str, Initializer] = {"dims": dims, "reduce": reduce}
    shape_in, shape_out = _shapes(model, op)
    return NativeOp(
        "el_reduce_max_s8", "el_reduce_max_s8_params", fields, [], 0, 0, shape_in, shape_out
    )


_BUILDERS: dict[str, Callable[[Model, Operator, str], NativeOp]] = {
    "CONV_2D": _conv,
    "DEPTHWISE_CONV_2D": _depthwise_conv,
    "MAX_POOL_2D": _pool("el_max_pool_s8"),
    "AVERAGE_POOL_2D": _pool("el_avg_pool_s8"),
    "MEAN": _mean,
    "REDUCE_MAX": _reduce_max,
}

#: The opcodes native_op() turns into kernel data.
NATIVE_OPCODES = tuple(_BUILDERS)

#: The kernel sources in firmware_gen/runtime, one per op (each with its header).
KERNEL_FILES = tuple(
    f"{k}.{ext}"
    for k in (
        "el_conv_s8",
        "el_depthwise_conv_s8",
        "el_max_pool_s8",
        "el_avg_pool_s8",
        "el_mean_s8",
        "el_reduce_max_s8",
    )
    for ext in ("c", "h")
)


def native_op(model: Model, op: Operator, name: str) -> NativeOp:
    """The kernel data of ``op``; C symbols are prefixed by ``name`` (``el_l3_weights``).

    Raises UnsupportedModelError naming the operator and what its kernel does not handle
    (another opcode, non-int8 tensors, a batch other than 1, a rank above 4, ...).
    """
    build = _BUILDERS.get(op.opcode)
    if build is None:
        raise _unsupported(
            op, f"no native kernel for this op here (these have one: {', '.join(_BUILDERS)})"
        )
    try:
        return build(model, op, name)
    except UnsupportedModelError as err:
        text = str(err)
        if _TFLM_HINT in text:
            raise
        raise _unsupported(op, text) from err
