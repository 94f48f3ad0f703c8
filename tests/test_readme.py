"""The README's step-by-step road runs as written, command by command, in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from toolchain import require

README = Path(__file__).resolve().parent.parent / "README.md"


def road_commands() -> list[str]:
    text = README.read_text()
    section = text.split("## The road, step by step", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(". "):  # venv activation: PATH is set below instead
            commands.append(re.sub(r"\s+", " ", line))
    return commands


def test_readme_names_the_two_scripts_and_ci_runs_the_test_one() -> None:
    text = README.read_text()
    assert "./scripts/demo.sh" in text and "./scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.tf
def test_readme_road_runs(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    commands = road_commands()
    assert [c.split()[1] for c in commands] == [
        "train",
        "quantize",
        "inspect",
        "reference",
        "export",
        "build",
        "validate",
    ]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "every output byte matched" in done.stdout
