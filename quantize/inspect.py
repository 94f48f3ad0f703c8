"""What a converted .tflite model is and costs: ops, tensors, parameters, MACs, arena sizes.

One summary feeds both `edge-lstm inspect` (a table for people, JSON for tools) and the
generators that need the same figures, so that a report and a firmware never disagree about
the size of an arena or the cost of an inference.
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantize import arena
from quantize.ir import Model, Operator, Tensor
from quantize.lstm_params import (
    LSTM_BIASES,
    LSTM_HIDDEN_STATE,
    LSTM_INPUT_WEIGHTS,
    LSTM_RECURRENT_WEIGHTS,
)
from quantize.ops import CUSTOM_RECURRENT_OPS
from quantize.tflite_ir import read_model


def parameter_tensors(model: Model) -> list[Tensor]:
    """Constant tensors that are trained weights or biases, each once."""
    seen: dict[int, Tensor] = {}
    for op in model.operators:
        if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            slots: tuple[int, ...] = LSTM_INPUT_WEIGHTS + LSTM_RECURRENT_WEIGHTS + LSTM_BIASES
        elif op.opcode in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"):
            slots = (1, 2)
        elif op.opcode in CUSTOM_RECURRENT_OPS:  # W, U, input bias, recurrent bias
            slots = (1, 2, 3, 4)
        else:
            continue
        for slot in slots:
            if slot < len(op.inputs) and op.inputs[slot] >= 0:
                t = model.tensors[op.inputs[slot]]
                if t.data is not None:
                    seen[t.index] = t
    return [seen[k] for k in sorted(seen)]


def op_macs(model: Model, op: Operator) -> int:
    """Multiply-accumulates of one op per inference: the matrix products only.

    LSTM: every step multiplies four [H, I] input matrices and four [H, H] recurrent matrices,
    4*H*(I+H) per step, times T steps (the elementwise gate products are not counted).
    FULLY_CONNECTED: in*out per row, times the rows (T rows for a per-step head).
    CONV_2D / DEPTHWISE_CONV_2D (Conv1D front ends): the kernel window per output value.
    EL_GRU / EL_SIMPLE_RNN: G*H*(I+H) per step (G = 3 gates for a GRU, 1 for a SimpleRNN).
    """
    if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        x = model.tensors[op.inputs[0]]
        hidden = model.tensors[op.inputs[LSTM_HIDDEN_STATE]].shape[-1]
        features = x.shape[-1]
        time_major = bool(op.options.get("timeMajor", False))
        steps = x.shape[0] if time_major else x.shape[-2]
        batch = x.shape[1] if time_major else x.shape[0]
        return batch * steps * 4 * hidden * (features + hidden)
    if op.opcode == "FULLY_CONNECTED":
        weights = model.tensors[op.inputs[1]]
        out_features, in_features = weights.shape[0], weights.shape[-1]
        rows = math.prod(model.tensors[op.inputs[0]].shape) // in_features
        return rows * in_features * out_features
    if op.opcode in CUSTOM_RECURRENT_OPS:  # W [G*H, I] and U [G*H, H] at every step
        x = model.tensors[op.inputs[0]]
        rows, features = model.tensors[op.inputs[1]].shape
        hidden = model.tensors[op.inputs[2]].shape[-1]
        return x.shape[-2] * rows * (features + hidden)
    if op.opcode == "CONV_2D":  # weights [out_c, kh, kw, in_c]: a kernel window per output
        _, kh, kw, in_c = model.tensors[op.inputs[1]].shape
        return math.prod(model.tensors[op.outputs[0]].shape) * kh * kw * in_c
    if op.opcode == "DEPTHWISE_CONV_2D":  # weights [1, kh, kw, out_c]: one channel per output
        _, kh, kw, _ = model.tensors[op.inputs[1]].shape
        return math.prod(model.tensors[op.outputs[0]].shape) * kh * kw
    return 0


def tensor_summary(t: Tensor) -> dict[str, Any]:
    quant: dict[str, Any] = {"scale": None, "zero_point": None}
    if t.quant is not None:
        if t.quant.per_channel:
            quant = {
                "scale": [float(s) for s in t.quant.scale],
                "zero_point": [int(z) for z in t.quant.zero_point],
                "axis": t.quant.axis,
            }
        else:
            quant = {"scale": float(t.quant.scale[0]), "zero_point": int(t.quant.zero_point[0])}
    return {
        "index": t.index,
        "name": t.name,
        "dtype": t.dtype,
        "shape": list(t.shape),
        **quant,
        "constant": t.data is not None,
        "variable": t.is_variable,
        "bytes": t.nbytes,
    }


def io_summary(t: Tensor) -> dict[str, Any]:
    return {
        "shape": list(t.shape),
        "dtype": t.dtype,
        "scale": float(t.quant.scale[0]) if t.quant is not None else None,
        "zero_point": int(t.quant.zero_point[0]) if t.quant is not None else None,
    }


# ---------------------------------------------------------------------------------------------
# The host runtime's smallest arena. A too small arena can crash the TFLM Python runtime (a
# kernel's Prepare dereferences a failed temporary allocation), so every probe runs in a child
# process.

_PROBE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
it = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
detail = it.get_input_details(0)
x = (np.arange(int(np.prod(detail["shape"]))) % 251 - 125).astype(detail["dtype"])
it.set_input(x.reshape(detail["shape"]), 0)
it.invoke()
sys.stdout.write(np.asarray(it.get_output(0)).tobytes().hex())
"""


def host_probe(model_path: Path, arena_size: int) -> str | None:
    """Output of one inference with the host TFLM runtime at ``arena_size``, None on failure."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(model_path), str(arena_size)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout if result.returncode == 0 and result.stdout else None


@dataclass(frozen=True)
class HostMinimum:
    bytes: int
    probes: int
    predicted: int  # what the allocation replay said before measuring


def host_minimum(model_path: Path, model: Model) -> HostMinimum:
    """Bisect the smallest arena with which the host runtime allocates and runs the model.

    The allocation replay predicts the answer; the bracket [prediction - 1, prediction] is tried
    first and the search widens (doubling) only when the prediction is wrong, so a correct
    prediction costs two probes. The result is verified: an inference at the minimum gives the
    same output as one with a generous arena.
    """
    predicted = arena.host_replay_minimum(model)
    probes = 0

    def ok(size: int) -> bool:
        nonlocal probes
        probes += 1
        return host_probe(model_path, size) is not None

    step = 1
    low, high = predicted - 1, predicted
    while not ok(high):
        low, high = high, high + step
        step *= 2
    while low > 0 and ok(low):
        high, low = low, max(0, low - step)
        step *= 2
    while high - low > 1:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid
    at_minimum = host_probe(model_path, high)
    generous = host_probe(model_path, 4 * high + 65536)
    if at_minimum is None or at_minimum != generous:
        raise RuntimeError(
            f"the host TFLM runtime did not reproduce its output at the bisected arena of "
            f"{high} bytes"
        )
    return HostMinimum(bytes=high, probes=probes + 2, predicted=predicted)


# ---------------------------------------------------------------------------------------------


def arena_figures(model: Model, model_path: Path | None = None) -> dict[str, Any]:
    """All arena figures by kernel set, each with how it was obtained."""
    figures: dict[str, Any] = {}
    if model_path is not None:
        host = host_minimum(model_path, model)
        figures["host_min"] = {
            "bytes": host.bytes,
            "derivation": (
                "bisection over arena_size with the host TFLM runtime (tflite-micro wheel, "
                "64-bit pointers, recording allocator), each probe allocating and invoking in a "
                f"child process ({host.probes} probes); verified by an inference at the "
                f"minimum; the allocation replay predicted {host.predicted}"
            ),
            "margin": 0,
            "predicted": host.predicted,
        }
    for key, kernels in (("cortex_m_reference", "reference"), ("cortex_m_cmsis_nn", "cmsis-nn")):
        figures[key] = arena.cortex_m_figure(model, kernels).as_dict()  # type: ignore[arg-type]
    return figures


def summarize(
    model_path: str | Path, measure_host: bool = True, model: Model | None = None
) -> dict[str, Any]:
    """The whole summary as plain JSON-able data."""
    model_path = Path(model_path)
    if model is None:
        model = read_model(model_path)
    params = parameter_tensors(model)
    macs_by_op = [op_macs(model, op) for op in model.operators]
    versions: dict[str, int] = {}
    for op in model.operators:
        versions[op.opcode] = max(versions.get(op.opcode, 0), op.version)
    summary: dict[str, Any] = {
        "model": str(model_path),
        "sha256": model.sha256,
        "size_bytes": model.size_bytes,
        "ops": model.opcodes,
        "op_versions": versions,
        "operators": [
            {
                "index": op.index,
                "op": op.opcode,
                "version": op.version,
                "inputs": list(op.inputs),
                "outputs": list(op.outputs),
                "macs": macs,
            }
            for op, macs in zip(model.operators, macs_by_op, strict=True)
        ],
        "tensors": [tensor_summary(t) for t in model.tensors],
        "params": sum(math.prod(t.shape) for t in params),
        "weights_bytes": sum(t.nbytes for t in params),
        "macs": sum(macs_by_op),
        "input": io_summary(model.input),
        "output": io_summary(model.output),
    }
    try:
        arena.check_supported(model)
    except Exception as exc:  # an op outside the derivation: say so instead of guessing
        summary["arena_bytes"] = None
        summary["arena"] = {"error": str(exc)}
        return summary
    figures = arena_figures(model, model_path if measure_host else None)
    summary["arena_bytes"] = figures["cortex_m_reference"]["bytes"]
    summary["arena"] = figures
    return summary


def _fmt_quant(entry: dict[str, Any]) -> str:
    scale = entry["scale"]
    if scale is None:
        return "-"
    if isinstance(scale, list):
        return f"per-channel x{len(scale)} (axis {entry.get('axis', 0)})"
    return f"{scale:.6g} / {entry['zero_point']}"


def format_table(summary: dict[str, Any]) -> str:
    """The summary laid out for a terminal."""
    lines = [
        f"model     {summary['model']}",
        f"sha256    {summary['sha256']}",
        f"size      {summary['size_bytes']:,} B",
        f"input     {summary['input']['dtype']} {summary['input']['shape']}  "
        f"scale {summary['input']['scale']}  zero point {summary['input']['zero_point']}",
        f"output    {summary['output']['dtype']} {summary['output']['shape']}  "
        f"scale {summary['output']['scale']}  zero point {summary['output']['zero_point']}",
        f"params    {summary['params']:,} ({summary['weights_bytes']:,} B of weights and biases)",
        f"MACs      {summary['macs']:,} per inference",
        "",
        f"{'#':>3}  {'op':<30} {'v':>2}  {'MACs':>12}",
    ]
    for op in summary["operators"]:
        lines.append(f"{op['index']:>3}  {op['op']:<30} {op['version']:>2}  {op['macs']:>12,}")
    lines += ["", f"{'#':>3}  {'tensor':<40} {'dtype':<8} {'shape':<16} scale / zero point"]
    for t in summary["tensors"]:
        kind = " (state)" if t["variable"] else ""
        name = t["name"] if len(t["name"]) <= 40 else "..." + t["name"][-37:]
        lines.append(
            f"{t['index']:>3}  {name:<40} {t['dtype']:<8} {str(t['shape']):<16} "
            f"{_fmt_quant(t)}{kind}"
        )
    lines.append("")
    figures = summary["arena"]
    if "error" in figures:
        lines.append(f"arena     not derived: {figures['error']}")
        return "\n".join(lines)
    lines.append("TFLM tensor arena")
    labels = {
        "host_min": "host runtime, smallest working (64-bit)",
        "cortex_m_reference": "Cortex-M, reference kernels",
        "cortex_m_cmsis_nn": "Cortex-M, CMSIS-NN kernels",
    }
    for key, label in labels.items():
        if key in figures:
            fig = figures[key]
            extra = (
                f" (minimum {fig['minimum']:,} + margin {fig['margin']:,})"
                if "minimum" in fig
                else ""
            )
            lines.append(f"  {label:<42} {fig['bytes']:>8,} B{extra}")
    return "\n".join(lines)
