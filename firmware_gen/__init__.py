"""C code generation: the native int8 engine, the TFLM export, and the C runtime package data."""

from pathlib import Path


def include_dir() -> Path:
    """The folder of the C99 runtime shipped with the package (kernels, helpers, app)."""
    return Path(__file__).resolve().parent / "runtime"
