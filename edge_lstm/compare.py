"""LSTM, GRU and SimpleRNN of the same size on the same task, each taken down the whole road.

Choosing a recurrent cell for a microcontroller is a trade between accuracy and cost, and the
cost is only known on the chip: MACs say little about instructions once activations, gates and
the per-unit update are counted. So each cell is trained on the same data with the same seed,
quantized, exported, built and validated on the board, and the comparison reports what the run
measured (float and int8 accuracy, device mismatches, MACs, flash, RAM, instructions per
inference), never an estimate. ``write_comparison`` writes the table (Markdown), the plot (PNG)
and every figure (JSON) atomically.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from edge_lstm.data import write_atomic

LAYER_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}

#: The files a comparison folder holds (each replaced atomically).
COMPARISON_FILES = ("cell_comparison.md", "cell_comparison.png", "cell_comparison.json")


def compare_cells(
    dataset: str,
    cells: Sequence[str],
    work_dir: Path,
    board_name: str,
    *,
    hidden: int,
    epochs: int,
    seed: int = 0,
    limit: int | None = None,
    echo: Callable[[str], None] = print,
    progress: bool = True,
) -> dict[str, Any]:
    """Train, quantize, export, build and validate one model per cell; the measured rows."""
    from edge_lstm.pipeline import Stages, run_pipeline
    from edge_lstm.train import train

    rows: list[dict[str, Any]] = []
    for index, cell in enumerate(cells, start=1):
        layer = LAYER_NAMES[cell]
        echo(f"== {index}/{len(cells)}: {layer}({hidden}) on {dataset}")
        cell_dir = work_dir / cell
        stages = Stages(echo, total=5)
        with stages.stage(f"train a {layer}({hidden}) on {dataset}"):
            trained = train(
                dataset,
                cell_dir / f"{Path(dataset).stem}.keras",
                hidden=hidden,
                epochs=epochs,
                seed=seed,
                progress=progress,
                cell=cell,
            )
        result = run_pipeline(
            trained.model_path,
            trained.train_path,
            trained.test_path,
            cell_dir,
            board_name,
            limit=limit,
            echo=echo,
            progress=progress,
            stages=stages,
        )
        rows.append(_row(cell, hidden, result.summary))
    return {
        "dataset": dataset,
        "board": board_name,
        "hidden": hidden,
        "epochs": epochs,
        "seed": seed,
        "rows": rows,
        "passed": all(row["mismatched_bytes"] == 0 for row in rows),
    }


def _row(cell: str, hidden: int, summary: Mapping[str, Any]) -> dict[str, Any]:
    check = summary["validate"]
    memory = summary["memory"]
    macs = summary["model"]["macs"]
    instructions = (check.get("cycles") or {}).get("median")
    return {
        "cell": cell,
        "layer": LAYER_NAMES[cell],
        "hidden": hidden,
        "samples": check.get("samples"),
        "float_accuracy": check.get("float_accuracy"),
        "int8_accuracy": check.get("int8_accuracy"),
        "device_accuracy": check.get("device_accuracy"),
        "mismatched_bytes": check.get("mismatched_bytes"),
        "macs": macs,
        "cycle_unit": check.get("cycle_unit"),
        "instructions_per_inference": instructions,
        "instructions_per_mac": (round(instructions / macs, 3) if instructions and macs else None),
        "flash_bytes": memory.get("flash_bytes"),
        "weights_bytes": memory.get("weights_bytes"),
        "model_ram_bytes": memory.get("model_ram_bytes"),
        "ram_used_bytes": memory.get("ram_used_bytes"),
        "model_sha256": summary["model"]["sha256"],
    }


# --- the outputs ---------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f} %"


def _int(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def comparison_table(doc: Mapping[str, Any]) -> str:
    """The Markdown table: one row per cell, the figures a reader weighs against each other."""
    head = (
        "| cell | float acc. | int8 acc. (host) | board acc. | mismatching bytes | MACs "
        "| instructions / inference | instr./MAC | flash | weights | RAM used (static + stack) |"
    )
    lines = [head, "|" + "---|" * 11]
    for row in doc["rows"]:
        ipm = row["instructions_per_mac"]
        lines.append(
            f"| {row['layer']}({row['hidden']}) | {_pct(row['float_accuracy'])} "
            f"| {_pct(row['int8_accuracy'])} | {_pct(row['device_accuracy'])} "
            f"| {_int(row['mismatched_bytes'])} | {_int(row['macs'])} "
            f"| {_int(row['instructions_per_inference'])} | {'-' if ipm is None else ipm} "
            f"| {_int(row['flash_bytes'])} B | {_int(row['weights_bytes'])} B "
            f"| {_int(row['ram_used_bytes'])} B |"
        )
    return "\n".join(lines) + "\n"


def comparison_markdown(doc: Mapping[str, Any]) -> str:
    samples = {row["samples"] for row in doc["rows"]}
    return (
        f"# {', '.join(r['layer'] for r in doc['rows'])} on {doc['dataset']}\n\n"
        f"Hidden size {doc['hidden']}, {doc['epochs']} epochs, seed {doc['seed']}; every model "
        f"validated on {doc['board']} over its serial port "
        f"({', '.join(str(s) for s in sorted(samples, key=str))} test samples).\n\n"
        + comparison_table(doc)
        + "\n![accuracy and cost of each cell](cell_comparison.png)\n"
    )


def comparison_figure(doc: Mapping[str, Any]) -> Any:
    """Three panels: accuracy (float, int8), instructions per inference, flash and RAM."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = doc["rows"]
    names = [f"{r['layer']}({r['hidden']})" for r in rows]
    at = np.arange(len(rows))
    fig = Figure(figsize=(11, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    acc, speed, size = fig.subplots(1, 3)
    width = 0.38
    for offset, key, label in (
        (-width / 2, "float_accuracy", "float"),
        (width / 2, "int8_accuracy", "int8"),
    ):
        values = [100 * (r[key] or 0.0) for r in rows]
        bars = acc.bar(at + offset, values, width, label=label)
        acc.bar_label(bars, fmt="%.1f", fontsize=7)
    low = min(100 * min(r["float_accuracy"] or 0, r["int8_accuracy"] or 0) for r in rows)
    bottom = max(0.0, low - 5)
    acc.set_ylim(
        bottom, 100.5 + 0.25 * (100.5 - bottom)
    )  # headroom: the legend sits above the bars
    acc.set_xticks(at, names)
    acc.set_ylabel("test accuracy (%)")
    acc.set_title(f"accuracy on {doc['dataset']}")
    acc.legend(loc="upper center", ncol=2, fontsize=8)
    instructions = [r["instructions_per_inference"] or 0 for r in rows]
    bars = speed.bar(at, instructions, 0.6, color="tab:green")
    speed.bar_label(bars, labels=[f"{v:,}" for v in instructions], fontsize=7)
    speed.set_ylim(0, 1.15 * max(max(instructions), 1))
    speed.set_xticks(at, names)
    speed.set_ylabel("instructions per inference")
    speed.set_title(f"speed on {doc['board']}")
    for offset, key, label in (
        (-width / 2, "flash_bytes", "flash"),
        (width / 2, "ram_used_bytes", "RAM used"),
    ):
        values = [(r[key] or 0) / 1024 for r in rows]
        bars = size.bar(at + offset, values, width, label=label)
        size.bar_label(bars, fmt="%.1f", fontsize=7)
    tallest = max([(r[k] or 0) / 1024 for r in rows for k in ("flash_bytes", "ram_used_bytes")])
    size.set_ylim(0, 1.3 * max(tallest, 1.0))
    size.set_xticks(at, names)
    size.set_ylabel("KiB (whole firmware)")
    size.set_title("memory")
    size.legend(loc="upper center", ncol=2, fontsize=8)
    return fig


def write_comparison(out_dir: Path, doc: Mapping[str, Any]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in COMPARISON_FILES]
    write_atomic(paths[0], comparison_markdown(doc))
    buffer = io.BytesIO()
    comparison_figure(doc).savefig(buffer, format="png")
    write_atomic(paths[1], buffer.getvalue())
    write_atomic(paths[2], json.dumps(doc, indent=2) + "\n")
    return paths
