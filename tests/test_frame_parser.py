"""The firmware's frame parser (el_frame.c) against the Python one on the same byte streams:
same frames, same error codes, whatever mixture of good, damaged and random bytes arrives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import hypothesis.strategies as st
import pytest
from fixtures.fake_model.hostapp import APP_DIR, CFLAGS
from hypothesis import HealthCheck, given, settings
from toolchain import require

from edge_lstm.harness import cobs
from edge_lstm.harness.cgen import write_c_header
from edge_lstm.harness.crc import crc32
from edge_lstm.harness.framing import Frame, FrameError, encode_frame, encode_raw, parse_encoded
from edge_lstm.harness.protocol import MAX_FRAME, PROTOCOL_VERSION, REQUEST_TYPES

FUZZ_DIR = Path(__file__).resolve().parent / "fuzz"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("frame_driver")
    write_c_header(out)
    exe = out / "frame_driver"
    subprocess.run(
        [
            require("cc"),
            *CFLAGS,
            f"-I{out}",
            f"-I{APP_DIR}",
            str(FUZZ_DIR / "frame_driver.c"),
            str(APP_DIR / "el_frame.c"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    return exe


def run_c(driver: Path, stream: bytes, cap: int) -> list[str]:
    result = subprocess.run([str(driver), str(cap)], input=stream, capture_output=True, check=True)
    return result.stdout.decode().splitlines()


def expected_lines(stream: bytes, cap: int) -> list[str]:
    """What the firmware must report, derived with the Python frame functions."""
    lines = []
    pieces = stream.split(b"\x00")[:-1]  # bytes after the last delimiter are still pending
    for piece in pieces:
        if not piece:
            continue
        try:
            frame = parse_encoded(piece, max_frame=cap, accept=REQUEST_TYPES)
        except FrameError as err:
            lines.append(f"ERROR {int(err.code)} {-1 if err.seq is None else err.seq}")
            continue
        raw = encode_raw(frame)
        lines.append(
            f"READY {frame.type} {frame.seq} {len(frame.payload)} "
            f"{crc32(raw[:-4]):08x} {frame.payload.hex()}"
        )
    return lines


def _damage(wire: bytes, data: st.DataObject) -> bytes:
    kind = data.draw(st.sampled_from(["none", "flip", "drop", "dup", "cut"]))
    if kind == "none" or len(wire) < 2:
        return wire
    i = data.draw(st.integers(0, len(wire) - 2))
    if kind == "flip":
        return wire[:i] + bytes([wire[i] ^ data.draw(st.integers(1, 255))]) + wire[i + 1 :]
    if kind == "drop":
        return wire[:i] + wire[i + 1 :]
    if kind == "dup":
        return wire[:i] + wire[i : i + 1] + wire[i:]
    return wire[:i] + b"\x00"


pieces = st.one_of(
    st.builds(
        Frame,
        type=st.sampled_from(sorted(REQUEST_TYPES) + [0x00, 0x81, 0xFF]),
        seq=st.integers(0, 0xFFFF),
        payload=st.binary(max_size=400),
        version=st.sampled_from([1, 1, 1, 2]),
    ),
    st.binary(max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pieces, max_size=8), st.sampled_from([10, 40, 300, MAX_FRAME]), st.data())
def test_c_parser_agrees_with_python(
    driver: Path, parts: list, cap: int, data: st.DataObject
) -> None:
    stream = b""
    for part in parts:
        stream += _damage(encode_frame(part), data) if isinstance(part, Frame) else part
    assert run_c(driver, stream, cap) == expected_lines(stream, cap)


def test_c_parser_known_answers(driver: Path) -> None:
    hello = encode_frame(Frame(0x01, 0x1234))
    # Independent derivation of this frame: header <version> 01 34 12 00 00, CRC-32 of those.
    header = bytes([PROTOCOL_VERSION, 1, 0x34, 0x12, 0, 0])
    assert hello == cobs.encode(header + crc32(header).to_bytes(4, "little")) + b"\x00"
    assert run_c(driver, hello, 64) == [f"READY 1 4660 0 {crc32(header):08x} "]
    assert run_c(driver, hello, 9) == ["ERROR 3 -1"]  # TOO_LONG for a 9-byte buffer
    # A block cut short by a delimiter, then the next frame parses.
    cut = run_c(driver, b"\x00\x00" + hello[:3] + b"\x00" + hello, 64)
    assert cut == ["ERROR 2 -1", f"READY 1 4660 0 {crc32(header):08x} "]
