"""validate stays right through a damaged line and a board reset in mid-run.

The firmware, QEMU, its pseudo-terminal and the harness are all real. The only stand-in is the
damaging line between them (the FaultyLine proxy of the link tests), because a real serial
line does not drop, duplicate or corrupt bytes on demand; the reset is a real one, QEMU's
system_reset of the emulated board.
"""

from __future__ import annotations

import json
import os
import threading
import tty
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize(
    "count", [60, pytest.param(150, marks=pytest.mark.slow, id="150")], ids=lambda n: str(n)
)
def test_validate_through_a_faulty_line(tmp_path: Path, count: int) -> None:
    """1% of bytes dropped, duplicated or corrupted, and the line dead for moments."""
    data_path, x = _data(tmp_path, "tiny", count)
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
    assert report.samples == count
    assert report.mismatched_bytes == 0
    assert report.retries > 0 and report.retries == report.link["retries"]
    golden = tflm_outputs(tflite_bytes("tiny"), x)  # no wrong output was accepted
    assert np.array_equal(outputs.reshape(golden.shape), golden)


def test_validate_survives_a_board_reset_mid_run(tmp_path: Path) -> None:
    # A long input sequence (49 x 40 = 1,960 bytes: eight chunks) so that the reset lands while
    # a chunk is still arriving: the device forgets what it had staged and says so.
    data_path, x = _data(tmp_path, "kws", 60)
    board = get_board("qemu-cortex-m4")
    sent = {"frames": 0}
    with QemuBoard(firmware("kws"), board, monitor=tmp_path / "monitor.sock") as qemu:
        reset_done = threading.Event()

        def trace(line: str) -> None:
            if line.startswith(">> PUT"):
                sent["frames"] += 1
                if sent["frames"] == 100 and not reset_done.is_set():
                    # 2 ms after the chunk starts going out: mid-transfer.
                    timer = threading.Timer(0.002, qemu.system_reset)
                    timer.start()
                    reset_done.set()

        report, outputs = validate(
            tflite_path("kws"), load_data(data_path), [qemu.port], trace=trace, progress=False
        )
    print(f"reset after {sent['frames']} traced chunks; link: {report.link}")
    assert reset_done.is_set()
    assert report.samples == 60 and report.mismatched_bytes == 0
    # The reset cost the harness something, and it recovered. On a clean link a sample's chunks
    # go out as one burst: a reset after some were acknowledged shows as the device holding
    # less (a resume); one before any acknowledgement cannot be told from frames lost on the
    # line (a retry). tests/test_link_chunks.py pins the resume path with resets placed on
    # acknowledgements.
    assert report.link["resumes"] + report.link["retries"] >= 1
    golden = tflm_outputs(tflite_bytes("kws"), x)
    assert np.array_equal(outputs.reshape(golden.shape), golden)


def _noisy_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, count: int
) -> tuple[int, dict, dict, bool]:
    """``edge-lstm validate`` (the CLI) through a line damaging 1 % of the bytes (drops,
    duplicates, flips), dead once for 0.4 s, with a system_reset of the board mid-run."""
    from click.testing import CliRunner
    from test_link_chunks import link_firmware, link_inputs, link_model

    from edge_lstm.cli import main

    x, golden = link_inputs(name, count)
    data_path = tmp_path / f"{name}.npz"
    np.savez(data_path, x=x)
    monitor = tmp_path / "monitor.sock"
    acks = {"n": 0}
    with QemuBoard(link_firmware(name), get_board("qemu-cortex-m4"), monitor=monitor) as qemu:
        board_fd = os.open(qemu.port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(board_fd)
        master, slave = os.openpty()
        tty.setraw(slave)
        line = FaultyLine(master, board_fd, Faults(cut_at=1.5, cut_for=0.4))
        line.start()

        def trace(text: str) -> None:
            # Right after the 12th chunk got through: the next one meets a rebooted board.
            if text.startswith("<< PUT_ACK"):
                acks["n"] += 1
                if acks["n"] == 12:
                    qemu.system_reset()

        import edge_lstm.validate as validate_module

        real_validate = validate_module.validate

        def traced(*args: Any, **kwargs: Any) -> Any:  # the CLI's --trace prints; this counts
            kwargs["trace"] = trace
            return real_validate(*args, **kwargs)

        monkeypatch.setattr(validate_module, "validate", traced)
        try:
            result = CliRunner().invoke(
                main,
                [
                    "validate",
                    "--port",
                    os.ttyname(slave),
                    "--model",
                    str(link_model(name)),
                    "--data",
                    str(data_path),
                    "--json",
                    str(tmp_path / "report.json"),
                    "--outputs",
                    str(tmp_path / "out.npz"),
                ],
            )
        finally:
            line.stop.set()
            line.join(timeout=2)
            for fd in (master, slave, board_fd):
                os.close(fd)
    print(result.output)
    report = json.loads((tmp_path / "report.json").read_text()) if result.exit_code == 0 else {}
    outputs = np.load(tmp_path / "out.npz")["y_int8"].reshape(count, -1) if report else golden
    assert acks["n"] >= 12, "the reset never happened"
    return result.exit_code, report, line.counts, np.array_equal(outputs, golden)


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("link600", 30),
        ("link4k", 12),
    ],
)
def test_validate_long_inputs_through_a_noisy_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, count: int
) -> None:
    """600- and 4,096-byte inputs, which no whole frame carries through this line (a 610-byte
    frame arrives intact 0.2 % of the time): every sample checked, exit 0, nothing wrong taken."""
    code, report, faults, same = _noisy_validate(tmp_path, monkeypatch, name, count)
    print(f"faults: {faults}; link: {report.get('link')}")
    assert code == 0
    assert report["samples"] == count and report["mismatched_bytes"] == 0
    assert same  # the saved outputs equal TFLM's, byte for byte
    damaged = faults["dropped"] + faults["duplicated"] + faults["corrupted"]
    assert damaged >= 0.005 * faults["bytes"] and faults["outages"] == 1 and faults["cut"] > 0
    link = report["link"]
    assert link["resumes"] >= 1  # the reset cost only a restart of one transfer
    assert link["bad_frames"] > 0 and link["link_errors"] > 0 and link["retries"] > 0
    assert link["chunks_put"] >= count * 3
