"""The host board (cc, pseudo-terminal UART) and the `edge-lstm build` command: JSON report,
refusal of an image that does not fit, a missing toolchain."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import serial
from click.testing import CliRunner
from test_boards_helpers import ECHO_APP, build_echo
from toolchain import require

from edge_lstm.cli import main
from targets.project import add_board_support
from targets.registry import get_board


@pytest.mark.toolchain
def test_host_board_serial_exchange(tmp_path: Path) -> None:
    require("cc")
    result = build_echo(tmp_path, "host")
    proc = subprocess.Popen([str(result.elf)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("serial: /dev/pts/")
        with serial.Serial(first.split()[1], 115200, timeout=5) as link:
            link.write(b"hello")
            assert link.read(5) == b"hello"
            link.write(b"U")
            assert link.read_until(b"\n") == b"Uns\n"
            link.write(b"C")
            assert int(link.read_until(b"\n")[1:]) > 0
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _project(tmp_path: Path, board: str, extra: str = "") -> Path:
    project = tmp_path / "fw"
    shutil.copytree(ECHO_APP, project)
    if extra:
        (project / "model").mkdir()
        (project / "model" / "extra.c").write_text(extra)
    add_board_support(project, get_board(board))
    return project


@pytest.mark.toolchain
def test_build_cli_json(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    project = _project(tmp_path, "qemu-cortex-m4")
    run = CliRunner().invoke(main, ["build", str(project), "--json"])
    assert run.exit_code == 0, run.output
    report = json.loads(run.output)
    assert report["elf"].endswith("build/firmware.elf")
    assert report["flash_bytes"] == report["text"] + report["rodata"] + report["data"]
    assert report["ram_bytes"] == report["data"] + report["bss"] + report["stack"]
    assert report["stack"] == get_board("qemu-cortex-m4").stack_bytes
    assert report["bss"] >= 1024  # the UART receive ring buffer


@pytest.mark.toolchain
def test_build_refuses_image_too_big(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    big = (
        "const unsigned char el_big[600 * 1024] = {1};\n"
        "const unsigned char *el_big_ref(void);\n"
        "const unsigned char *el_big_ref(void) { return el_big; }\n"
    )
    project = _project(tmp_path, "nucleo-f446re", big)
    (project / "app" / "el_app.c").write_text(
        (project / "app" / "el_app.c")
        .read_text()
        .replace("el_bsp_init();", "el_bsp_init();\n    (void)el_big_ref();")
        .replace(
            '#include "el_bsp.h"', '#include "el_bsp.h"\nconst unsigned char *el_big_ref(void);'
        )
    )
    run = CliRunner().invoke(main, ["build", str(project)])
    assert run.exit_code == 2
    assert "does not fit nucleo-f446re" in run.output and "FLASH" in run.output


def test_build_missing_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, "qemu-cortex-m4")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = CliRunner().invoke(main, ["build", str(project)])
    assert run.exit_code == 3
    assert "apt-get install" in run.output and "arm-none-eabi" in run.output


def test_build_without_makefile(tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["build", str(tmp_path)])
    assert run.exit_code == 2
    assert "no Makefile" in run.output
