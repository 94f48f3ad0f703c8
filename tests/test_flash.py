"""`edge-lstm flash`: dry runs for every kind of board and the errors for missing pieces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_boards_helpers import ECHO_APP

from edge_lstm.cli import main
from targets.errors import MissingToolError
from targets.flash import find_uf2_drive, plan_flash, run_flash
from targets.project import add_board_support
from targets.registry import get_board


def _fake_built(tmp_path: Path, board: str) -> Path:
    """A firmware folder with placeholder build outputs: the planner only needs the paths."""
    project = tmp_path / board
    shutil.copytree(ECHO_APP, project)
    add_board_support(project, get_board(board))
    (project / "build").mkdir()
    for ext in ("elf", "bin", "hex", "uf2"):
        (project / "build" / f"firmware.{ext}").write_bytes(b"\0")
    return project


@pytest.mark.parametrize(
    "board,expected",
    [
        ("qemu-cortex-m4", "qemu-system-arm -M mps2-an386"),
        ("nucleo-f446re", "pyocd flash -t stm32f446retx"),
        ("rpi-pico", "firmware.uf2"),
        ("arduino-nano-33-ble", "bossac"),
        ("host", "firmware.elf"),
    ],
)
def test_dry_run(tmp_path: Path, board: str, expected: str) -> None:
    project = _fake_built(tmp_path, board)
    run = CliRunner().invoke(main, ["flash", str(project), "--board", board, "--dry-run"])
    assert run.exit_code == 0, run.output
    assert expected in run.output
    assert f"board: {board}" in run.output


def test_dry_run_reads_board_from_folder(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "nrf52840dk")
    run = CliRunner().invoke(main, ["flash", str(project), "--dry-run", "--tool", "openocd"])
    assert run.exit_code == 0, run.output
    assert "openocd -f board/nordic_nrf52_dk.cfg" in run.output


def test_qemu_command_has_icount_and_pty(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m55")
    plan = plan_flash(project, get_board("qemu-cortex-m55"))
    joined = " ".join(plan.command)
    assert "-M mps3-an547" in joined and "-serial pty" in joined
    # one instruction = 2^7 ns of virtual time: the SysTick counts stay exact (docs/boards.md)
    assert "-icount shift=7" in joined and "-semihosting-config enable=on" in joined


def test_qemu_command_for_the_cortex_m0(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m0")
    joined = " ".join(plan_flash(project, get_board("qemu-cortex-m0")).command)
    # the microbit's SysTick runs at 16 MHz: 2^8 ns per instruction keeps a tick under 1/4
    assert "-M microbit" in joined and "-serial pty" in joined and "-icount shift=8" in joined


def test_unbuilt_folder(tmp_path: Path) -> None:
    project = tmp_path / "fw"
    shutil.copytree(ECHO_APP, project)
    add_board_support(project, get_board("nucleo-f446re"))
    run = CliRunner().invoke(main, ["flash", str(project), "--dry-run"])
    assert run.exit_code == 2 and "build first" in run.output


def test_no_uf2_drive(tmp_path: Path) -> None:
    assert find_uf2_drive([tmp_path]) is None
    (tmp_path / "user" / "RPI-RP2").mkdir(parents=True)
    assert find_uf2_drive([tmp_path]) == tmp_path / "user" / "RPI-RP2"
    if find_uf2_drive() is None:
        project = _fake_built(tmp_path, "rpi-pico")
        with pytest.raises(MissingToolError, match="hold BOOTSEL"):
            run_flash(plan_flash(project, get_board("rpi-pico")))


def test_pyocd_missing_or_no_probe(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "nucleo-l476rg")
    run = CliRunner().invoke(main, ["flash", str(project)])
    assert run.exit_code == 3
    assert "pip install pyocd" in run.output or "no debug probe found" in run.output


def test_openocd_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _fake_built(tmp_path, "nucleo-f446re")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = CliRunner().invoke(main, ["flash", str(project), "--tool", "openocd"])
    assert run.exit_code == 3
    assert "apt-get install openocd" in run.output


def test_emulated_board_refuses_probe_tool(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m4")
    run = CliRunner().invoke(main, ["flash", str(project), "--tool", "pyocd", "--dry-run"])
    assert run.exit_code == 2 and "cannot be flashed with pyocd" in run.output
