"""The architecture zoo on every emulated core, through `validate` over the UART.

Usage:
  python benchmarks/arch_boards.py [--boards qemu-cortex-m0 ...] [--count 300]
                                   [--out benchmarks/results/arch_boards.json]

Each model of tests/arch_zoo.py (Conv1D front ends, Bidirectional, pooling, normalization and
sigmoid heads: the converted models committed in tests/models) is exported for each board,
built with arm-none-eabi-gcc and validated in QEMU on ``--count`` int8 inputs (the first two all
+127 and all -128, the rest spanning the whole int8 range, wider than the calibration data so
that saturation happens). Two independent checks per run: `validate`'s own byte comparison
against the numpy reference, and the outputs read back compared with the TFLite Micro runtime
on the host. The suite runs the same on the Cortex-M4 (tests/test_native_architectures.py);
this covers the other cores, which would cost the suite minutes.

The results JSON records the command that produced it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

#: board variants: a board, or a board with -nodsp (built with -DEL_USE_DSP=0: the plain path)
BOARDS = (
    "qemu-cortex-m0",
    "qemu-cortex-m3",
    "qemu-cortex-m4",
    "qemu-cortex-m4-nodsp",
    "qemu-cortex-m7",
    "qemu-cortex-m55",
)


def run_one(name: str, variant: str, count: int, work: Path) -> dict[str, Any]:
    from arch_zoo import ARCHS, arch_tflite_path, inputs_int8
    from model_zoo import tflm_outputs

    from edge_lstm.data import load_data
    from edge_lstm.export import export_project
    from edge_lstm.validate import validate
    from targets.build import build_project
    from targets.project import OPT
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    model = arch_tflite_path(name)
    x = inputs_int8(ARCHS[name], count)
    x[0], x[1] = 127, -128
    want = tflm_outputs(model.read_bytes(), x).reshape(count, -1)
    np.savez(work / "x.npz", x=x)
    board_name = variant.removesuffix("-nodsp")
    exported = export_project(model, board_name, work / f"{name}-{variant}")
    opt = f"{OPT} -DEL_USE_DSP=0" if variant.endswith("-nodsp") else OPT
    elf = build_project(exported.out_dir, opt=opt).elf
    start = time.perf_counter()
    with QemuBoard(elf, get_board(board_name)) as board:
        report, outputs = validate(model, load_data(work / "x.npz"), [board.port], progress=False)
    got = np.asarray(outputs).reshape(count, -1)
    return {
        "model": name,
        "board": variant,
        "samples": report.samples,
        "mismatched_bytes_vs_reference": report.mismatched_bytes,
        "mismatched_bytes_vs_tflm": int(np.count_nonzero(got != want)),
        "output_bytes": int(want.size),
        "execution": exported.details.get("execution", "streaming"),
        "seconds": round(time.perf_counter() - start, 2),
    }


def main(argv: list[str] | None = None) -> int:
    from arch_zoo import ARCHS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", nargs="+", choices=BOARDS, default=list(BOARDS))
    parser.add_argument("--models", nargs="+", choices=list(ARCHS), default=list(ARCHS))
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/arch_boards.json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for board in args.boards:
            for name in args.models:
                row = run_one(name, board, args.count, Path(tmp))
                print(json.dumps(row), flush=True)
                rows.append(row)
    doc = {
        "command": "python benchmarks/arch_boards.py " + " ".join(argv or sys.argv[1:]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "rows": rows,
        "mismatched_bytes": sum(
            r["mismatched_bytes_vs_reference"] + r["mismatched_bytes_vs_tflm"] for r in rows
        ),
    }
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(rows)} runs, {doc['mismatched_bytes']} mismatching bytes -> {args.out}")
    return 0 if doc["mismatched_bytes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
