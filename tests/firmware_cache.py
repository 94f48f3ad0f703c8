"""Firmware for test models, exported and built once per test session."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from model_zoo import CACHE_DIR, tflite_path

# One firmware folder per pytest-xdist worker: two workers building the same model for the same
# board would otherwise export into one folder at once.
FIRMWARE_DIR = CACHE_DIR / "firmware" / os.environ.get("PYTEST_XDIST_WORKER", "main")


@functools.cache
def firmware(
    model_name: str, board: str = "qemu-cortex-m4", runtime: str = "native", weights: str = "int8"
) -> Path:
    """Export and build ``model_name`` for ``board``; the path of the firmware ELF/executable."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    suffix = "" if weights == "int8" else f"-{weights}"
    out = FIRMWARE_DIR / f"{model_name}-{board}-{runtime}{suffix}"
    exported = export_project(
        tflite_path(model_name), board, out, runtime=runtime, weight_storage=weights
    )
    return build_project(exported.out_dir).elf


def firmware_from(model_path: Path, out: Path, board: str = "qemu-cortex-m4") -> Path:
    from edge_lstm.export import export_project
    from targets.build import build_project

    exported = export_project(model_path, board, out)
    return build_project(exported.out_dir).elf
