"""validate stays right through a damaged line and a board reset in mid-run.

The firmware, QEMU, its pseudo-terminal and the harness are all real. The only stand-in is the
damaging line between them (the FaultyLine proxy of the link tests), because a real serial
line does not drop, duplicate or corrupt bytes on demand; the reset is a real one, QEMU's
system_reset of the emulated board.
"""

from __future__ import annotations

import os
import threading
import tty
from pathlib import Path

import numpy as np
import pytest
from firmware_cache import firmware
from model_zoo import CONFIGS, inputs_int8, tflite_bytes, tflite_path, tflm_outputs
from test_link_faults import Faults, FaultyLine
from toolchain import require

from edge_lstm.data import load_data
from edge_lstm.validate import validate
from targets.qemu import QemuBoard
from targets.registry import get_board

pytestmark = pytest.mark.toolchain


@pytest.fixture(autouse=True)
def _tools() -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")


def _data(tmp_path: Path, name: str, count: int) -> tuple[Path, np.ndarray]:
    x = inputs_int8(CONFIGS[name], count)
    path = tmp_path / f"{name}.npz"
    np.savez(path, x=x)
    return path, x


def test_validate_through_a_faulty_line(tmp_path: Path) -> None:
    """1% of bytes dropped, duplicated or corrupted, and the line dead for moments."""
    data_path, x = _data(tmp_path, "tiny", 150)
    elf = firmware("tiny")
    with QemuBoard(elf, get_board("qemu-cortex-m4")) as qemu:
        board_fd = os.open(qemu.port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(board_fd)
        master, slave = os.openpty()
        tty.setraw(slave)
        line = FaultyLine(master, board_fd, Faults(cut_every=1.0, cut_for=0.2))
        line.start()
        try:
            report, outputs = validate(
                tflite_path("tiny"),
                load_data(data_path),
                [os.ttyname(slave)],
                progress=False,
                retries=30,
            )
        finally:
            line.stop.set()
            line.join(timeout=2)
            for fd in (master, slave, board_fd):
                os.close(fd)
    faults = line.counts
    print(f"faults: {faults}; link: {report.link}")
    assert faults["dropped"] + faults["duplicated"] + faults["corrupted"] > 0
    assert report.samples == 150
    assert report.mismatched_bytes == 0
    assert report.retries > 0 and report.retries == report.link["retries"]
    golden = tflm_outputs(tflite_bytes("tiny"), x)  # no wrong output was accepted
    assert np.array_equal(outputs.reshape(golden.shape), golden)


def test_validate_survives_a_board_reset_mid_run(tmp_path: Path) -> None:
    # A long input sequence (49 x 40 bytes, ~0.1 s on the emulated UART) so that the reset
    # lands while a request is still arriving: its answer is lost and must be retried.
    data_path, x = _data(tmp_path, "kws", 60)
    board = get_board("qemu-cortex-m4")
    sent = {"frames": 0}
    with QemuBoard(firmware("kws"), board, monitor=tmp_path / "monitor.sock") as qemu:
        reset_done = threading.Event()

        def trace(line: str) -> None:
            if line.startswith(">> INFER"):
                sent["frames"] += 1
                if sent["frames"] == 30 and not reset_done.is_set():
                    # 20 ms after the request starts going out: mid-transfer.
                    timer = threading.Timer(0.02, qemu.system_reset)
                    timer.start()
                    reset_done.set()

        report, outputs = validate(
            tflite_path("kws"), load_data(data_path), [qemu.port], trace=trace, progress=False
        )
    print(f"reset after {sent['frames']} traced frames; link: {report.link}")
    assert reset_done.is_set()
    assert report.samples == 60 and report.mismatched_bytes == 0
    assert report.retries + report.link["timeouts"] > 0
    golden = tflm_outputs(tflite_bytes("kws"), x)
    assert np.array_equal(outputs.reshape(golden.shape), golden)
