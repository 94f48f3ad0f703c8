"""The whole road in one call: (train ->) quantize -> export -> build -> boot -> validate.

Each stage is timed and announced, so that the one-shot `run` and the `demo` show where the time
goes; the stages call the same library functions as the individual commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_lstm.data import check_output_folder, load_data, model_input, write_atomic


@dataclass
class Stages:
    """Stage timings, printed as they end."""

    echo: Callable[[str], None]
    total: int
    done: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        index = len(self.done) + 1
        self.echo(f"[{index}/{self.total}] {name} ...")
        started = time.monotonic()
        yield
        seconds = round(time.monotonic() - started, 2)
        self.done.append({"name": name, "seconds": seconds})
        self.echo(f"[{index}/{self.total}] {name} done in {seconds:.1f} s")


@dataclass
class RunResult:
    summary: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def passed(self) -> bool:
        return bool(self.summary["validate"]["passed"])


def run_pipeline(
    keras_path: Path,
    calib_path: Path,
    test_path: Path,
    work_dir: Path,
    board_name: str,
    runtime: str = "native",
    weight_storage: str = "int8",
    limit: int | None = None,
    echo: Callable[[str], None] = print,
    progress: bool = True,
    stages: Stages | None = None,
    ports: list[str] | None = None,
    baud: int | None = None,
    probe: str | None = None,
) -> RunResult:
    from edge_lstm.export import export_project
    from edge_lstm.metrics import dequantize
    from edge_lstm.validate import open_ports, validate
    from quantize.convert import convert_keras, float_predict, load_keras_model
    from quantize.tflite_ir import parse_model
    from targets.build import build_project
    from targets.registry import get_board

    stages = stages or Stages(echo, total=4)
    board = get_board(board_name)
    check_output_folder(work_dir, "--work")
    calib = load_data(calib_path)
    test = load_data(test_path).take(limit)

    with stages.stage("quantize"):
        keras_model = load_keras_model(keras_path)
        converted = convert_keras(keras_model, calib.x)
        work_dir.mkdir(parents=True, exist_ok=True)
        model_path = work_dir / "model.tflite"
        write_atomic(model_path, converted.tflite)
        ir = parse_model(converted.tflite)
        y_float = float_predict(keras_model, test.x)
    with stages.stage("export"):
        exported = export_project(
            model_path,
            board.name,
            work_dir / "firmware",
            runtime=runtime,
            weight_storage=weight_storage,
        )
    with stages.stage("build"):
        built = build_project(exported.out_dir, board)
    with stages.stage(f"boot {board.name} and validate {len(test)} samples over serial"):
        if not (board.emulated or board.is_host):  # a real board: flash it first
            from targets.flash import plan_flash, run_flash

            run_flash(plan_flash(exported.out_dir, board, probe=probe))
        with open_ports(board.name, list(ports or []), built.elf) as urls:
            report, device_outputs = validate(
                model_path,
                test,
                urls,
                float_outputs=y_float,
                progress=progress,
                baud=baud or board.uart.baud,
            )
    doc = report.to_json()
    x_int8 = model_input(test.x, ir.input)
    from edge_lstm.engines import reference_outputs

    host_int8 = reference_outputs(converted.tflite, x_int8)
    out_t = ir.output
    arrays: dict[str, np.ndarray] = {
        "y_float": np.asarray(y_float, dtype=np.float32).reshape(len(test), -1),
        "y_int8_host": dequantize(host_int8, out_t.scale, out_t.zero_point).reshape(len(test), -1),
        "y_device": dequantize(device_outputs, out_t.scale, out_t.zero_point).reshape(
            len(test), -1
        ),
    }
    if test.y is not None and test.y.ndim == 1:
        arrays["y"] = test.y
    sizes = built.to_json()
    macs = int(exported.details.get("macs_per_inference", 0)) or None
    summary: dict[str, Any] = {
        "board": board.name,
        "runtime": runtime,
        "model": {
            "path": str(model_path),
            "sha256": ir.sha256,
            "ops": ir.opcodes,
            "macs": macs,
            "size_bytes": ir.size_bytes,
        },
        "validate": doc,
        "stages": stages.done,
        "memory": {
            key: sizes[key]
            for key in ("flash_bytes", "ram_bytes", "text", "rodata", "data", "bss", "stack")
            if key in sizes
        }
        | {
            "weights_bytes": exported.details.get("flash_weights_bytes"),
            "model_ram_bytes": exported.details.get("ram_bytes"),
            "stack_used_bytes": doc.get("stack_used_bytes"),
            # what the firmware really needs: static data plus the measured stack high-water
            "ram_used_bytes": int(sizes.get("data", 0))
            + int(sizes.get("bss", 0))
            + int(doc.get("stack_used_bytes") or 0),
        },
        "firmware": str(built.elf),
    }
    return RunResult(summary=summary, arrays=arrays)
