"""Reports of a validation or of a whole run: report.json, report.md and PNG plots.

report.json is for machines and keeps every figure; report.md is the page a person reads, with the
same numbers in a table and the plots beside it. Every file is replaced atomically, so that a
report folder never holds half a file, even when a run is interrupted while writing it.

Matplotlib is imported inside the plotting functions only: validation without a report never pays
for it. Figures are drawn on ``matplotlib.figure.Figure`` with the Agg canvas, never through
pyplot, so no display is needed and no global figure state is shared with the caller.

Each plot function returns the names of the series it drew (legend entries, or bar labels for
bar charts); they are read back from the figure itself and recorded under ``"plots"`` in
report.json, which says what a PNG shows without decoding it.
"""

from __future__ import annotations

import functools
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edge_lstm.data import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Every PNG a report may hold; plots that a new report does not draw are removed, so that a folder
# reused by another run never shows a plot of the previous model.
PLOT_FILES = (
    "outputs.png",
    "confusion.png",
    "activations.png",
    "memory.png",
    "stages.png",
)

# Scatter plots of more points than this are subsampled: the picture does not change, the time
# to draw and the file size do.
_MAX_SCATTER_POINTS = 20_000


# --- JSON ----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain JSON values; NaN and infinities become null so that strict parsers accept the file."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _write_json(path: Path, doc: Mapping[str, Any]) -> None:
    write_atomic(path, json.dumps(_jsonable(doc), indent=2, allow_nan=False) + "\n")


# --- text formatting -----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _int(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def _bytes(value: Any) -> str:
    return "-" if value is None else f"{int(value):,} B"


def _num(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):,.{digits}f}"


def _score_rows(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Accuracy for classifiers; mean absolute error when the targets are values, not labels."""
    rows = [
        ("float accuracy", _pct(doc.get("float_accuracy"))),
        ("int8 host accuracy", _pct(doc.get("int8_accuracy"))),
        ("device accuracy", _pct(doc.get("device_accuracy"))),
    ]
    for key, label in (("float_score", "float"), ("int8_score", "int8 host"),
                       ("device_score", "device")):  # fmt: skip
        mae = (doc.get(key) or {}).get("mae")
        if mae is not None:
            rows.append((f"{label} mean abs error", f"{mae:.4g}"))
    return rows


def _mismatch_text(doc: Mapping[str, Any]) -> str:
    samples = doc.get("mismatched_samples")
    bytes_ = doc.get("mismatched_bytes")
    total = doc.get("samples")
    text = f"{_int(samples)} / {_int(bytes_)}"
    return text if total is None else f"{text} (of {int(total):,} samples)"


def _cycle_unit(doc: Mapping[str, Any]) -> str:
    return str(doc.get("cycle_unit") or "cycles")


def _median_cycles(doc: Mapping[str, Any]) -> Any:
    return (doc.get("cycles") or {}).get("median")


def summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows shared by the printed table and report.md, so both say the same."""
    doc: Mapping[str, Any] = summary.get("validate") or {}
    memory: Mapping[str, Any] = summary.get("memory") or {}
    model: Mapping[str, Any] = summary.get("model") or {}
    unit = _cycle_unit(doc)
    median = _median_cycles(doc)
    macs = model.get("macs")

    rows = _score_rows(doc)
    rows.append(("mismatching samples / bytes", _mismatch_text(doc)))
    rows.append((f"{unit} per inference (median)", _int(median)))
    rows.append(("MACs per inference", _int(macs)))
    if macs:
        per_mac = None if median is None else float(median) / float(macs)
        rows.append((f"{unit} per MAC", _num(per_mac)))
    flash = _bytes(memory.get("flash_bytes"))
    if memory.get("weights_bytes") is not None and memory.get("flash_bytes") is not None:
        flash += f" (weights {_bytes(memory['weights_bytes'])})"
    rows.append(("flash", flash))
    ram = _bytes(memory.get("ram_bytes"))
    if memory.get("stack") is not None and memory.get("ram_bytes") is not None:
        ram += f" (with {_bytes(memory['stack'])} stack reserved)"
    rows.append(("RAM", ram))
    if memory.get("ram_used_bytes") and memory.get("stack_used_bytes"):
        rows.append(
            (
                "RAM used (data + bss + stack high-water)",
                f"{_bytes(memory['ram_used_bytes'])} (stack {_bytes(memory['stack_used_bytes'])})",
            )
        )
    if doc.get("ram_bytes") is not None:
        rows.append(("model RAM (state + scratch)", _bytes(doc.get("ram_bytes"))))
    stages = summary.get("stages") or []
    for stage in stages:
        rows.append((f"time: {stage.get('name', '?')}", f"{_num(stage.get('seconds'), 1)} s"))
    if stages:
        total = sum(float(s.get("seconds") or 0.0) for s in stages)
        rows.append(("time: total", f"{total:,.1f} s"))
    return rows


def _plain_table(rows: Sequence[tuple[str, str]]) -> str:
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(rows: Sequence[tuple[str, str]], header: tuple[str, str] = ("", "")) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---:|"]
    lines += [f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in rows]
    return "\n".join(lines)


def format_summary_table(summary: Mapping[str, Any]) -> str:
    """The plain-text table the demo prints at the end of a run."""
    return _plain_table(summary_rows(summary))


def validation_rows(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every figure of a validation, in the order a reader checks them: verdict, then why."""
    passed = doc.get("passed")
    verdict = "-" if passed is None else ("PASS" if passed else "FAIL")
    cycles: Mapping[str, Any] = doc.get("cycles") or {}
    unit = _cycle_unit(doc)
    link: Mapping[str, Any] = doc.get("link") or {}
    rows = [
        ("result", verdict),
        ("board", str(doc.get("board") or "-")),
        ("runtime", str(doc.get("runtime") or "-")),
        ("host reference", str(doc.get("reference") or "-")),
        ("model sha256", str(doc.get("model_sha256") or "-")),
        ("samples", _int(doc.get("samples"))),
        ("mismatching samples", _int(doc.get("mismatched_samples"))),
        ("mismatching bytes", _int(doc.get("mismatched_bytes"))),
        (
            "max abs difference",
            f"{_int(doc.get('max_abs_lsb'))} LSB (tolerance {_int(doc.get('tolerance_lsb'))})",
        ),  # fmt: skip
    ]
    rows += _score_rows(doc)
    rows += [
        (f"{unit} per inference (min / median / max)",
         f"{_int(cycles.get('min'))} / {_int(cycles.get('median'))} / {_int(cycles.get('max'))}"),
        ("model RAM (state + scratch)", _bytes(doc.get("ram_bytes"))),
        ("samples per second", _num(doc.get("samples_per_second"), 1)),
        ("seconds", _num(doc.get("seconds"), 1)),
        ("devices", _int(doc.get("devices"))),
        ("retries", _int(doc.get("retries"))),
    ]  # fmt: skip
    for key, value in link.items():
        rows.append((f"link: {key.replace('_', ' ')}", _int(value)))
    indices = list(doc.get("mismatch_indices") or [])
    if indices:
        shown = ", ".join(str(i) for i in indices[:20])
        more = len(indices) - 20
        rows.append(("first mismatching samples", shown + (f" (+{more} more)" if more > 0 else "")))
    return rows


# --- reports -------------------------------------------------------------------------------------


def write_validation_report(report_dir: Path, doc: dict[str, Any]) -> list[Path]:
    """report.json (the validation document as given) and report.md (the same figures, readable)."""
    report_dir = Path(report_dir)
    json_path, md_path = report_dir / "report.json", report_dir / "report.md"
    _write_json(json_path, doc)
    md = ["# edge-lstm validation report", "", _md_table(validation_rows(doc), ("", "value")), ""]
    write_atomic(md_path, "\n".join(md))
    return [json_path, md_path]


def write_run_report(
    report_dir: Path,
    summary: dict[str, Any],
    arrays: Mapping[str, np.ndarray] | None = None,
) -> list[Path]:
    """report.json, report.md and every plot whose data is present, for one run of the road.

    The validation keys are repeated at the top level of report.json so that tools reading the
    report of ``validate`` read the report of ``run`` the same way.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    arrays = dict(arrays or {})
    plots = draw_plots(report_dir, summary, arrays)
    for name in PLOT_FILES:
        if name not in plots:
            (report_dir / name).unlink(missing_ok=True)

    doc: dict[str, Any] = dict(summary.get("validate") or {})
    doc.update(summary)
    doc["plots"] = plots
    json_path, md_path = report_dir / "report.json", report_dir / "report.md"
    _write_json(json_path, doc)
    write_atomic(md_path, _run_markdown(summary, plots))
    return [json_path, md_path] + [report_dir / name for name in plots]


def _run_markdown(summary: Mapping[str, Any], plots: Mapping[str, list[str]]) -> str:
    model: Mapping[str, Any] = summary.get("model") or {}
    memory: Mapping[str, Any] = summary.get("memory") or {}
    lines = ["# edge-lstm run report", ""]
    head = [
        ("board", str(summary.get("board") or "-")),
        ("runtime", str(summary.get("runtime") or "-")),
        ("model", str(model.get("path") or "-")),
        ("model sha256", str(model.get("sha256") or "-")),
        ("ops", ", ".join(str(op) for op in model.get("ops") or []) or "-"),
    ]
    lines += [_md_table(head, ("", "")), "", "## Summary", ""]
    lines += [_md_table(summary_rows(summary), ("", "value")), ""]
    if memory:
        lines += ["## Memory", ""]
        lines += [_md_table([(k, _bytes(v)) for k, v in memory.items()], ("", "bytes")), ""]
    if summary.get("validate"):
        lines += ["## Validation", ""]
        lines += [_md_table(validation_rows(summary["validate"]), ("", "value")), ""]
    if plots:
        lines += ["## Plots", ""]
        for name in plots:
            lines += [f"![{name[:-4]}]({name})", ""]
    return "\n".join(lines)


# --- plots ---------------------------------------------------------------------------------------


def draw_plots(
    report_dir: Path, summary: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> dict[str, list[str]]:
    """Every plot whose data is present: {file name: names of the series drawn}."""
    report_dir = Path(report_dir)
    plots: dict[str, list[str]] = {}

    def add(name: str, draw: Callable[[Path], list[str] | None]) -> None:
        names = draw(report_dir / name)
        if names is not None:
            plots[name] = names

    y_float = arrays.get("y_float")
    y_host = arrays.get("y_int8_host")
    y_device = arrays.get("y_device")
    labels = arrays.get("y")
    if y_host is not None and (y_float is not None or y_device is not None):
        add("outputs.png", lambda p: plot_outputs(p, y_float, y_host, y_device))
    if labels is not None and (y_float is not None or y_device is not None):
        add("confusion.png", lambda p: plot_confusion(p, labels, y_float, y_device))
    add("activations.png", plot_activation_error)
    if summary.get("memory"):
        add("memory.png", lambda p: plot_memory(p, summary["memory"]))
    if summary.get("stages"):
        add("stages.png", lambda p: plot_stages(p, summary["stages"]))
    return plots


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    # the default pad lets titles touch the top edge of the image
    fig.get_layout_engine().set(w_pad=0.1, h_pad=0.1)  # type: ignore[union-attr]
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_atomic(path, buffer.getvalue())


def legend_labels(fig: Figure) -> list[str]:
    """The legend entries of every axes, in order, without repeats."""
    names: list[str] = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        for text in legend.get_texts():
            if text.get_text() not in names:
                names.append(text.get_text())
    return names


def _as_2d(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    return y.reshape(len(y), -1)


def _subsample(n: int) -> np.ndarray:
    """The same evenly spread points of every series, so that pairs stay pairs."""
    if n <= _MAX_SCATTER_POINTS:
        return np.arange(n)
    return np.linspace(0, n - 1, _MAX_SCATTER_POINTS).astype(np.int64)


def outputs_figure(
    y_float: np.ndarray | None, y_int8_host: np.ndarray, y_device: np.ndarray | None
) -> Figure:
    """Quantization error (int8 host vs float) and device error (device vs int8 host) side by side.

    A bit-exact device puts every point of the second panel on the diagonal; the spread of the
    first is the cost of int8 itself, which no firmware can remove.
    """
    host = _as_2d(y_int8_host).ravel()
    pairs: list[tuple[np.ndarray, np.ndarray, str, str, str]] = []
    if y_float is not None:
        pairs.append((_as_2d(y_float).ravel(), host, "int8 host vs float", "float output",
                      "int8 host output"))  # fmt: skip
    if y_device is not None:
        pairs.append((host, _as_2d(y_device).ravel(), "device vs int8 host", "int8 host output",
                      "device output"))  # fmt: skip
    fig = _new_figure(5.0 * len(pairs), 4.5)
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    colors = ("tab:blue", "tab:orange")
    for ax, (x, y, label, xlabel, ylabel), color in zip(axes, pairs, colors, strict=False):
        keep = _subsample(min(len(x), len(y)))
        x, y = x[keep], y[keep]
        finite = np.isfinite(x) & np.isfinite(y)
        lo = float(min(x[finite].min(), y[finite].min())) if finite.any() else 0.0
        hi = float(max(x[finite].max(), y[finite].max())) if finite.any() else 1.0
        ax.plot([lo, hi], [lo, hi], color="0.6", linestyle="--", linewidth=1, zorder=1)
        ax.scatter(x, y, s=6, alpha=0.5, color=color, label=label, zorder=2)
        differ = int(np.count_nonzero(x != y))
        ax.set_title(f"{label}: {differ:,} of {len(x):,} values differ")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left")
    return fig


def plot_outputs(
    path: Path,
    y_float: np.ndarray | None,
    y_int8_host: np.ndarray,
    y_device: np.ndarray | None,
) -> list[str]:
    fig = outputs_figure(y_float, y_int8_host, y_device)
    _save(fig, path)
    return legend_labels(fig)


def _confusion(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def confusion_figure(
    labels: np.ndarray, y_float: np.ndarray | None, y_device: np.ndarray | None
) -> Figure | None:
    """Float and device confusion matrices with one colour scale, so that they compare by eye.

    None when the labels are not class indices (a regression target has no confusion matrix).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0 or not np.issubdtype(labels.dtype, np.number):
        return None
    if not np.issubdtype(labels.dtype, np.integer):
        # labels read from a CSV arrive as floats; whole numbers are still class indices
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            return None
    labels = labels.astype(np.int64)
    if labels.min() < 0:
        return None
    outputs = [(name, _as_2d(y)) for name, y in (("float", y_float), ("device", y_device))
               if y is not None]  # fmt: skip
    if not outputs or any(y.shape[1] < 2 or len(y) != len(labels) for _, y in outputs):
        return None
    classes = max(int(labels.max()) + 1, *(y.shape[1] for _, y in outputs))
    matrices = [(name, _confusion(labels, np.argmax(y, axis=1), classes)) for name, y in outputs]
    vmax = max(int(m.max()) for _, m in matrices) or 1
    fig = _new_figure(4.5 * len(matrices) + 0.8, 4.5)
    axes = fig.subplots(1, len(matrices), squeeze=False)[0]
    image = None
    for ax, (name, matrix) in zip(axes, matrices, strict=True):
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=vmax)
        accuracy = float(np.trace(matrix)) / max(int(matrix.sum()), 1)
        ax.set_title(f"{name} ({accuracy:.2%})")
        ax.set_xlabel("predicted")
        ax.set_ylabel("label")
        if classes <= 20:
            ax.set_xticks(range(classes))
            ax.set_yticks(range(classes))
            for (i, j), count in np.ndenumerate(matrix):
                if count:
                    color = "white" if count > vmax / 2 else "black"
                    ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=color)
    if image is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.8)
    return fig


def _titles(fig: Figure) -> list[str]:
    """The panel names: a title up to its first " (" or ":"."""
    return [ax.get_title().split(" (")[0].split(":")[0] for ax in fig.axes if ax.get_title()]


def plot_confusion(
    path: Path, labels: np.ndarray, y_float: np.ndarray | None, y_device: np.ndarray | None
) -> list[str] | None:
    fig = confusion_figure(labels, y_float, y_device)
    if fig is None:
        return None
    _save(fig, path)
    return _titles(fig)


@functools.lru_cache(maxsize=1)
def activation_errors() -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """{variant: {"sigmoid"|"tanh": (real input, error in output LSB)}} over every int16 input.

    The result depends on no model, so it is computed once per process; the arrays are
    read-only because they are shared.
    """
    from quantize.activations import VARIANTS, lstm_activations

    x = np.arange(-32768, 32768, dtype=np.int64)
    real = x / 4096.0  # gate pre-activations are Q3.12
    exact = {"sigmoid": 1.0 / (1.0 + np.exp(-real)), "tanh": np.tanh(real)}
    errors: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for variant in VARIANTS:
        act = lstm_activations(variant)
        got = {"sigmoid": act.gate_sigmoid(x), "tanh": act.gate_tanh(x)}
        errors[variant] = {}
        for fn in ("sigmoid", "tanh"):
            err = (np.asarray(got[fn], dtype=np.float64) / 32768.0 - exact[fn]) * 32768.0
            err.flags.writeable = False
            errors[variant][fn] = (real, err)
    real.flags.writeable = False
    return errors


def _envelope(
    x: np.ndarray, y: np.ndarray, bins: int = 1024
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min and max of y per bin of consecutive points.

    Drawing all 65,536 errors as a line takes seconds and shows a solid band anyway; the envelope
    draws the same band fast and, unlike subsampling, keeps every extreme.
    """
    n = len(x) - len(x) % bins if len(x) >= bins else len(x)
    if n == 0 or len(x) < bins:
        return x, y, y
    xs, ys = x[:n].reshape(bins, -1), y[:n].reshape(bins, -1)
    return xs.mean(axis=1), ys.min(axis=1), ys.max(axis=1)


def activations_figure(
    errors: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
) -> Figure:
    """The int16 sigmoid and tanh error of each runtime's approximation, in Q0.15 output LSB."""
    present = {fn for per_fn in errors.values() for fn in per_fn}
    functions = [fn for fn in ("sigmoid", "tanh") if fn in present]
    functions += sorted(present - set(functions))
    fig = _new_figure(5.0 * len(functions), 4.0)
    axes = fig.subplots(1, len(functions), squeeze=False)[0]
    for ax, fn in zip(axes, functions, strict=True):
        for variant, per_fn in errors.items():
            if fn not in per_fn:
                continue
            real, err = per_fn[fn]
            worst = float(np.max(np.abs(err))) if len(err) else 0.0
            centre, low, high = _envelope(np.asarray(real), np.asarray(err))
            ax.fill_between(centre, low, high, alpha=0.45, linewidth=0.4, label=f"{variant} {fn}")
            ax.annotate(f"{variant}: max {worst:.2f} LSB", xy=(0.02, 0.02 + 0.07 * len(ax.texts)),
                        xycoords="axes fraction", fontsize=8)  # fmt: skip
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_title(f"{fn} error vs float")
        ax.set_xlabel("input (Q3.12 real value)")
        ax.set_ylabel("error (Q0.15 LSB)")
        ax.legend(loc="upper right")
    return fig


def plot_activation_error(path: Path) -> list[str]:
    fig = activations_figure(activation_errors())
    _save(fig, path)
    return legend_labels(fig)


# Flash holds code, constants and the initial values of .data; RAM holds .data, .bss and the
# stack (targets.build.SectionSizes). The weights are part of rodata and drawn inside it.
_FLASH_PARTS = ("text", "weights", "rodata", "data")
_RAM_PARTS = ("data", "bss", "stack")


def memory_figure(memory: Mapping[str, Any]) -> Figure | None:
    """Flash and RAM as stacked bars of their sections; totals only when no breakdown is known."""
    sections = {k: int(v) for k, v in memory.items() if v is not None and k in
                ("text", "rodata", "data", "bss", "stack", "weights_bytes")}  # fmt: skip
    weights = sections.pop("weights_bytes", None)
    if weights is not None and "rodata" in sections and weights <= sections["rodata"]:
        sections["weights"] = weights
        sections["rodata"] -= weights
    bars: dict[str, list[tuple[str, int]]] = {
        "flash": [(p, sections[p]) for p in _FLASH_PARTS if p in sections],
        "RAM": [(p, sections[p]) for p in _RAM_PARTS if p in sections],
    }
    for name, key in (("flash", "flash_bytes"), ("RAM", "ram_bytes")):
        if not bars[name] and memory.get(key) is not None:
            bars[name] = [("total", int(memory[key]))]
    bars = {name: parts for name, parts in bars.items() if parts}
    if not bars:
        return None
    colors = {
        "text": "tab:blue",
        "weights": "tab:purple",
        "rodata": "tab:cyan",
        "data": "tab:orange",
        "bss": "tab:green",
        "stack": "tab:red",
        "total": "tab:gray",
    }
    fig = _new_figure(8.0, 1.2 + 0.9 * len(bars))
    ax = fig.subplots()
    drawn: set[str] = set()
    names = list(bars)
    for row, name in enumerate(names):
        left = 0
        for part, size in bars[name]:
            label = "rodata (other)" if part == "rodata" and "weights" in sections else part
            label = label if part not in drawn else "_nolegend_"
            drawn.add(part)
            ax.barh(row, size, left=left, color=colors[part], label=label)
            left += size
        ax.text(left, row, f" {left:,} B", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("bytes")
    ax.set_title("memory")
    ax.margins(x=0.15)
    ax.legend(loc="lower right", fontsize=8, ncols=min(len(drawn), 6))
    return fig


def plot_memory(path: Path, memory: Mapping[str, Any]) -> list[str] | None:
    fig = memory_figure(memory)
    if fig is None:
        return None
    _save(fig, path)
    return legend_labels(fig)


def _bars_figure(items: Sequence[tuple[str, float]], xlabel: str, title: str, fmt: str) -> Figure:
    fig = _new_figure(8.0, 1.2 + 0.45 * len(items))
    ax = fig.subplots()
    names = [name for name, _ in items]
    values = [value for _, value in items]
    container = ax.barh(range(len(items)), values, color="tab:blue")
    ax.bar_label(container, labels=[format(v, fmt) for v in values], padding=3, fontsize=8)
    ax.set_yticks(range(len(items)), names)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.margins(x=0.15)
    return fig


def _bar_names(fig: Figure) -> list[str]:
    return [tick.get_text() for ax in fig.axes for tick in ax.get_yticklabels()]


def stages_figure(stages: Sequence[Mapping[str, Any]]) -> Figure:
    items = [(str(s.get("name", "?")), float(s.get("seconds") or 0.0)) for s in stages]
    total = sum(v for _, v in items)
    return _bars_figure(items, "seconds", f"time per stage (total {total:.1f} s)", ".1f")


def plot_stages(path: Path, stages: Sequence[Mapping[str, Any]]) -> list[str]:
    fig = stages_figure(stages)
    _save(fig, path)
    return _bar_names(fig)
