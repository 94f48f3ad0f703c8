"""Finding a real board's serial port by the USB ids in its board file.

No USB device is attached to the machines these tests run on, so the connected ports are
pyserial ``ListPortInfo`` objects built here, handed to the code in place of
``serial.tools.list_ports.comports()``: the matching, the messages and the exit codes are real.
"""

from __future__ import annotations

import json
import os
import termios
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from model_zoo import tflite_path
from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from edge_lstm.commands.ports import ports as ports_command
from edge_lstm.errors import EXIT_BAD_INPUT, EXIT_MISSING_TOOL, BadInputError, MissingToolError
from edge_lstm.harness.ports import find_board_port, serial_ports
from edge_lstm.validate import open_ports
from targets.errors import BoardFileError
from targets.registry import get_board, load_boards, parse_board


def port(device: str, vid: int | None, pid: int | None, description: str) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.description = vid, pid, description
    info.serial_number = "0668FF" if vid is not None else None
    return info


STLINK = port("/dev/ttyACM0", 0x0483, 0x374B, "STM32 STLink")
STLINK_V3 = port("/dev/ttyACM1", 0x0483, 0x374E, "STLINK-V3")
JLINK = port("/dev/ttyACM2", 0x1366, 0x1015, "J-Link")
FTDI = port("/dev/ttyUSB0", 0x0403, 0x6001, "FT232R USB UART")
BUILTIN = port("/dev/ttyS0", None, None, "n/a")


def test_board_files_name_the_usb_ids_of_their_console() -> None:
    boards = load_boards()
    assert boards["nucleo-f446re"].usb_ids == ("0483:374B", "0483:374E", "0483:3752")
    assert boards["nucleo-l476rg"].usb_ids == boards["nucleo-f446re"].usb_ids
    assert boards["nrf52840dk"].usb_ids == ("1366:0105", "1366:1015")
    assert boards["rpi-pico"].usb_ids == ("2E8A:000A", "0D28:0204")
    assert boards["arduino-nano-33-ble"].usb_ids == ("2341:805A",)
    assert all(not b.usb_ids for b in boards.values() if b.emulated or b.is_host)


def test_a_malformed_usb_id_is_refused(tmp_path: Path) -> None:
    source = get_board("nucleo-f446re").source
    assert source is not None
    bad = tmp_path / "nucleo-f446re.toml"
    bad.write_text(source.read_text().replace('"0483:374B"', '"0483-374B"'))
    with pytest.raises(BoardFileError, match="usb_ids"):
        parse_board(bad)


def test_one_matching_port_is_the_board() -> None:
    board = get_board("nucleo-f446re")
    assert find_board_port(board, lambda: [BUILTIN, FTDI, STLINK, JLINK]) == "/dev/ttyACM0"
    assert find_board_port(get_board("nrf52840dk"), lambda: [STLINK, JLINK]) == "/dev/ttyACM2"


def test_several_matching_ports_are_listed_with_a_request_for_p() -> None:
    with pytest.raises(BadInputError) as info:
        find_board_port(get_board("nucleo-f446re"), lambda: [STLINK_V3, FTDI, STLINK])
    message = str(info.value)
    assert "pick one with -p PORT" in message
    assert "/dev/ttyACM0 (0483:374B" in message and "/dev/ttyACM1 (0483:374E" in message
    assert "ttyUSB0" not in message
    assert info.value.exit_code == EXIT_BAD_INPUT


def test_no_matching_port_says_what_is_connected() -> None:
    with pytest.raises(MissingToolError) as info:
        find_board_port(get_board("nucleo-f446re"), lambda: [FTDI, BUILTIN])
    message = str(info.value)
    assert info.value.exit_code == EXIT_MISSING_TOOL == 3
    assert "0483:374B, 0483:374E, 0483:3752" in message
    assert "/dev/ttyUSB0 (0403:6001, FT232R USB UART)" in message
    assert "/dev/ttyS0 (no USB id" in message
    with pytest.raises(MissingToolError, match="no serial ports at all"):
        find_board_port(get_board("nucleo-f446re"), lambda: [])


def test_ports_lists_every_port_with_its_boards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_ports, "comports", lambda: [FTDI, STLINK, BUILTIN])
    listed = serial_ports(list(load_boards().values()))
    assert [p.device for p in listed] == ["/dev/ttyACM0", "/dev/ttyS0", "/dev/ttyUSB0"]
    assert listed[0].boards == ("nucleo-f446re", "nucleo-l476rg")
    result = CliRunner().invoke(ports_command, ["--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)["serial_ports"]
    assert doc[0] == {
        "device": "/dev/ttyACM0",
        "usb_id": "0483:374B",
        "description": "STM32 STLink",
        "serial_number": "0668FF",
        "boards": ["nucleo-f446re", "nucleo-l476rg"],
    }
    assert doc[1]["usb_id"] is None and doc[2]["boards"] == []
    text = CliRunner().invoke(ports_command, []).output
    assert "/dev/ttyACM0 (0483:374B, STM32 STLink) -> nucleo-f446re, nucleo-l476rg" in text


def test_validate_without_p_uses_the_detected_port(monkeypatch: pytest.MonkeyPatch) -> None:
    with open_ports("nrf52840dk", [], None, lambda: [FTDI, JLINK]) as urls:
        assert urls == ["/dev/ttyACM2"]
    with open_ports("nrf52840dk", ["/dev/ttyUSB7"], None, lambda: [JLINK]) as urls:
        assert urls == ["/dev/ttyUSB7"]  # -p wins
    monkeypatch.setattr(list_ports, "comports", lambda: [FTDI])
    with pytest.raises(MissingToolError, match="1366:0105"):
        with open_ports("nrf52840dk", [], None):
            pass


def test_validate_cli_without_a_board_port_exits_3(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from edge_lstm.cli import main

    monkeypatch.setattr(list_ports, "comports", lambda: [FTDI])
    monkeypatch.delenv("EDGE_LSTM_PORT", raising=False)
    np.savez(tmp_path / "x.npz", x=np.zeros((2, 1, 1), dtype=np.int8))
    args = ["--board", "nucleo-f446re", "--model", str(tflite_path("tiny"))]
    result = CliRunner().invoke(main, ["validate", *args, "--data", str(tmp_path / "x.npz")])
    assert result.exit_code == EXIT_MISSING_TOOL, result.output
    assert "0483:374B" in result.output and "/dev/ttyUSB0" in result.output


# --- run: the same detection, before anything slow ----------------------------------------


def _run(tmp_path: Path, *extra: str) -> object:
    from edge_lstm.cli import main

    # --calib names no file: a run that gets past port detection stops at loading it (exit 2),
    # before quantizing, so these tests need no TensorFlow work.
    args = ["run", str(tmp_path / "m.keras"), "--calib", str(tmp_path / "none.npz")]
    args += ["--test", str(tmp_path / "none.npz"), "--work", str(tmp_path / "work"), *extra]
    return CliRunner().invoke(main, args)


def test_run_without_p_finds_the_board_port_or_says_what_is_connected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("EDGE_LSTM_PORT", raising=False)
    monkeypatch.setattr(list_ports, "comports", lambda: [FTDI, BUILTIN])
    none = _run(tmp_path, "--board", "nucleo-f446re")
    assert none.exit_code == EXIT_MISSING_TOOL, none.output
    assert "0483:374B" in none.output and "/dev/ttyUSB0 (0403:6001" in none.output
    assert not (tmp_path / "work" / "model.tflite").exists()

    monkeypatch.setattr(list_ports, "comports", lambda: [STLINK, STLINK_V3, FTDI])
    several = _run(tmp_path, "--board", "nucleo-f446re")
    assert several.exit_code == EXIT_BAD_INPUT, several.output
    assert "pick one with -p PORT" in several.output and "/dev/ttyACM1 (0483:374E" in several.output

    monkeypatch.setattr(list_ports, "comports", lambda: [FTDI, JLINK])
    one = _run(tmp_path, "--board", "nrf52840dk")
    assert "serial port: /dev/ttyACM2" in one.output
    assert one.exit_code == EXIT_BAD_INPUT and "none.npz" in one.output  # then the calib file

    given = _run(tmp_path, "--board", "nrf52840dk", "-p", "/dev/ttyUSB5", "-b", "921600")
    assert "serial port:" not in given.output  # -p: nothing detected
    assert given.exit_code == EXIT_BAD_INPUT and "none.npz" in given.output


def test_run_refuses_a_probe_where_none_applies(tmp_path: Path) -> None:
    emulated = _run(tmp_path, "--board", "qemu-cortex-m4", "--probe", "066DFF")
    assert emulated.exit_code == EXIT_BAD_INPUT and "has none" in emulated.output
    malformed = _run(tmp_path, "--board", "nucleo-f446re", "-p", "x", "--probe", "a b")
    assert malformed.exit_code == EXIT_BAD_INPUT and "not a probe unique id" in malformed.output


# --- debug probes in `edge-lstm ports` --------------------------------------------------------


class _Probe:
    """What pyOCD's DebugProbe exposes to the listing (no probe is attached to these machines,
    and pyOCD is an optional extra: the listing and its JSON are what is under test)."""

    def __init__(self, unique_id: str, description: str) -> None:
        self.unique_id, self.description = unique_id, description
        self.vendor_name, self.product_name = "STMicroelectronics", "STM32 STLink"


def test_ports_lists_debug_probes_when_pyocd_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    from edge_lstm.harness import ports as ports_module

    monkeypatch.setattr(list_ports, "comports", lambda: [STLINK])
    probes = [_Probe("0670FF", "NUCLEO-L476RG"), _Probe("066DFF", "NUCLEO-F446RE")]
    monkeypatch.setattr(ports_module, "_pyocd_probes", lambda: probes)
    doc = json.loads(CliRunner().invoke(ports_command, ["--json"]).output)
    assert [p["unique_id"] for p in doc["debug_probes"]] == ["066DFF", "0670FF"]
    assert doc["debug_probes"][0] == {
        "unique_id": "066DFF",
        "description": "NUCLEO-F446RE",
        "vendor": "STMicroelectronics",
        "product": "STM32 STLink",
    }
    text = CliRunner().invoke(ports_command, []).output
    assert "066DFF (NUCLEO-F446RE)" in text
    monkeypatch.setattr(ports_module, "_pyocd_probes", lambda: None)  # pyOCD not installed
    doc = json.loads(CliRunner().invoke(ports_command, ["--json"]).output)
    assert doc["debug_probes"] is None and len(doc["serial_ports"]) == 1
    assert "edge-lstm[flash]" in CliRunner().invoke(ports_command, []).output


def test_pyocd_probe_listing_without_a_probe() -> None:
    """With pyOCD installed and no probe attached, the real listing is empty (not None)."""
    from edge_lstm.harness.ports import debug_probes

    assert debug_probes() == []


# --- --baud reaches pyserial ------------------------------------------------------------------


@pytest.mark.toolchain
def test_baud_reaches_the_serial_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """validate -b 57600 on QEMU's pseudo-terminal: the tty driver holds 57600 afterwards (a pty
    keeps the speed it was set to); without -b it holds the board file's 115200."""
    from firmware_cache import firmware
    from model_zoo import CONFIGS, inputs_int8
    from toolchain import require

    from edge_lstm.cli import main
    from targets.qemu import QemuBoard

    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    monkeypatch.delenv("EDGE_LSTM_PORT", raising=False)
    np.savez(tmp_path / "x.npz", x=inputs_int8(CONFIGS["tiny"], 3))
    board = get_board("qemu-cortex-m4")
    assert board.uart.baud == 115200
    with QemuBoard(firmware("tiny"), board) as qemu:
        fd = os.open(qemu.port, os.O_RDWR | os.O_NOCTTY)
        try:
            speeds = []
            for extra in (["-b", "57600"], []):
                attrs = termios.tcgetattr(fd)
                attrs[4] = attrs[5] = termios.B9600  # something neither run would set
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
                args = ["validate", "-p", qemu.port, *extra, "--model", str(tflite_path("tiny"))]
                result = CliRunner().invoke(main, [*args, "--data", str(tmp_path / "x.npz")])
                # the exchange went through (bit-exactness is the other validate tests' subject)
                assert "samples 3," in result.output, result.output
                speeds.append(termios.tcgetattr(fd)[4:6])
        finally:
            os.close(fd)
    assert speeds == [[termios.B57600] * 2, [termios.B115200] * 2]
