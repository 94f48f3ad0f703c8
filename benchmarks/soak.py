"""Soak and clean-link throughput of the serial validation link, on an emulated board.

Usage:
  python benchmarks/soak.py soak [--samples 10000] [--model small] [--board qemu-cortex-m4]
                                 [--out benchmarks/results/soak.json] [--no-tracemalloc]
  python benchmarks/soak.py clean [--models link600 link4k] [--samples 60] [--repeats 3]
                                  [--tree DIR] [--out benchmarks/results/soak_clean_link.json]

``soak`` runs one long session of INFER requests through the noisy line of
tests/test_link_faults.py (1 % of the bytes dropped, duplicated or flipped; one 0.4 s cut a
quarter of the way in; a QEMU ``system_reset`` of the board half way), and records what a long
validation needs to stay healthy: every output byte against the TFLite Micro runtime on the
host (an independent reference), host memory (RSS and the bytes tracemalloc sees) at
checkpoints, and the time per sample over the first and the last thousand samples.

``clean`` measures samples per second on a clean pseudo-terminal link for models whose inputs
do not fit one chunk (600 and 4,096 bytes). ``--tree DIR`` measures the edge-lstm source tree
DIR instead (export, build and harness all from DIR, e.g. an older commit unpacked with
``git archive COMMIT | tar -x -C DIR``), so that a protocol change is measured against the
code before it with the same models and inputs.

The results JSON records the command that produced it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import tty
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
RESULTS = ROOT / "benchmarks" / "results"
#: The noisy line of the done criterion: 1 % damaged bytes (0.4 % drops, 0.3 % duplicates,
#: 0.3 % flips, as tests/test_link_faults.py's Faults defaults), one outage of this length.
CUT_SECONDS = 0.4
CHECKPOINTS = 20  # memory samples over a run
WINDOW = 1000  # samples compared at the start and the end of a soak


def _rss_kb() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for row in status:
            if row.startswith("VmRSS:"):
                return int(row.split()[1])
    return 0


def _window(times: list[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times)
    return {
        "samples": len(ms),
        "mean_ms": round(statistics.fmean(ms), 3),
        "median_ms": round(ms[len(ms) // 2], 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "max_ms": round(ms[-1], 3),
    }


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)


def _command() -> str:
    return "python " + " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])


def soak(
    samples: int,
    model: str = "small",
    board_name: str = "qemu-cortex-m4",
    trace_memory: bool = True,
    echo: Any = print,
) -> dict[str, Any]:
    """One session of ``samples`` INFERs through the noisy line; the measured record."""
    sys.path.insert(0, str(TESTS))
    from firmware_cache import firmware
    from model_zoo import CONFIGS, inputs_int8, tflite_bytes
    from test_link_faults import Faults, FaultyLine

    from edge_lstm.harness.device import Device
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    x = inputs_int8(CONFIGS[model], samples)
    golden = _tflm(tflite_bytes(model), x)
    elf = firmware(model, board_name)
    outputs = np.zeros_like(golden)  # preallocated: the run itself must not grow memory
    times = [0.0] * samples
    checkpoints: list[dict[str, Any]] = []
    every = max(1, samples // CHECKPOINTS)
    reset_at, cut_at = samples // 2, samples // 4
    monitor = Path(f"/tmp/edge-lstm-soak-{os.getpid()}.sock")
    faults = Faults()  # no outage until cut_at samples (set below)
    faults.cut_every, faults.cut_for, faults.cut_at = 1e9, CUT_SECONDS, 1e9
    resets: list[float] = []
    with QemuBoard(elf, get_board(board_name), monitor=monitor) as qemu:

        def _reset() -> None:
            qemu.system_reset()
            resets.append(time.monotonic())

        board_fd = os.open(qemu.port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(board_fd)
        master, slave = os.openpty()
        tty.setraw(slave)
        line = FaultyLine(master, board_fd, faults, seed=11)
        line_start = time.monotonic()
        line.start()
        try:
            with Device(os.ttyname(slave), retries=30) as device:
                info = device.hello()
                device.infer(x[0])  # warm-up: imports, the first run timed
                if trace_memory:
                    tracemalloc.start()
                rss_start = _rss_kb()
                started = time.monotonic()
                for i in range(samples):
                    if i == cut_at:
                        faults.cut_at = time.monotonic() - line_start + 0.005
                    if i == reset_at:  # lands while this sample's frames are on the line
                        threading.Timer(0.003, _reset).start()
                    t0 = time.perf_counter()
                    outputs[i], _ = device.infer(x[i])
                    times[i] = time.perf_counter() - t0
                    if i % every == 0 or i == samples - 1:
                        traced = tracemalloc.get_traced_memory()[0] if trace_memory else 0
                        checkpoints.append(
                            {
                                "sample": i,
                                "seconds": round(time.monotonic() - started, 2),
                                "rss_kb": _rss_kb(),
                                "traced_kb": round(traced / 1024, 1),
                            }
                        )
                        echo(f"{i + 1}/{samples} {checkpoints[-1]}")
                seconds = time.monotonic() - started
                rss_end = _rss_kb()
                peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
                if trace_memory:
                    tracemalloc.stop()
                stats = device.stats.as_dict()
        finally:
            line.stop.set()
            line.join(timeout=2)
            for fd in (master, slave, board_fd):
                os.close(fd)
            monitor.unlink(missing_ok=True)
    diff = outputs != golden
    window = min(WINDOW, samples // 2)
    return {
        "what": "one session of INFER requests through a noisy line (1 % drops/duplicates/"
        f"flips, one {CUT_SECONDS} s cut, a system_reset of the board half way), every output "
        "byte against the TFLite Micro runtime on the host",
        "board": board_name,
        "model": model,
        "input_bytes": int(x[0].size),
        "output_bytes": int(info.output_bytes),
        "samples": samples,
        "mismatched_samples": int(np.count_nonzero(diff.reshape(samples, -1).any(axis=1))),
        "mismatched_bytes": int(np.count_nonzero(diff)),
        "seconds": round(seconds, 1),
        "samples_per_second": round(samples / seconds, 2),
        "cut_at_sample": cut_at,
        "reset_at_sample": reset_at,
        "resets_done": len(resets),
        "rss_kb_start": rss_start,
        "rss_kb_end": rss_end,
        "tracemalloc": trace_memory,
        "traced_kb_peak": round(peak / 1024, 1),
        "per_sample_first": _window(times[:window]),
        "per_sample_last": _window(times[-window:]),
        "checkpoints": checkpoints,
        "faults": dict(line.counts),
        "link": stats,
    }


def _tflm(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    """Golden outputs from the TFLite Micro runtime (not the code under test)."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes)
    out = []
    for sample in x:
        interpreter.reset()
        interpreter.set_input(sample[None, ...], 0)
        interpreter.invoke()
        out.append(np.array(interpreter.get_output(0))[0])
    return np.stack(out).reshape(len(x), -1)


# --- clean-link throughput -----------------------------------------------------------------


def _clean_worker(args: argparse.Namespace) -> None:
    """In the process whose sys.path holds the tree measured: export, build, measure, print."""
    from edge_lstm.export import export_project
    from edge_lstm.harness.device import Device
    from targets.build import build_project
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    data = np.load(args.inputs)
    x, golden = data["x"], data["golden"]
    exported = export_project(Path(args.model), args.board, Path(args.build))
    elf = build_project(exported.out_dir).elf
    with QemuBoard(elf, get_board(args.board)) as qemu, Device(qemu.port) as device:
        info = device.hello()
        device.infer(x[0])
        rates = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = np.stack([device.infer(sample)[0] for sample in x])
            rates.append(len(x) / (time.perf_counter() - t0))
            if not np.array_equal(out.reshape(golden.shape), golden):
                raise SystemExit("outputs differ from the TFLite Micro runtime")
        doc = {"protocol": info.version, "rates": rates, "link": device.stats.as_dict()}
    print("RESULT " + json.dumps(doc))


def clean(models: list[str], samples: int, repeats: int, tree: Path | None) -> dict[str, Any]:
    """Samples per second on a clean pty link, each model measured in its own QEMU session."""
    sys.path.insert(0, str(TESTS))
    from test_link_chunks import LINK_CONFIGS, link_inputs, link_model

    rows = []
    source = (tree or ROOT).resolve()
    for name in models:
        x, golden = link_inputs(name, samples)
        work = Path(f"/tmp/edge-lstm-clean-{os.getpid()}-{name}")
        inputs = work / "inputs.npz"
        work.mkdir(parents=True, exist_ok=True)
        np.savez(inputs, x=x, golden=golden)
        command = [sys.executable, str(Path(__file__).resolve()), "clean-worker"]
        command += ["--model", str(link_model(name)), "--inputs", str(inputs)]
        command += ["--build", str(work / "fw"), "--repeats", str(repeats)]
        env = dict(os.environ, PYTHONPATH=str(source), EDGE_LSTM_SOAK_TREE=str(source))
        proc = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True)
        result = [r for r in proc.stdout.splitlines() if r.startswith("RESULT ")]
        if proc.returncode != 0 or not result:
            raise SystemExit(f"{name}: the measurement failed:\n{proc.stdout}\n{proc.stderr}")
        doc = json.loads(result[-1][len("RESULT ") :])
        config = LINK_CONFIGS[name]
        rows.append(
            {
                "model": name,
                "input_bytes": config.timesteps * config.features,
                "protocol": doc["protocol"],
                "samples": samples,
                "samples_per_second": [round(r, 2) for r in doc["rates"]],
                "median_samples_per_second": round(statistics.median(doc["rates"]), 2),
                "exchanges_per_sample": round(
                    doc["link"].get("exchanges", doc["link"]["frames_sent"])
                    / (repeats * samples + 2),
                    2,
                ),
            }
        )
    return {"tree": str(source), "board": "qemu-cortex-m4", "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p_soak = sub.add_parser("soak")
    p_soak.add_argument("--samples", type=int, default=10_000)
    p_soak.add_argument("--model", default="small")
    p_soak.add_argument("--board", default="qemu-cortex-m4")
    p_soak.add_argument("--no-tracemalloc", action="store_true")
    p_soak.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    p_clean = sub.add_parser("clean")
    p_clean.add_argument("--models", nargs="+", default=["link600", "link4k"])
    p_clean.add_argument("--samples", type=int, default=60)
    p_clean.add_argument("--repeats", type=int, default=3)
    p_clean.add_argument("--tree", type=Path, help="measure this edge-lstm source tree")
    p_clean.add_argument("--label", default="current", help="the name of this measurement")
    p_clean.add_argument("--out", type=Path, default=RESULTS / "soak_clean_link.json")
    p_worker = sub.add_parser("clean-worker")
    p_worker.add_argument("--model", required=True)
    p_worker.add_argument("--inputs", required=True)
    p_worker.add_argument("--build", required=True)
    p_worker.add_argument("--repeats", type=int, default=3)
    p_worker.add_argument("--board", default="qemu-cortex-m4")
    args = parser.parse_args()
    if args.mode == "clean-worker":
        _clean_worker(args)
        return 0
    sys.path.insert(0, str(ROOT))
    stamp = {
        "command": _command(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if args.mode == "soak":
        doc = stamp | soak(args.samples, args.model, args.board, not args.no_tracemalloc)
        _write(args.out, doc)
        print(json.dumps({k: v for k, v in doc.items() if k != "checkpoints"}, indent=2))
        return 0 if doc["mismatched_bytes"] == 0 else 1
    measured = clean(args.models, args.samples, args.repeats, args.tree)
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    runs = previous.get("runs", {})
    runs[args.label] = stamp | measured
    _write(args.out, {"what": "samples/s on a clean pty link, qemu-cortex-m4", "runs": runs})
    print(json.dumps(runs[args.label], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
