"""Assemble a firmware folder: model code, runtime, app, protocol header, board support.

Each part comes from its own package (firmware_gen for the model and the runtime, the harness
for the protocol header, targets for the board); this module only puts them side by side,
in a temporary folder renamed into place at the end so that a failed export leaves nothing
half-written behind. The folder is always assembled for make first; other build systems
(edge_lstm.project_formats) rearrange or extend that one folder, so every format compiles the
same sources.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_lstm import __version__
from edge_lstm.errors import BadInputError

RUNTIMES = ("native", "tflm")
WEIGHT_STORAGE = ("int8", "int16")  # the native engine's LSTM weight storage
TFLM_KERNELS = ("reference", "cmsis-nn")


@dataclass
class ExportResult:
    out_dir: Path
    board: str
    runtime: str
    model_sha256: str
    flash_bytes: int  # weights + code estimate (the built ELF gives the exact figure)
    ram_bytes: int  # state + scratch (+ arena) + stack estimate
    details: dict[str, Any] = field(default_factory=dict)
    format: str = "make"

    def to_json(self) -> dict[str, Any]:
        return {
            **self.details,
            "out_dir": str(self.out_dir),
            "board": self.board,
            "runtime": self.runtime,
            "format": self.format,
            "model_sha256": self.model_sha256,
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
        }


# Code size of the runtime, app and board support, and the stack the app needs: estimates
# for `export --json`, before any compiler ran; `build` reports the exact figures from the ELF.
CODE_BYTES_ESTIMATE = 10 * 1024  # engine + app + board support, -O2, measured on Cortex-M4
STACK_BYTES_ESTIMATE = 1024


def export_project(
    model_path: Path,
    board_name: str,
    out_dir: Path,
    runtime: str = "native",
    tflm_kernels: str = "reference",
    tflm_dir: Path | None = None,
    fmt: str = "make",
    weight_storage: str = "int8",
) -> ExportResult:
    from edge_lstm.harness.cgen import write_c_header
    from edge_lstm.project_formats import check_format
    from quantize.tflite_ir import read_model
    from targets.project import add_board_support
    from targets.registry import get_board

    if runtime not in RUNTIMES:
        raise BadInputError(f"unknown runtime '{runtime}'; choose one of {', '.join(RUNTIMES)}")
    if weight_storage not in WEIGHT_STORAGE:
        raise BadInputError(
            f"unknown weight storage '{weight_storage}'; choose one of {', '.join(WEIGHT_STORAGE)}"
        )
    if weight_storage != "int8" and runtime != "native":
        raise BadInputError(
            f"--weights {weight_storage} is a native-engine option; TFLM reads the .tflite "
            "weights as they are (drop --weights or use --runtime native)"
        )
    board = get_board(board_name)
    check_format(fmt, runtime, board.name)
    model = read_model(model_path)
    out_dir = Path(out_dir)
    if out_dir.exists() and not (out_dir / "edge_lstm.json").exists() and any(out_dir.iterdir()):
        raise BadInputError(
            f"{out_dir} exists and is not an edge-lstm firmware folder; choose an empty or new -o"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        details: dict[str, Any]
        if runtime == "native":
            from firmware_gen.native import generate

            native = generate(model, work, weight_storage=weight_storage)
            details = native.as_dict()
            flash = native.weights_bytes + CODE_BYTES_ESTIMATE
            ram = native.ram_bytes + STACK_BYTES_ESTIMATE
        else:
            from firmware_gen.tflm import generate as generate_tflm

            tflm = generate_tflm(
                Path(model_path), work, kernels=tflm_kernels, tflm_dir=tflm_dir, mve=board.mve
            )
            details = tflm.as_dict()
            flash = model.size_bytes + CODE_BYTES_ESTIMATE
            ram = int(details.get("arena_bytes", 0)) + STACK_BYTES_ESTIMATE
        app_dir = work / "app"
        app_dir.mkdir(exist_ok=True)
        from firmware_gen import include_dir

        for src in sorted((include_dir() / "app").iterdir()):
            if src.suffix in (".c", ".h"):
                shutil.copy2(src, app_dir / src.name)
        write_c_header(app_dir)
        shutil.copy2(model_path, work / "model.tflite")
        meta = {
            "tool": "edge-lstm",
            "version": __version__,
            "runtime": runtime,
            "model": "model.tflite",
            "model_sha256": model.sha256,
            "board": board.name,
        }
        if runtime == "native":
            meta["weight_storage"] = weight_storage
        (work / "edge_lstm.json").write_text(json.dumps(meta, indent=2) + "\n")
        add_board_support(work, board)
        if fmt != "make":
            _apply_format(work, fmt, board, Path(model_path), model.sha256)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(
        out_dir=out_dir,
        board=board.name,
        runtime=runtime,
        model_sha256=model.sha256,
        flash_bytes=flash,
        ram_bytes=ram,
        details=details,
        format=fmt,
    )


def _apply_format(work: Path, fmt: str, board: Any, model_path: Path, sha256: str) -> None:
    """Turn the assembled make folder into ``fmt`` and record the format in edge_lstm.json."""
    from edge_lstm import project_formats

    name = project_formats.library_name(model_path)
    if fmt == "cmake":
        project_formats.write_cmake(work, board)
    elif fmt == "platformio":
        project_formats.to_platformio(work, board, name)
    elif fmt == "arduino":
        project_formats.to_arduino(work, name, model_path.name, sha256)
    meta_path = work / "edge_lstm.json"
    meta = json.loads(meta_path.read_text())
    meta["format"] = fmt
    if fmt == "arduino":
        # The Arduino core, not a board file, supplies start-up and the serial port.
        meta.pop("board", None)
        meta["library"] = name
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
