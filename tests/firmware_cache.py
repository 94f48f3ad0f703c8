"""Firmware for test models, exported and built once per test session."""

from __future__ import annotations

import functools
from pathlib import Path

from model_zoo import CACHE_DIR, tflite_path


@functools.cache
def firmware(
    model_name: str, board: str = "qemu-cortex-m4", runtime: str = "native", weights: str = "int8"
) -> Path:
    """Export and build ``model_name`` for ``board``; the path of the firmware ELF/executable."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    suffix = "" if weights == "int8" else f"-{weights}"
    out = CACHE_DIR / "firmware" / f"{model_name}-{board}-{runtime}{suffix}"
    exported = export_project(
        tflite_path(model_name), board, out, runtime=runtime, weight_storage=weights
    )
    return build_project(exported.out_dir).elf


def firmware_from(model_path: Path, out: Path, board: str = "qemu-cortex-m4") -> Path:
    from edge_lstm.export import export_project
    from targets.build import build_project

    exported = export_project(model_path, board, out)
    return build_project(exported.out_dir).elf
