"""export -> build -> boot -> exchange over the UART, on every emulated board and the host board,
with instruction counts that repeat exactly from run to run; and validate sharding the samples
across several boards at once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from firmware_cache import firmware
from model_zoo import CONFIGS, inputs_int8, tflite_bytes, tflite_path, tflm_outputs
from toolchain import emulated_boards, require

from edge_lstm.cli import main
from edge_lstm.data import load_data
from edge_lstm.harness.device import Device
from edge_lstm.validate import validate
from targets.host_run import HostBoard
from targets.qemu import QemuBoard
from targets.registry import get_board

pytestmark = pytest.mark.toolchain

EMULATED = emulated_boards()
#: The only 32-bit Thumb instructions in Armv6-M; every other one is Armv7-M or later.
ARMV6M_WIDE = {"bl", "mrs", "msr", "dmb", "dsb", "isb"}


def _session(board_name: str, x: np.ndarray) -> tuple[np.ndarray, list[int], str]:
    board = get_board(board_name)
    elf = firmware("imu", board_name)
    runner = HostBoard(elf) if board.is_host else QemuBoard(elf, board)
    with runner, Device(runner.port) as device:
        info = device.hello()
        outputs, cycles = zip(*(device.infer(sample) for sample in x), strict=True)
    return np.stack(outputs), list(cycles), info.cycle_unit


@pytest.mark.parametrize("board_name", [*EMULATED, "host"])
def test_export_build_boot_exchange(board_name: str) -> None:
    require("cc" if board_name == "host" else "arm-none-eabi-gcc")
    if board_name != "host":
        require("qemu-system-arm")
    x = inputs_int8(CONFIGS["imu"], 12)
    golden = tflm_outputs(tflite_bytes("imu"), x).reshape(len(x), -1)
    first, cycles_a, unit = _session(board_name, x)
    assert int(np.count_nonzero(first != golden)) == 0
    if board_name == "host":
        assert unit == "ns"
        return
    second, cycles_b, _ = _session(board_name, x)
    assert np.array_equal(first, second)
    assert unit == "instructions"
    assert cycles_a == cycles_b, (cycles_a, cycles_b)  # exact, run to run
    assert min(cycles_a) > 0


@pytest.mark.parametrize(
    "board_name", ["qemu-cortex-m0", "qemu-cortex-m3", "qemu-cortex-m4", "qemu-cortex-m55"]
)
def test_int16_weights_validate_over_the_uart(board_name: str) -> None:
    """Firmware with int16 weight storage (the portable C loop on the M0, the Armv7-M loop on
    the M3, the DSP units routine on the M4 and M55), through the serial harness: every output
    byte equals TFLM's, in fewer instructions than the int8 firmware of the same model where the
    core has the DSP extension (its loop skips the unpacking) and in more with Helium (the int8
    firmware's VMLADAVA dot products)."""
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    x = inputs_int8(CONFIGS["kws"], 20)
    golden = tflm_outputs(tflite_bytes("kws"), x).reshape(len(x), -1)
    board = get_board(board_name)
    counts = {}
    for weights in ("int8", "int16"):
        elf = firmware("kws", board_name, weights=weights)
        with QemuBoard(elf, board) as runner, Device(runner.port) as device:
            device.hello()
            outputs, cycles = zip(*(device.infer(sample) for sample in x), strict=True)
        mismatches = int(np.count_nonzero(np.stack(outputs) != golden))
        print(f"{board_name} {weights}: {mismatches} mismatching bytes, {cycles[0]} instructions")
        assert mismatches == 0
        counts[weights] = cycles[0]
    if board.mve:  # Helium's int8 dot products beat the DSP routine's int16 loop
        assert counts["int8"] < counts["int16"]
    elif board.dsp:
        assert counts["int16"] < counts["int8"]


def test_validate_shards_across_two_boards(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    x = inputs_int8(CONFIGS["small"], 200)
    np.savez(tmp_path / "x.npz", x=x)
    board = get_board("qemu-cortex-m4")
    elf = firmware("small")
    with QemuBoard(elf, board) as one, QemuBoard(elf, board) as two:
        report, outputs = validate(
            tflite_path("small"),
            load_data(tmp_path / "x.npz"),
            [one.port, two.port],
            progress=False,
        )
    assert report.devices == 2 and report.samples == 200
    assert report.mismatched_bytes == 0
    golden = tflm_outputs(tflite_bytes("small"), x)
    assert np.array_equal(outputs.reshape(golden.shape), golden)


def _wide_instructions(elf: Path) -> set[str]:
    """Mnemonics of the 32-bit Thumb instructions in ``elf``'s code."""
    listing = subprocess.run(
        [require("arm-none-eabi-objdump"), "-d", str(elf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wide = re.compile(r"^\s+[0-9a-f]+:\t[0-9a-f]{4} [0-9a-f]{4}\s*\t(\S+)", re.MULTILINE)
    return {match.group(1).split(".")[0] for match in wide.finditer(listing)}


def test_cortex_m0_cli_export_build_validate(tmp_path: Path) -> None:
    """The Armv6-M path end to end through the commands a user types: export, build, and
    validate on the emulated Cortex-M0 (QEMU microbit). QEMU's Cortex-M0 faults on any
    Armv7-M or DSP instruction, so a passing validate ran the engine's Armv6-M code; the
    listing is checked too, because a path the test data never reaches would not fault."""
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    model = tflite_path("imu")
    x = inputs_int8(CONFIGS["imu"], 20)
    np.savez(tmp_path / "x.npz", x=x)
    fw = tmp_path / "fw"
    runner = CliRunner()
    run = runner.invoke(main, ["export", str(model), "--board", "qemu-cortex-m0", "-o", str(fw)])
    assert run.exit_code == 0, run.output
    run = runner.invoke(main, ["build", str(fw)])
    assert run.exit_code == 0, run.output
    elf = fw / "build" / "firmware.elf"
    assert "-mcpu=cortex-m0 -mthumb" in (fw / "Makefile").read_text()
    assert _wide_instructions(elf) <= ARMV6M_WIDE, _wide_instructions(elf) - ARMV6M_WIDE
    run = runner.invoke(
        main,
        [
            "validate",
            "--board",
            "qemu-cortex-m0",
            "--elf",
            str(elf),
            "--model",
            str(model),
            "--data",
            str(tmp_path / "x.npz"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "mismatching bytes 0" in run.output and "PASS" in run.output
