"""Tools that some tests need: skip on a developer's machine, fail in CI where they must exist."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(tool: str) -> str:
    """Return the path of ``tool``; in CI a missing tool fails the test instead of skipping it."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (run ./scripts/setup.sh to install it)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def emulated_boards() -> list[str]:
    """Every board QEMU emulates, from the board files (a new emulated board joins the tests)."""
    from targets.registry import load_boards

    return sorted(name for name, b in load_boards().items() if b.qemu_machine is not None)
