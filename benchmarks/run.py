"""Instruction counts, memory and host-side timings of the native engine on the emulated boards.

Usage: python benchmarks/run.py [--quick] [--boards B ...] [--out benchmarks/results]
                                [--tflm-dir TREE ...] [--tflm-kernels reference|cmsis-nn ...]

Models are random-weight tf_keras LSTMs, converted once and cached under benchmarks/.cache so
that a re-run spends its time on the firmware, not on TensorFlow. Counts come from QEMU's
-icount mode, where the firmware's counter reads exact guest instructions: they are the same
on every run, which ``--quick`` checks by measuring the same firmware twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
CACHE_DIR = Path(os.environ.get("EDGE_LSTM_BENCH_CACHE", BENCH_DIR / ".cache"))
README = BENCH_DIR / "README.md"
BEGIN_MARK = "<!-- results:begin -->"
END_MARK = "<!-- results:end -->"
TFLM_BEGIN_MARK = "<!-- tflm:begin -->"
TFLM_END_MARK = "<!-- tflm:end -->"
TFLM_KERNEL_SETS = ("reference", "cmsis-nn")
TFLM_OPT = "-O2"

EMULATED_BOARDS = (
    "qemu-cortex-m0",
    "qemu-cortex-m3",
    "qemu-cortex-m4",
    "qemu-cortex-m7",
    "qemu-cortex-m55",
)
BENCH_RUNS = 3
LINK_SAMPLES = 100
LINK_TIME_CAP_S = 15.0  # big models on a slow link: stop early, report the rate so far


@dataclass(frozen=True)
class BenchModel:
    hidden: int
    timesteps: int
    features: int
    layers: int
    outputs: int = 8
    seed: int = 0
    cell: str = "lstm"  # "gru" or "rnn" (SimpleRNN): edge-lstm's own integer cells
    arch: str = ""  # a name of ARCHITECTURES: the layers around the LSTM people train

    @property
    def name(self) -> str:
        if self.arch:
            return f"{self.arch}-h{self.hidden}-t{self.timesteps}-f{self.features}"
        if self.cell != "lstm":
            return f"{self.cell}-h{self.hidden}-t{self.timesteps}-f{self.features}"
        return f"h{self.hidden}-t{self.timesteps}-f{self.features}-l{self.layers}"

    @property
    def key(self) -> str:
        fields = asdict(self)
        if self.cell == "lstm":
            del fields["cell"]  # the LSTM models keep their cached conversions
        if not self.arch:
            del fields["arch"]
        text = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def grid() -> list[BenchModel]:
    """Half fraction of T x features x layers (layers = 2 exactly when T and F are both high
    or both low), crossed with every hidden size: 16 models instead of 32, each two-level
    factor still seen at both levels for every hidden size."""
    half = [(32, 6, 2), (32, 40, 1), (128, 6, 1), (128, 40, 2)]
    return [BenchModel(h, t, f, n) for h in (16, 32, 64, 128) for t, f, n in half]


QUICK_MODEL = BenchModel(hidden=32, timesteps=32, features=6, layers=1)


def recurrent_models() -> list[BenchModel]:
    """Not in the grid, chosen by --models: one-layer GRU and SimpleRNN at hidden 16/32/64
    (T 32, 6 features), and the one-layer LSTMs of the same sizes to compare with."""
    return [
        BenchModel(h, 32, 6, 1, cell=cell) for cell in ("gru", "rnn", "lstm") for h in (16, 32, 64)
    ]


#: Architectures around the LSTM (docs/supported_models.md), at sizes of real sensor and audio
#: models: name -> the tf_keras layers after the Input, given keras.layers and the hidden size.
ARCHITECTURES: dict[str, Callable[[Any, int], list[Any]]] = {
    # DeepConvLSTM-style IMU front end: two convolutions, pooling, one LSTM
    "conv-lstm": lambda L, h: [
        L.Conv1D(16, 5, activation="relu"),
        L.Conv1D(16, 5, activation="relu"),
        L.MaxPooling1D(2),
        L.LSTM(h),
        L.Dense(8, activation="softmax"),
    ],
    "bilstm": lambda L, h: [L.Bidirectional(L.LSTM(h)), L.Dense(8, activation="softmax")],
    "lstm-gap": lambda L, h: [
        L.LSTM(h, return_sequences=True),
        L.GlobalAveragePooling1D(),
        L.Dense(8, activation="softmax"),
    ],
    # an anomaly detector: normalized input, one-vs-rest sigmoid head
    "norm-lstm-sigmoid": lambda L, h: [
        L.Normalization(mean=[0.0] * 6, variance=[4.0] * 6),
        L.LSTM(h),
        L.Dense(16, activation="tanh"),
        L.Dense(1, activation="sigmoid"),
    ],
}


def architecture_models() -> list[BenchModel]:
    """Not in the grid, chosen by --models: the ARCHITECTURES at hidden 32 over 64 steps of
    6 channels (an IMU window)."""
    return [BenchModel(32, 64, 6, 1, arch=name) for name in ARCHITECTURES]


@dataclass(frozen=True)
class Variant:
    """One firmware build: a board, with its DSP-extension path on or off, and the native
    engine's LSTM weight storage (`export --weights`)."""

    board: str
    dsp: bool
    has_dsp: bool
    weights: str = "int8"

    @property
    def label(self) -> str:
        nodsp = "-nodsp" if self.has_dsp and not self.dsp else ""
        w16 = "-w16" if self.weights == "int16" else ""
        return f"{self.board}{nodsp}{w16}"


def variants(boards: list[str], weights: tuple[str, ...] = ("int8", "int16")) -> list[Variant]:
    """Every board with the int8 weights (with and without its DSP path) and, when asked,
    with int16 weights on its fastest path."""
    from targets.registry import get_board

    out: list[Variant] = []
    for name in boards:
        dsp = get_board(name).dsp
        if "int8" in weights:
            out += (
                [Variant(name, True, True), Variant(name, False, True)]
                if dsp
                else [Variant(name, False, False)]
            )
        if "int16" in weights:
            out.append(Variant(name, dsp, dsp, "int16"))
    return out


@dataclass(frozen=True)
class TflmTree:
    """A TFLM source tree (made by TFLM's create_tflm_tree.py) and the kernel set it holds."""

    path: Path
    kernels: str

    @property
    def label(self) -> str:
        return f"tflm-{self.kernels}"


def detect_tflm_kernels(tree: Path) -> str:
    """``cmsis-nn`` when the tree holds TFLM's CMSIS-NN LSTM kernel, else ``reference``."""
    from firmware_gen.tflm import CMSIS_NN_MARKER

    return "cmsis-nn" if (tree / CMSIS_NN_MARKER).is_file() else "reference"


def tflm_trees(dirs: list[Path] | None, kernels: list[str] | None) -> list[TflmTree]:
    """The trees of ``--tflm-dir`` with their kernel sets: given (one for all trees or one per
    tree) or detected from each tree."""
    from firmware_gen.tflm import TREE_MARKER

    if not dirs:
        if kernels:
            raise ValueError("--tflm-kernels needs --tflm-dir")
        return []
    if kernels and len(kernels) not in (1, len(dirs)):
        raise ValueError("--tflm-kernels takes one kernel set, or one per --tflm-dir tree")
    trees: list[TflmTree] = []
    for i, raw in enumerate(dirs):
        path = raw.expanduser().resolve()
        if not (path / TREE_MARKER).is_file():
            raise ValueError(f"{raw} is not a TFLM tree (no {TREE_MARKER}); see docs/tflm.md")
        chosen = (kernels[i] if len(kernels) > 1 else kernels[0]) if kernels else None
        trees.append(TflmTree(path, chosen or detect_tflm_kernels(path)))
    labels = [t.label for t in trees]
    if len(set(labels)) != len(labels):
        raise ValueError("two --tflm-dir trees with the same kernel set: give one of each")
    return trees


def tflm_objects_dir(tree: TflmTree, board: str) -> Path:
    """Where the TFLM objects of ``tree`` for ``board`` are compiled (make's TFLM_BUILD), shared
    by every model's firmware so that the library compiles once."""
    tag = hashlib.sha256(str(tree.path).encode()).hexdigest()[:10]
    return CACHE_DIR / "tflm-objs" / f"{board}{TFLM_OPT}-{tree.kernels}-{tag}"


# One TFLM export + build at a time: builds sharing TFLM_BUILD must not compile the same objects
# at once, and TFLM_BUILD reaches make through the environment.
_TFLM_BUILD_LOCK = threading.Lock()


# --- models ----------------------------------------------------------------------------------


def build_keras(model: BenchModel) -> Any:
    import tf_keras

    tf_keras.utils.set_random_seed(model.seed)
    layers: list[Any] = [tf_keras.Input(shape=(model.timesteps, model.features), batch_size=1)]
    if model.arch:
        around = ARCHITECTURES[model.arch](tf_keras.layers, model.hidden)
        return tf_keras.Sequential(layers + around)
    cell = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[model.cell]
    for i in range(model.layers):
        layer = getattr(tf_keras.layers, cell)
        layers.append(layer(model.hidden, return_sequences=i < model.layers - 1))
    layers.append(tf_keras.layers.Dense(model.outputs, activation="softmax"))
    return tf_keras.Sequential(layers)


def converted(model: BenchModel) -> tuple[Path, float, bool]:
    """The cached .tflite, the time its conversion took, and whether this run converted it.

    The conversion time is stored beside the model so a cached run still reports it.
    """
    path = CACHE_DIR / "models" / f"{model.name}-{model.key}.tflite"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, float(json.loads(meta.read_text())["convert_s"]), False
    from quantize.convert import convert_keras

    rng = np.random.default_rng(model.seed + 100)
    calib = rng.standard_normal((64, model.timesteps, model.features)).astype(np.float32)
    keras_model = build_keras(model)
    start = time.perf_counter()
    if model.cell == "lstm":
        tflite = convert_keras(keras_model, calib).tflite
    else:
        from quantize.custom_recurrent import convert_with_custom_recurrent

        tflite = convert_with_custom_recurrent(keras_model, calib)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(tflite)
    os.replace(tmp, path)
    meta.write_text(json.dumps({"convert_s": seconds}) + "\n")
    return path, seconds, True


# --- one firmware ----------------------------------------------------------------------------


def measure(
    model: BenchModel, tflite: Path, variant: Variant, link_samples: int, repeats: int = 1
) -> dict[str, Any]:
    """Export, build and run one firmware; ``repeats`` separate QEMU sessions of it."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    out_dir = CACHE_DIR / "fw" / model.name / variant.label
    start = time.perf_counter()
    export = export_project(
        tflite, variant.board, out_dir, runtime="native", weight_storage=variant.weights
    )
    opt = "-O2" if variant.dsp or not variant.has_dsp else "-O2 -DEL_USE_DSP=0"
    build = build_project(out_dir, jobs=1, opt=opt)
    export_build_s = time.perf_counter() - start
    details = export.details
    macs = int(details["macs_per_inference"])
    engine_ram = int(details["ram_state_bytes"]) + int(details["ram_scratch_bytes"])

    sessions = run_sessions(model, build.elf, variant.board, link_samples, repeats)
    first = sessions[0]
    counts = [s["instructions"] for s in sessions]
    repeatable = all(c == counts[0] for c in counts)  # else the smallest is reported
    spreads = [max(s["bench_max"], s["infer_instructions"]) - s["instructions"] for s in sessions]
    sizes = build.sizes
    return {
        "model": model.name,
        "board": variant.board,
        "dsp": variant.dsp,
        "weights": variant.weights,
        "variant": variant.label,
        "hidden": model.hidden,
        "timesteps": model.timesteps,
        "features": model.features,
        "layers": model.layers,
        "arch": model.arch or None,
        "macs_per_inference": macs,
        "instructions": min(counts),
        "instructions_per_mac": round(min(counts) / macs, 3),
        "instructions_all_sessions": counts,
        "repeatable": repeatable,
        "within_session_spread": max(spreads),
        "sessions": [{k: v for k, v in s.items() if not k.startswith("link")} for s in sessions],
        "cycle_unit": first["cycle_unit"],
        "sizes": asdict(sizes),
        "flash_bytes": sizes.flash_bytes,
        "ram_bytes": sizes.ram_bytes,
        "flash_weights_bytes": int(details["flash_weights_bytes"]),
        "flash_code_bytes": sizes.flash_bytes - int(details["flash_weights_bytes"]),
        "engine_code_bytes": engine_code_bytes(out_dir, build.elf),
        "ram_state_bytes": int(details["ram_state_bytes"]),
        "ram_scratch_bytes": int(details["ram_scratch_bytes"]),
        "engine_ram_bytes": engine_ram,
        "device_ram_bytes": first["device_ram_bytes"],
        "stack_reserved_bytes": sizes.stack,
        "stack_used_bytes": first["stack_used_bytes"],
        "ram_used_bytes": sizes.data + sizes.bss + first["stack_used_bytes"],
        "ram_other_bytes": sizes.ram_bytes - engine_ram - sizes.stack,
        "export_build_s": round(export_build_s, 2),
        **(
            {
                "link_samples": first["link_samples"],
                "link_samples_per_s": first["link_samples_per_s"],
            }
            if link_samples
            else {}
        ),
    }


def measure_tflm(
    model: BenchModel, tflite: Path, board: str, tree: TflmTree, repeats: int = 1
) -> dict[str, Any]:
    """Export the model on TFLM (``tree``'s kernel set), build it against the tree with the
    objects shared across models, and measure it as the native firmware is measured."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    out_dir = CACHE_DIR / "fw" / model.name / f"{board}-{tree.label}"
    objects = tflm_objects_dir(tree, board)
    with _TFLM_BUILD_LOCK:
        start = time.perf_counter()
        export = export_project(
            tflite, board, out_dir, runtime="tflm", tflm_kernels=tree.kernels, tflm_dir=tree.path
        )
        previous = os.environ.get("TFLM_BUILD")
        os.environ["TFLM_BUILD"] = str(objects)
        try:
            build = build_project(out_dir, jobs=os.cpu_count() or 2, opt=TFLM_OPT)
        finally:
            if previous is None:
                os.environ.pop("TFLM_BUILD", None)
            else:
                os.environ["TFLM_BUILD"] = previous
        export_build_s = time.perf_counter() - start
    details = export.details
    sessions = run_sessions(model, build.elf, board, 0, repeats)
    first = sessions[0]
    counts = [s["instructions"] for s in sessions]
    spreads = [max(s["bench_max"], s["infer_instructions"]) - s["instructions"] for s in sessions]
    sizes = build.sizes
    return {
        "model": model.name,
        "board": board,
        "runtime": "tflm",
        "kernels": tree.kernels,
        "tflm_dir": str(tree.path),
        "variant": f"{board}-{tree.label}",
        "hidden": model.hidden,
        "timesteps": model.timesteps,
        "features": model.features,
        "layers": model.layers,
        "instructions": min(counts),
        "instructions_all_sessions": counts,
        "repeatable": all(c == counts[0] for c in counts),
        "within_session_spread": max(spreads),
        "sessions": sessions,
        "cycle_unit": first["cycle_unit"],
        "sizes": asdict(sizes),
        "flash_bytes": sizes.flash_bytes,
        "ram_bytes": sizes.ram_bytes,
        "model_bytes": int(details["model_bytes"]),
        "flash_code_bytes": sizes.flash_bytes - int(details["model_bytes"]),
        "arena_bytes": int(details["arena_bytes"]),
        "arena_minimum_bytes": int(details["arena_minimum"]),
        "ops": list(details["ops"]),
        "device_ram_bytes": first["device_ram_bytes"],
        "stack_reserved_bytes": sizes.stack,
        "stack_used_bytes": first["stack_used_bytes"],
        "ram_used_bytes": sizes.data + sizes.bss + first["stack_used_bytes"],
        "tflm_objects": str(objects),
        "export_build_s": round(export_build_s, 2),
    }


def compare_tflm(tflm_rows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Add the native figures of the same model and board (the build with DSP where the core
    has it) to each TFLM row: instructions, the ratio TFLM / native, flash and RAM."""
    native = {(r["model"], r["board"]): r for r in rows if r["variant"] == r["board"]}
    for row in tflm_rows:
        ref = native.get((row["model"], row["board"]))
        if ref is None:
            continue
        row["macs_per_inference"] = ref["macs_per_inference"]
        row["instructions_per_mac"] = round(row["instructions"] / ref["macs_per_inference"], 3)
        row["native_instructions"] = ref["instructions"]
        row["ratio_to_native"] = round(row["instructions"] / ref["instructions"], 2)
        row["native_flash_bytes"] = ref["flash_bytes"]
        row["native_ram_bytes"] = ref["ram_bytes"]
        row["native_ram_used_bytes"] = ref["ram_used_bytes"]
        row["native_stack_used_bytes"] = ref["stack_used_bytes"]


def run_sessions(
    model: BenchModel, elf: Path, board: str, link_samples: int, repeats: int
) -> list[dict[str, Any]]:
    """``repeats`` separate QEMU sessions of one firmware, each measuring the same fixed input."""
    from edge_lstm.harness.device import Device
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    rng = np.random.default_rng(model.seed + 300)
    x = rng.integers(-128, 128, size=model.timesteps * model.features).astype(np.int8)
    sessions: list[dict[str, Any]] = []
    for _ in range(repeats):
        with QemuBoard(elf, get_board(board)) as qemu, Device(qemu.port) as dev:
            info = dev.hello()
            bench = dev.bench(BENCH_RUNS, x)
            _, infer_cycles = dev.infer(x)
            # The minimum: a long run also counts the SysTick wrap handler each time the 24-bit
            # counter wraps (every 2^24 ticks), which the shortest run contains the fewest of.
            session: dict[str, Any] = {
                "instructions": min(bench.min, infer_cycles),
                "bench_median": bench.median,
                "bench_min": bench.min,
                "bench_max": bench.max,
                "infer_instructions": infer_cycles,
                "cycle_unit": info.cycle_unit,
                "device_ram_bytes": info.ram_bytes,
                "stack_used_bytes": bench.stack_used,  # painted-stack high-water mark
            }
            if link_samples and not sessions:
                samples = rng.integers(-128, 128, size=(link_samples, x.size)).astype(np.int8)
                t0 = time.perf_counter()
                done = 0
                for sample in samples:
                    dev.infer(sample)
                    done += 1
                    if time.perf_counter() - t0 > LINK_TIME_CAP_S:
                        break
                elapsed = time.perf_counter() - t0
                session["link_samples"] = done
                session["link_samples_per_s"] = round(done / elapsed, 2)
            sessions.append(session)
    return sessions


def reference_rate(path: Path, model: BenchModel, samples: int = 300) -> float:
    """Host-side speed of the numpy reference (a batch of sequences, vectorized over samples)."""
    from quantize.reference import run_reference
    from quantize.tflite_ir import read_model

    ir = read_model(path)
    x = (
        np.random.default_rng(model.seed)
        .integers(-128, 128, size=(samples, model.timesteps, model.features))
        .astype(np.int8)
    )
    start = time.perf_counter()
    run_reference(ir, x)
    return round(samples / (time.perf_counter() - start), 1)


def engine_code_bytes(project_dir: Path, elf: Path) -> int:
    """Bytes of functions linked from the engine's own objects (runtime/ and model/).

    Flash minus weights also counts the app, protocol, board support and libc pieces; the
    code target is about the engine, so its functions are summed from the ELF's symbol table
    (what the linker kept, not what the objects offered).
    """
    from elftools.elf.elffile import ELFFile

    engine_names: set[str] = set()
    objs = project_dir / "build" / "obj"
    for obj in [*objs.glob("runtime/*.o"), *objs.glob("model/*.o")]:
        with obj.open("rb") as f:
            symtab = ELFFile(f).get_section_by_name(".symtab")
            for sym in symtab.iter_symbols() if symtab is not None else []:
                if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] != "SHN_UNDEF":
                    engine_names.add(sym.name)
    total = 0
    with elf.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab is not None else []:
            if sym["st_info"]["type"] == "STT_FUNC" and sym.name in engine_names:
                total += int(sym["st_size"])
    return total


# --- targets and report ----------------------------------------------------------------------


def uncommitted_note(result: dict[str, Any]) -> list[str]:
    """The lines a results table ends with when the measured tree had uncommitted edits."""
    edits = result["source"].get("uncommitted")
    if not edits:
        return []
    return ["", "Measured with uncommitted edits in: " + ", ".join(f"`{f}`" for f in edits) + "."]


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stated target against the measured numbers: one verdict per applicable row."""
    verdicts: list[dict[str, Any]] = []

    def add(target: str, row: dict[str, Any], value: float, limit: float) -> None:
        verdicts.append(
            {
                "target": target,
                "model": row["model"],
                "variant": row["variant"],
                "value": value,
                "limit": limit,
                "met": value <= limit,
            }
        )

    for row in rows:
        ipm = row["instructions_per_mac"]
        weights = row.get("weights", "int8")
        w = f", {weights} weights"
        if row["board"] == "qemu-cortex-m4" and row["dsp"]:
            if row["hidden"] >= 32:
                add(f"M4+DSP instr/MAC <= 2.0 (hidden >= 32){w}", row, ipm, 2.0)
            if row["hidden"] >= 128:
                add(f"M4+DSP instr/MAC <= 1.5 (hidden >= 128){w}", row, ipm, 1.5)
            if row["layers"] == 1 and weights == "int8":
                add("engine code < 6 KB, one layer", row, row["engine_code_bytes"], 6 * 1024)
                add(
                    "all code (flash - weights) < 6 KB, one layer",
                    row,
                    row["flash_code_bytes"],
                    6 * 1024,
                )
        if row["board"] == "qemu-cortex-m3":
            add(f"M3 instr/MAC <= 3{w}", row, ipm, 3.0)
    return verdicts


def tool_version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "missing"
    return out.splitlines()[0].strip() if out else "unknown"


SNAPSHOT_ENV = "EDGE_LSTM_BENCH_SNAPSHOT"
SOURCE_DIRS = ("quantize", "firmware_gen", "targets", "edge_lstm")


def rerun_at_commit(rev: str, argv: list[str]) -> int:
    """Run this script again with a clean export of ``rev`` first on the import path.

    The working tree's engine may hold edits in progress; results tagged with a commit should
    come from exactly that commit.
    """
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    snap = CACHE_DIR / "src" / sha
    if not (snap / "firmware_gen").is_dir():
        tmp = snap.with_name(f"{sha}.tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, *SOURCE_DIRS], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        os.replace(tmp, snap)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(snap), *filter(None, [os.environ.get("PYTHONPATH")])]),
        **{SNAPSHOT_ENV: sha},
    )
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *argv], env=env, check=False
    ).returncode


def source_info() -> dict[str, Any]:
    """Where the engine came from, and the uncommitted edits it carried, if any."""
    import firmware_gen

    root = Path(firmware_gen.__file__).resolve().parent.parent
    info: dict[str, Any] = {"root": str(root), "snapshot": os.environ.get(SNAPSHOT_ENV)}
    if not info["snapshot"]:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", *SOURCE_DIRS],
            capture_output=True,
            text=True,
            check=False,
        )
        info["uncommitted"] = [line[3:] for line in out.stdout.splitlines()]
    return info


def git_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "unknown"


def markdown(result: dict[str, Any]) -> str:
    rows = result["rows"]
    labels = [v for v in result["variants"]]
    lines = [
        f"Measured {result['date']} at commit `{result['git_commit'][:10]}` with "
        f"`{result['command']}`; {result['gcc']}; {result['qemu']}.",
        "",
        "Instructions per MAC (guest instructions per inference, the smallest of 3 `bench` runs "
        "and one `infer` of a fixed random input, `-O2`; same figure in every QEMU session: "
        f"{'yes' if result['deterministic'] else 'NO'}):",
        "",
        "| model | MACs | " + " | ".join(labels) + " |",
        "|---|---:|" + "---:|" * len(labels),
    ]
    by_model: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[row["variant"]] = row
    for name, cells in by_model.items():
        any_row = next(iter(cells.values()))
        vals = [f"{cells[v]['instructions_per_mac']:.2f}" if v in cells else "-" for v in labels]
        lines.append(f"| {name} | {any_row['macs_per_inference']:,} | " + " | ".join(vals) + " |")
    lines += [
        "",
        "Memory (Cortex-M4 build with DSP) and host-side figures; flash = text + rodata + data, "
        "RAM = data + bss + stack reservation, RAM used = data + bss + measured stack high-water "
        "mark, engine = state + scratch:",
        "",
        "| model | instr (M4) | spread | flash | weights | code | engine code | RAM | RAM used "
        "| engine | stack used | convert s | export+build s | link samples/s "
        "| reference samples/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, cells in by_model.items():
        row = cells.get("qemu-cortex-m4") or next(iter(cells.values()))
        rate = row.get("link_samples_per_s", "-")
        lines.append(
            f"| {name} | {row['instructions']:,} | {row['within_session_spread']:,} | "
            f"{row['flash_bytes']:,} | "
            f"{row['flash_weights_bytes']:,} | {row['flash_code_bytes']:,} | "
            f"{row['engine_code_bytes']:,} | "
            f"{row['ram_bytes']:,} | {row['ram_used_bytes']:,} | {row['engine_ram_bytes']:,} | "
            f"{row['stack_used_bytes']:,} | "
            f"{result['convert_s'].get(name, 0):.1f} | {row['export_build_s']:.1f} | {rate} | "
            f"{result.get('reference_samples_per_s', {}).get(name, '-')} |"
        )
    lines += uncommitted_note(result)
    failed: dict[str, list[str]] = {}
    for failure in result["failures"]:
        errors = [ln for ln in failure["error"].splitlines() if "error:" in ln]
        reason = (errors or failure["error"].strip().splitlines() or ["?"])[0].strip()
        failed.setdefault(f"{failure['variant']}: `{reason}`", []).append(failure["model"])
    for what, models in failed.items():
        lines += ["", f"FAILED on {what} ({len(models)} models)"]
    too_big: dict[str, list[str]] = {}
    for row in result.get("does_not_fit", []):
        too_big.setdefault(row["variant"], []).append(row["model"])
    for variant, models in too_big.items():
        lines += ["", f"Does not fit {variant}'s memory (-): {', '.join(models)}"]
    verdicts = result["targets"]
    lines += [
        "",
        "Targets (every applicable row of the table; worst = furthest from the limit):",
        "",
        "| target | met | worst | best |",
        "|---|---:|---|---|",
    ]
    by_target: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        by_target.setdefault(v["target"], []).append(v)
    for target, checks in by_target.items():
        worst = max(checks, key=lambda v: v["value"])
        best = min(checks, key=lambda v: v["value"])
        met = sum(v["met"] for v in checks)
        lines.append(
            f"| {target} | {met} of {len(checks)} | {worst['value']:,} "
            f"({worst['model']}) | {best['value']:,} ({best['model']}) |"
        )
    return "\n".join(lines) + "\n"


def tflm_markdown(result: dict[str, Any]) -> str:
    """The TFLM firmwares beside the native engine, one line per model and board."""
    tflm = result["tflm"]
    labels = [t["label"] for t in tflm["trees"]]
    trees = ", ".join(f"`{t['label']}`: {t['kernels']} kernels" for t in tflm["trees"])
    lines = [
        f"Measured {result['date']} at commit `{result['git_commit'][:10]}` with "
        f"`{result['command']}`; {result['gcc']}; {result['qemu']}; TFLM trees: {trees}.",
        "",
        "Instructions per inference (the smallest of 3 `bench` runs and one `infer` of the same "
        "fixed random input as the native row, `-O2`; same figure in every QEMU session: "
        f"{'yes' if result['deterministic'] else 'NO'}); x native = TFLM / native; native = the "
        "build with DSP where the core has it:",
        "",
        "| model | board | native | " + " | ".join(f"{lb} | x native" for lb in labels) + " |",
        "|---|---|---:|" + "---:|---:|" * len(labels),
    ]
    by_key: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in tflm["rows"]:
        by_key.setdefault((row["model"], row["board"]), {})[f"tflm-{row['kernels']}"] = row
    for (name, board), cells in by_key.items():
        any_row = next(iter(cells.values()))
        native = any_row.get("native_instructions")
        vals = [
            f"{cells[lb]['instructions']:,} | {cells[lb].get('ratio_to_native', '-')}"
            if lb in cells
            else "- | -"
            for lb in labels
        ]
        lines.append(
            f"| {name} | {board} | {f'{native:,}' if native else '-'} | " + " | ".join(vals) + " |"
        )
    lines += [
        "",
        "Memory: flash = text + rodata + data (TFLM: the whole flatbuffer, interpreter and "
        "kernels), RAM = data + bss + stack reservation (TFLM: with the arena at its shipped "
        "figure), RAM used = data + bss + measured stack high-water mark; arena = the shipped "
        "figure (derived minimum + margin):",
        "",
        "| model | board | native flash | native RAM | native RAM used | native stack used | "
        + " | ".join(f"{lb} flash | RAM | RAM used | stack used | arena" for lb in labels)
        + " |",
        "|---|---|---:|---:|---:|---:|" + "---:|---:|---:|---:|---:|" * len(labels),
    ]
    for (name, board), cells in by_key.items():
        any_row = next(iter(cells.values()))
        native_cells = [
            f"{any_row[k]:,}" if k in any_row else "-"
            for k in (
                "native_flash_bytes",
                "native_ram_bytes",
                "native_ram_used_bytes",
                "native_stack_used_bytes",
            )
        ]
        vals = [
            " | ".join(
                f"{cells[lb][k]:,}"
                for k in (
                    "flash_bytes",
                    "ram_bytes",
                    "ram_used_bytes",
                    "stack_used_bytes",
                    "arena_bytes",
                )
            )
            if lb in cells
            else " | ".join(["-"] * 5)
            for lb in labels
        ]
        lines.append(
            f"| {name} | {board} | " + " | ".join(native_cells) + " | " + " | ".join(vals) + " |"
        )
    for failure in tflm["failures"]:
        errors = [ln for ln in failure["error"].splitlines() if "error" in ln.lower()]
        reason = (errors or failure["error"].strip().splitlines() or ["?"])[0].strip()
        lines += ["", f"FAILED: {failure['model']} on {failure['variant']}: `{reason}`"]
    lines += uncommitted_note(result)
    return "\n".join(lines) + "\n"


def write_readme_table(text: str, begin: str = BEGIN_MARK, end: str = END_MARK) -> None:
    """Replace what sits between the markers, leaving the rest of the README as written."""
    if not README.exists():
        return
    content = README.read_text()
    if begin not in content or end not in content:
        return
    head, rest = content.split(begin, 1)
    _, tail = rest.split(end, 1)
    README.write_text(f"{head}{begin}\n{text}{end}{tail}")


def tflm_board_choice(given: list[str] | None, chosen: list[str]) -> list[str]:
    """The boards the TFLM firmwares run on (each compiles the TFLM library once)."""
    if given:
        return list(dict.fromkeys(given))
    boards = list(dict.fromkeys(chosen))
    return ["qemu-cortex-m4"] if "qemu-cortex-m4" in boards else boards[:1]


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one model on qemu-cortex-m4, measured twice; fails unless the "
        "instruction counts are identical",
    )
    parser.add_argument(
        "--boards", nargs="+", default=list(EMULATED_BOARDS), choices=EMULATED_BOARDS
    )
    parser.add_argument(
        "--models",
        nargs="+",
        help="only these models (by name): the grid's, gru-/rnn-/lstm-hH-t32-f6 (H 16, 32, 64) "
        "and the architectures conv-lstm, bilstm, lstm-gap, norm-lstm-sigmoid (-h32-t64-f6)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--name", help="results file stem (default: quick or grid)")
    parser.add_argument("--jobs", type=int, default=2, help="firmwares measured in parallel")
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="QEMU sessions per firmware; counts must agree across them",
    )
    parser.add_argument(
        "--weights",
        nargs="+",
        choices=["int8", "int16"],
        default=["int8", "int16"],
        help="LSTM weight storages to measure (default both; int16 on each "
        "board's fastest path only)",
    )
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument(
        "--at-commit",
        metavar="REV",
        help="measure the engine as committed at REV (a clean copy), not the working tree",
    )
    parser.add_argument(
        "--tflm-dir",
        nargs="+",
        type=Path,
        metavar="TREE",
        help="also export every model on TFLM against this tree (one or more, "
        "made by TFLM's create_tflm_tree.py), build and measure it beside "
        "the native engine",
    )
    parser.add_argument(
        "--tflm-kernels",
        nargs="+",
        choices=TFLM_KERNEL_SETS,
        help="the trees' kernel sets (one for all, or one per tree; default: "
        "detected from each tree)",
    )
    parser.add_argument(
        "--tflm-boards",
        nargs="+",
        choices=EMULATED_BOARDS,
        help="boards for the TFLM firmwares (default: qemu-cortex-m4 if chosen, "
        "else the first chosen board)",
    )
    parser.add_argument(
        "--tflm-pair",
        action="store_true",
        help="build the i-th --tflm-dir tree for the i-th --tflm-boards board only (e.g. "
        "reference kernels on the M0 and CMSIS-NN on the M55 in one run)",
    )
    args = parser.parse_args(argv)
    try:
        trees = tflm_trees(args.tflm_dir, args.tflm_kernels)
        if args.tflm_pair and len(args.tflm_boards or []) != len(trees):
            raise ValueError("--tflm-pair needs one --tflm-boards board per --tflm-dir tree")
    except ValueError as exc:
        parser.error(str(exc))
    raw_argv = argv if argv is not None else sys.argv[1:]
    if args.at_commit and not os.environ.get(SNAPSHOT_ENV):
        return rerun_at_commit(args.at_commit, raw_argv)
    source = source_info()

    if args.quick:
        models = [QUICK_MODEL]
        chosen = [Variant("qemu-cortex-m4", True, True)]
        repeats, link_samples = 2, 20
    else:
        models = grid()
        if args.models:
            known = models + recurrent_models() + architecture_models()
            models = [m for m in known if m.name in set(args.models)]
        chosen = variants(args.boards, tuple(args.weights))
        repeats, link_samples = args.repeats, LINK_SAMPLES
    name = args.name or ("quick" if args.quick else "grid")
    command = "python benchmarks/run.py " + " ".join(raw_argv)

    started = time.perf_counter()
    tflites: dict[str, Path] = {}
    convert_s: dict[str, float] = {}
    reference_samples_per_s: dict[str, float] = {}
    for model in models:
        path, seconds, fresh = converted(model)
        tflites[model.name], convert_s[model.name] = path, round(seconds, 2)
        reference_samples_per_s[model.name] = reference_rate(path, model)
        print(
            f"model {model.name}: {'converted' if fresh else 'cached'} ({seconds:.1f} s), "
            f"numpy reference {reference_samples_per_s[model.name]:.0f} samples/s",
            flush=True,
        )

    jobs: list[tuple[BenchModel, Variant | tuple[str, TflmTree]]] = [
        (m, v) for m in models for v in chosen
    ]
    tflm_boards = tflm_board_choice(args.tflm_boards, [v.board for v in chosen]) if trees else []
    pairs = (
        list(zip(trees, args.tflm_boards, strict=True))
        if args.tflm_pair
        else [(t, b) for t in trees for b in tflm_boards]
    )
    tflm_jobs: list[tuple[BenchModel, Variant | tuple[str, TflmTree]]] = [
        (m, (b, t)) for t, b in pairs for m in models
    ]
    # The first TFLM build compiles the library (minutes; builds take turns): start it first,
    # so that the native firmwares are measured meanwhile.
    jobs = tflm_jobs[:1] + jobs + tflm_jobs[1:]

    def one(job: tuple[BenchModel, Variant | tuple[str, TflmTree]]) -> dict[str, Any]:
        from targets.errors import DoesNotFitError

        model, what = job
        label = what.label if isinstance(what, Variant) else f"{what[0]}-{what[1].label}"
        try:
            if isinstance(what, Variant):
                return measure_row(model, what)
            return measure_tflm_row(model, *what)
        except DoesNotFitError as exc:  # the grid's big models on a small board: a fact, no fault
            print(f"{model.name:22s} {label:22s} does not fit: {exc}", flush=True)
            skipped = {"model": model.name, "variant": label, "does_not_fit": str(exc)}
            return skipped | ({} if isinstance(what, Variant) else {"runtime": "tflm"})
        except Exception as exc:  # one broken build must not cost the rest of the grid
            print(f"{model.name:22s} {label:22s} FAILED: {exc}", flush=True)
            failure = {"model": model.name, "variant": label, "error": str(exc)[-2000:]}
            return failure | ({} if isinstance(what, Variant) else {"runtime": "tflm"})

    def measure_tflm_row(model: BenchModel, board: str, tree: TflmTree) -> dict[str, Any]:
        row = measure_tflm(model, tflites[model.name], board, tree, repeats)
        print(
            f"{model.name:22s} {row['variant']:22s} {row['instructions']:>11,} instr "
            f"flash {row['flash_bytes']:,} RAM {row['ram_bytes']:,} "
            f"arena {row['arena_bytes']:,} stack used {row['stack_used_bytes']:,}"
            f"{'' if row['repeatable'] else '  NOT REPEATABLE'}",
            flush=True,
        )
        return row

    def measure_row(model: BenchModel, variant: Variant) -> dict[str, Any]:
        # The link rate is a property of the host and the model, so one board measures it.
        samples = link_samples if variant == Variant("qemu-cortex-m4", True, True) else 0
        row = measure(model, tflites[model.name], variant, samples, repeats)
        print(
            f"{model.name:22s} {variant.label:22s} {row['instructions']:>11,} instr "
            f"{row['instructions_per_mac']:.3f}/MAC flash {row['flash_bytes']:,} "
            f"RAM {row['ram_bytes']:,} spread {row['within_session_spread']}"
            f"{'' if row['repeatable'] else '  NOT REPEATABLE'}",
            flush=True,
        )
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(one, jobs))
    tflm_outcomes = [r for r in outcomes if r.get("runtime") == "tflm"]
    outcomes = [r for r in outcomes if r.get("runtime") != "tflm"]
    too_big = [r for r in outcomes + tflm_outcomes if "does_not_fit" in r]
    outcomes = [r for r in outcomes if "does_not_fit" not in r]
    tflm_outcomes = [r for r in tflm_outcomes if "does_not_fit" not in r]
    rows = [r for r in outcomes if "error" not in r]
    failures = [r for r in outcomes if "error" in r]
    tflm_rows = [r for r in tflm_outcomes if "error" not in r]
    tflm_failures = [r for r in tflm_outcomes if "error" in r]
    compare_tflm(tflm_rows, rows)

    result: dict[str, Any] = {
        "command": command,
        "git_commit": os.environ.get(SNAPSHOT_ENV) or git_commit(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "gcc": tool_version(["arm-none-eabi-gcc", "--version"]),
        "qemu": tool_version(["qemu-system-arm", "--version"]),
        "host": {"cpus": os.cpu_count(), "parallel_jobs": args.jobs},
        "quick": args.quick,
        "variants": [v.label for v in chosen],
        "models": [asdict(m) | {"name": m.name} for m in models],
        "convert_s": convert_s,
        "reference_samples_per_s": reference_samples_per_s,
        "source": source,
        "rows": rows,
        "failures": failures,
        "does_not_fit": too_big,
        "targets": check_targets(rows),
        # Counts repeat exactly across sessions. Within one session the INFER and BENCH
        # measurements of the same inference may differ by one instruction: the counter ticks
        # in 1/8 instructions and a difference is rounded to whole instructions, which flips
        # by one when the two readings' tick phases straddle a half.
        "deterministic": all(r["repeatable"] for r in rows + tflm_rows)
        and not (args.quick and any(r["within_session_spread"] > 1 for r in rows)),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if trees:
        result["tflm"] = {
            "trees": [{"path": str(t.path), "kernels": t.kernels, "label": t.label} for t in trees],
            "boards": tflm_boards,
            "opt": TFLM_OPT,
            "rows": tflm_rows,
            "failures": tflm_failures,
        }
    args.out.mkdir(parents=True, exist_ok=True)
    out_path = args.out / f"{name}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out_path} ({result['wall_s']} s)")
    if not args.quick and not args.no_readme:
        if trees:  # its own block: a TFLM run need not cover the whole grid
            write_readme_table(tflm_markdown(result), TFLM_BEGIN_MARK, TFLM_END_MARK)
        else:
            write_readme_table(markdown(result))
    if failures or tflm_failures:
        print(
            f"{len(failures) + len(tflm_failures)} firmware(s) failed to build or run",
            file=sys.stderr,
        )
        return 1
    if not result["deterministic"]:
        print("instruction counts differ between runs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if shutil.which("arm-none-eabi-gcc") is None:
        print("arm-none-eabi-gcc not found", file=sys.stderr)
        sys.exit(3)
    sys.exit(main())
