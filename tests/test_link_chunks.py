"""The chunked exchange with the real firmware in QEMU, through a real pseudo-terminal.

The firmware, QEMU, its pty and the harness are real; resets are QEMU's system_reset of the
emulated board. The one stand-in is ``FrameTap``, a proxy in the line that drops or duplicates
one chosen frame: a real serial line loses a particular chunk only by chance, and these tests
need each position (first, middle, last) on demand. test_validate_faults.py runs the same
firmware through random damage instead.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from firmware_cache import FIRMWARE_DIR, firmware_from
from model_zoo import (
    ZooConfig,
    build_keras,
    cached_model,
    calibration_data,
    inputs_int8,
    tflm_outputs,
)
from toolchain import require

from edge_lstm.harness import cobs
from edge_lstm.harness.chunks import ChunkSize
from edge_lstm.harness.crc import crc32
from edge_lstm.harness.device import Device
from edge_lstm.harness.framing import Frame, FrameError, parse_encoded
from edge_lstm.harness.link import ProtocolVersionError
from edge_lstm.harness.protocol import (
    GET_DATA,
    PROTOCOL_VERSION,
    PUT_ACK,
    PUT_REQUEST,
    RUN_REQUEST,
    MsgType,
)
from targets.qemu import QemuBoard
from targets.registry import get_board

pytestmark = pytest.mark.toolchain

#: Models whose input does not fit one chunk: 600 bytes (3 chunks of at most 256) and 4,096.
LINK_CONFIGS = {
    c.name: c
    for c in [
        ZooConfig("link600", timesteps=100, features=6, hidden=(8,), outputs=4, seed=3),
        ZooConfig("link4k", timesteps=128, features=32, hidden=(8,), outputs=4, seed=4),
    ]
}


@pytest.fixture(autouse=True)
def _tools() -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")


def link_model(name: str) -> Path:
    """The converted model of a LINK_CONFIGS entry (cached like the zoo's)."""
    config = LINK_CONFIGS[name]

    def convert() -> bytes:
        from quantize.convert import convert_keras

        return convert_keras(build_keras(config), calibration_data(config)).tflite

    return cached_model("models", f"{config.name}-{config.key}.tflite", convert)


_FIRMWARE: dict[str, Path] = {}


def link_firmware(name: str) -> Path:
    """Firmware for a LINK_CONFIGS model on the emulated Cortex-M4, built once a session."""
    if name not in _FIRMWARE:
        model = link_model(name)
        _FIRMWARE[name] = firmware_from(model, FIRMWARE_DIR / f"{model.stem}-m4")
    return _FIRMWARE[name]


def link_inputs(name: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """int8 inputs and their golden outputs from the TFLM runtime (not the code under test)."""
    x = inputs_int8(LINK_CONFIGS[name], count)
    golden = tflm_outputs(link_model(name).read_bytes(), x).reshape(count, -1)
    return x, golden


# --- the tap --------------------------------------------------------------------------------

#: Decides what the tap forwards for one frame: ("to_device" or "to_host", frame or None when it
#: does not decode, its wire bytes) -> the bytes to forward.
Rule = Callable[[str, "Frame | None", bytes], bytes]


class FrameTap(threading.Thread):
    """Forwards bytes between the harness's pty and the board's, frame by frame, through a rule;
    ``log`` records every decoded frame as (direction, frame, forwarded copies)."""

    def __init__(self, host_fd: int, board_fd: int, rule: Rule) -> None:
        super().__init__(daemon=True)
        self.fds = {host_fd: ("to_device", board_fd), board_fd: ("to_host", host_fd)}
        self.pending = {host_fd: bytearray(), board_fd: bytearray()}
        self.rule = rule
        self.log: list[tuple[str, Frame, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select(list(self.fds), [], [], 0.02)
            for src in ready:
                direction, dst = self.fds[src]
                try:
                    data = os.read(src, 4096)
                except OSError:
                    return
                for byte in data:
                    if byte != cobs.DELIMITER:
                        self.pending[src].append(byte)
                        continue
                    body = bytes(self.pending[src])
                    self.pending[src].clear()
                    wire = body + b"\x00"
                    if not body:
                        os.write(dst, wire)
                        continue
                    try:
                        frame: Frame | None = parse_encoded(body)
                    except FrameError:
                        frame = None
                    out = self.rule(direction, frame, wire)
                    if frame is not None:
                        self.log.append((direction, frame, len(out) // len(wire)))
                    if out:
                        os.write(dst, out)

    def sent(self, direction: str, msg_type: int) -> list[tuple[Frame, int]]:
        return [(f, n) for d, f, n in self.log if d == direction and f.type == msg_type]


def passthrough(direction: str, frame: Frame | None, wire: bytes) -> bytes:
    return wire


@contextmanager
def tapped(qemu: QemuBoard, rule: Rule) -> Iterator[tuple[str, FrameTap]]:
    """A pty for the harness whose bytes reach the board through a FrameTap."""
    board_fd = os.open(qemu.port, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(board_fd)
    master, slave = os.openpty()
    tty.setraw(slave)
    tap = FrameTap(master, board_fd, rule)
    tap.start()
    try:
        yield os.ttyname(slave), tap
    finally:
        tap.stop.set()
        tap.join(timeout=2)
        for fd in (master, slave, board_fd):
            os.close(fd)


def put_fields(frame: Frame) -> tuple[int, int, int, int]:
    """(xfer, offset, total, data bytes) of a PUT."""
    head = PUT_REQUEST.unpack(frame.payload)
    return head["xfer"], head["offset"], head["total"], len(frame.payload) - PUT_REQUEST.size


# --- request chunks -------------------------------------------------------------------------


@pytest.mark.parametrize(("position", "offset"), [("first", 0), ("middle", 256), ("last", 512)])
def test_a_lost_request_chunk_is_sent_again(position: str, offset: int) -> None:
    """600 bytes go as chunks at 0, 256 and 512; the one at ``offset`` is lost once."""
    dropped: list[Frame] = []

    def drop_once(direction: str, frame: Frame | None, wire: bytes) -> bytes:
        if (
            not dropped
            and frame is not None
            and frame.type == MsgType.PUT
            and put_fields(frame)[1] == offset
        ):
            dropped.append(frame)
            return b""
        return wire

    x, golden = link_inputs("link600", 3)
    with QemuBoard(link_firmware("link600"), get_board("qemu-cortex-m4")) as qemu:
        with tapped(qemu, drop_once) as (port, tap), Device(port) as device:
            outputs = np.stack([device.infer(sample)[0] for sample in x])
            stats = device.stats
    assert len(dropped) == 1, position
    np.testing.assert_array_equal(outputs, golden)  # every output byte
    puts = [put_fields(f) for f, _ in tap.sent("to_device", MsgType.PUT)]
    first_xfer = puts[0][0]
    at_offset = [p for p in puts if p[0] == first_xfer and p[1] == offset]
    assert len(at_offset) == 2  # lost, then sent again
    assert at_offset[1][3] <= at_offset[0][3]  # no larger after the failure (halved)
    assert stats.timeouts >= 1 and stats.retries >= 1
    assert stats.frames_sent == stats.exchanges + stats.retries


def test_a_clean_link_sends_each_request_as_one_burst() -> None:
    """On a clean line every PUT of a 600-byte input and its RUN leave before the first
    acknowledgement comes back: one wait per sample, not four."""
    x, golden = link_inputs("link600", 3)
    with QemuBoard(link_firmware("link600"), get_board("qemu-cortex-m4")) as qemu:
        with tapped(qemu, passthrough) as (port, tap), Device(port) as device:
            outputs = np.stack([device.infer(sample)[0] for sample in x])
            stats = device.stats
    np.testing.assert_array_equal(outputs, golden)  # every output byte
    assert stats.retries == 0 and stats.timeouts == 0
    transfers = {put_fields(f)[0] for f, _ in tap.sent("to_device", MsgType.PUT)}
    assert len(transfers) == 3
    for xfer in transfers:
        order = [
            (direction, frame.type)
            for direction, frame, _ in tap.log
            if (frame.type == MsgType.PUT and put_fields(frame)[0] == xfer)
            or (frame.type == MsgType.PUT_ACK and PUT_ACK.unpack(frame.payload)["xfer"] == xfer)
            or (frame.type == MsgType.RUN and RUN_REQUEST.unpack(frame.payload)["xfer"] == xfer)
        ]
        assert order[:4] == [("to_device", MsgType.PUT)] * 3 + [("to_device", MsgType.RUN)]
        assert order[4:] == [("to_host", MsgType.PUT_ACK)] * 3


def test_a_duplicated_final_chunk_changes_nothing() -> None:
    """The last chunk arrives twice (the tap) and is sent again by hand after the RUN."""
    doubled: list[Frame] = []

    def dup_last(direction: str, frame: Frame | None, wire: bytes) -> bytes:
        if not doubled and frame is not None and frame.type == MsgType.PUT:
            _, offset, total, n = put_fields(frame)
            if offset + n == total:
                doubled.append(frame)
                return wire + wire
        return wire

    x, golden = link_inputs("link600", 2)
    with QemuBoard(link_firmware("link600"), get_board("qemu-cortex-m4")) as qemu:
        with tapped(qemu, dup_last) as (port, tap), Device(port) as device:
            first, _ = device.infer(x[0])
            assert doubled
            # By hand: stage x[1] as transfer 0x4242, run it, repeat the final chunk, run again.
            link = device.link
            data = x[1].tobytes()
            chunks = [(0, 256), (256, 256), (512, 88)]
            for offset, n in chunks:
                put = PUT_REQUEST.pack(xfer=0x4242, offset=offset, total=600, reserved=0)
                ack = link.request(MsgType.PUT, put + data[offset : offset + n])
                assert PUT_ACK.unpack(ack.payload)["received"] == offset + n
            run = RUN_REQUEST.pack(
                type=MsgType.INFER,
                reserved=0,
                xfer=0x4242,
                length=600,
                max_answer=256,
                crc=crc32(data),
            )
            result = {MsgType.INFER_RESULT}
            answer = link.request(MsgType.RUN, run, timeout=6.0, answers=result)
            last = PUT_REQUEST.pack(xfer=0x4242, offset=512, total=600, reserved=0)
            again = link.request(MsgType.PUT, last + data[512:])
            assert PUT_ACK.unpack(again.payload)["received"] == 600
            rerun = link.request(MsgType.RUN, run, timeout=6.0, answers=result)  # new seq: runs
    np.testing.assert_array_equal(first, golden[0])
    assert answer.type == rerun.type == MsgType.INFER_RESULT
    assert answer.payload[4:] == rerun.payload[4:] == golden[1].tobytes()
    assert answer.seq != rerun.seq
    acks = tap.sent("to_host", MsgType.PUT_ACK)
    # 3 chunks, then 3 by hand and the repeated one: 7 acknowledgements, plus one for the
    # duplicate when the device read it whole (on a loaded machine the back-to-back copy can be
    # lost in the UART, which is as harmless); that extra one comes after the first and is stale
    duplicate_acked = len(acks) - 7
    assert duplicate_acked in (0, 1)
    assert device.stats.stale_frames == duplicate_acked


@pytest.mark.parametrize("after", ["first chunk", "last chunk"])
def test_a_device_reset_between_chunks_resumes(tmp_path: Path, after: str) -> None:
    """QEMU resets the board right after a chunk's acknowledgement: the staged bytes are gone;
    the next PUT (or the RUN) learns it from the device and the transfer starts over."""
    x, golden = link_inputs("link600", 2)
    board = get_board("qemu-cortex-m4")
    acks = {"n": 0}
    target = 1 if after == "first chunk" else 3
    with QemuBoard(link_firmware("link600"), board, monitor=tmp_path / "m.sock") as qemu:

        def trace(line: str) -> None:
            if line.startswith("<< PUT_ACK"):
                acks["n"] += 1
                if acks["n"] == target:
                    qemu.system_reset()  # before the harness sends its next frame

        with Device(qemu.port, trace=trace) as device:
            device.hello()
            outputs = np.stack([device.infer(sample)[0] for sample in x])
            stats = device.stats
    assert acks["n"] >= target
    np.testing.assert_array_equal(outputs, golden)
    assert stats.resumes >= 1  # the device said it held less than the harness had sent
    assert stats.chunks_put >= 2 * 3 + (1 if after == "first chunk" else 3)


# --- answer pieces --------------------------------------------------------------------------


def test_a_lost_answer_piece_is_fetched_again() -> None:
    """With 32-byte chunks INFO (about 130 bytes) is held and fetched in pieces; one is lost."""
    dropped: list[Frame] = []

    def drop_second_piece(direction: str, frame: Frame | None, wire: bytes) -> bytes:
        if frame is not None and frame.type == MsgType.GET_DATA and not dropped:
            if GET_DATA.unpack(frame.payload)["offset"] == 32:
                dropped.append(frame)
                return b""
        return wire

    with QemuBoard(link_firmware("link600"), get_board("qemu-cortex-m4")) as qemu:
        with tapped(qemu, drop_second_piece) as (port, tap), Device(port) as device:
            device.chunked.chunk = ChunkSize(start=32, high=32)
            info = device.hello()
            x, golden = link_inputs("link600", 1)
            out, _ = device.infer(x[0])
            stats = device.stats
    assert dropped
    assert (info.timesteps, info.features, info.output_bytes) == (100, 6, 4)
    assert info.runtime == "native" and info.board == "qemu-cortex-m4"
    np.testing.assert_array_equal(out, golden[0])
    pieces = [
        GET_DATA.unpack(f.payload)["offset"] for f, _ in tap.sent("to_host", MsgType.GET_DATA)
    ]
    assert pieces.count(32) == 2  # the lost piece came again
    assert tap.sent("to_host", MsgType.HELD)
    assert stats.chunks_got >= 4 and stats.timeouts >= 1


# --- an old firmware ------------------------------------------------------------------------


def test_an_old_protocol_firmware_is_told_apart(tmp_path: Path) -> None:
    """Firmware whose el_protocol.h says version 2 (what a firmware from before the chunked
    exchange reports): it refuses the first frame, and the message names both versions."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    exported = export_project(link_model("link600"), "qemu-cortex-m4", tmp_path / "old")
    header = exported.out_dir / "app" / "el_protocol.h"
    text = header.read_text()
    line = next(row for row in text.splitlines() if row.startswith("#define EL_PROTO_VERSION "))
    header.write_text(text.replace(line, "#define EL_PROTO_VERSION 2u"))
    elf = build_project(exported.out_dir).elf
    with QemuBoard(elf, get_board("qemu-cortex-m4")) as qemu, Device(qemu.port) as device:
        with pytest.raises(ProtocolVersionError) as info:
            device.hello()
    message = str(info.value)
    assert "version 2" in message and f"version {PROTOCOL_VERSION}" in message
    assert "older edge-lstm" in message and "Rebuild it with this edge-lstm" in message
    assert device.stats.frames_sent == 1  # told apart at the first answer, not after retries
