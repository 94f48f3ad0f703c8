"""Every `edge-lstm` command in a ```sh block of docs/*.md runs as written.

The docs are read in the order a user meets them (getting_started.md first, which writes the
digits.* files and fw/ the other pages use), all in one temporary folder that also holds
model.tflite (a small test model) for pages that name it. Commands that need a real board
cannot run here; they are listed below with the reason, and their options are checked against
the command's --help instead.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from model_zoo import tflite_path
from toolchain import require

from edge_lstm.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
FIRST = ("getting_started.md", "cli.md", "supported_models.md", "troubleshooting.md")

#: Commands that need hardware this machine does not have, and why.
HARDWARE_ONLY = {
    "edge-lstm validate --board nucleo-f446re --port /dev/ttyACM0 --model digits.tflite "
    "--data digits.test.npz": "needs a flashed NUCLEO-F446RE on /dev/ttyACM0 (validate has no "
    "--dry-run: it must talk to the board)",
}


def doc_pages() -> list[Path]:
    pages = sorted(DOCS.glob("*.md"))
    order = {name: i for i, name in enumerate(FIRST)}
    return sorted(pages, key=lambda p: (order.get(p.name, len(FIRST)), p.name))


def sh_commands(page: Path) -> list[str]:
    """The edge-lstm commands of the page's ```sh blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            # edge-lstm, possibly after environment assignments (NAME=value edge-lstm ...)
            if re.match(r"([A-Z_][A-Z0-9_]*=\S*\s+)*edge-lstm(\s|$)", line):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def split_env(command: str) -> tuple[dict[str, str], list[str]]:
    words = shlex.split(command)
    env = {}
    while "=" in words[0] and not words[0].startswith("edge-lstm"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


ALL = [(page.name, command) for page in doc_pages() for command in sh_commands(page)]


def test_docs_have_commands_and_the_hardware_list_is_current() -> None:
    pages = {name for name, _ in ALL}
    assert {"getting_started.md", "cli.md", "troubleshooting.md"} <= pages
    commands = {command for _, command in ALL}
    for command in HARDWARE_ONLY:
        assert command in commands, f"stale hardware-only entry: {command}"


@pytest.mark.parametrize(("page", "command"), ALL, ids=[f"{p}:{c[:60]}" for p, c in ALL])
def test_docs_command_options_exist(page: str, command: str) -> None:
    """Cheap drift check: the subcommand exists and takes every option the docs give it."""
    _, words = split_env(command)
    result = CliRunner().invoke(main, [words[1], "--help"], terminal_width=200)
    assert result.exit_code == 0, f"{page}: {command}: {result.output}"
    for option in [w.split("=")[0] for w in words[2:] if w.startswith("-") and w != "-"]:
        assert re.search(rf"(^|[\s,/]){re.escape(option)}\b", result.output), (
            f"{page}: `{command}` uses {option}, which `edge-lstm {words[1]} --help` lacks"
        )


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.tf
def test_docs_commands_run(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    require("cmake")
    shutil.copy(tflite_path("small"), tmp_path / "model.tflite")
    bin_dir = Path(sys.executable).parent
    base_env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    ran = []
    for page, command in ALL:
        if command in HARDWARE_ONLY:
            continue
        env, words = split_env(command)
        done = subprocess.run(
            words,
            cwd=tmp_path,
            env={**base_env, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (
            f"{page}: {command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
        ran.append((words[1], done.stdout))
    subcommands = {name for name, _ in ran}
    assert {
        "train",
        "quantize",
        "inspect",
        "reference",
        "export",
        "build",
        "validate",
        "flash",
        "boards",
    } <= subcommands
    validations = [out for name, out in ran if name == "validate"]
    assert any("every output byte matched" in out for out in validations)
    assert (tmp_path / "fw-f446" / "build" / "firmware.elf").is_file()
    assert (tmp_path / "fw-pio" / "platformio.ini").is_file()
    assert (tmp_path / "EdgeLstmDigits" / "library.properties").is_file()
