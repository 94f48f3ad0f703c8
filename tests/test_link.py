"""The framing, retry and trace layer of harness.link over pyserial's loop:// (an echo)."""

from __future__ import annotations

import pytest
import serial

from edge_lstm.harness import link as link_mod
from edge_lstm.harness.chunks import ChunkSize
from edge_lstm.harness.framing import Frame, FrameReader, encode_frame
from edge_lstm.harness.link import Link, LinkError, line_time
from edge_lstm.harness.protocol import MsgType


def test_a_frame_sent_over_loop_comes_back_whole() -> None:
    port = serial.serial_for_url("loop://", timeout=0.05)
    frame = Frame(MsgType.INFER, 0xBEEF, bytes(range(256)) * 3)
    port.write(encode_frame(frame))
    reader = FrameReader()
    events = reader.feed(port.read(4096))
    assert events == [frame]


def test_unanswered_request_is_resent_with_the_same_bytes() -> None:
    lines: list[str] = []
    link = Link("loop://", trace=lines.append, retries=3, request_timeout=0.05)
    with pytest.raises(LinkError, match="4 attempts"):
        link.request(MsgType.STEP, b"\x01\x02\x03\x04", timeout=0.1)
    stats = link.stats
    assert stats.frames_sent == 4 and stats.retries == 3 and stats.timeouts == 4
    # The echo of each send is a valid frame, but a request, not the answer: stale.
    assert stats.stale_frames == 4 and stats.bad_frames == 0
    sends = [line for line in lines if line.startswith(">> STEP")]
    assert len(sends) == 4 and len(set(sends)) == 1  # same seq, same bytes every time
    assert sum(line.startswith("retry") for line in lines) == 3


def test_sequence_numbers_advance_per_request() -> None:
    lines: list[str] = []
    link = Link("loop://", trace=lines.append, retries=0)
    for _ in range(2):
        with pytest.raises(LinkError):
            link.request(MsgType.HELLO, timeout=0.05)
    seqs = [int(line.split("seq=")[1].split()[0]) for line in lines if line.startswith(">>")]
    assert len(seqs) == 2 and seqs[1] == (seqs[0] + 1) & 0xFFFF


def test_damaged_echo_counts_as_bad_frame_and_triggers_resend() -> None:
    link = Link("loop://", retries=1)
    port: serial.Serial = link._port  # the loop's other end: inject a damaged frame
    port.write(b"\x05\x01\x02\x03\x04\x00")
    with pytest.raises(LinkError):
        link.request(MsgType.RESET, timeout=0.05)
    assert link.stats.bad_frames >= 1 and link.stats.retries == 1


def test_bad_port_is_a_link_error() -> None:
    with pytest.raises(LinkError, match="cannot open"):
        Link("/dev/does-not-exist-edge-lstm")


def test_timeouts_scale_with_payload_and_baud() -> None:
    link = Link("loop://", request_timeout=0.5)
    base = link.timeout_for(0, 0)
    big = link.timeout_for(5120, 0)
    assert base > 0.5
    # 5120 more bytes (+ COBS overhead: 5130 -> 5151 encoded) at 10 bits a byte, margin 2.
    extra = link_mod.TRANSFER_MARGIN * (5151 - 11) * 10 / 115200
    assert big - base == pytest.approx(extra)
    slow = Link("loop://", baud=9600, request_timeout=0.5)
    assert slow.timeout_for(5120, 0) > big
    assert link.timeout_for(0, 0, runs=3, run_timeout=2.0) == pytest.approx(base + 6.0)
    assert line_time(11520, 115200) == pytest.approx(1.0)


def test_chunk_size_rule() -> None:
    """Halve on failure down to the floor, double after a run of successes up to the cap."""
    size = ChunkSize(start=256, low=16, high=256, grow_after=3)
    for expected in (128, 64, 32, 16, 16):
        size.failed()
        assert size.size == expected
    for _ in range(2):
        size.succeeded()
    assert size.size == 16
    size.succeeded()
    assert size.size == 32
    size.failed()
    assert size.size == 16
    for _ in range(3 * 10):
        size.succeeded()
    assert size.size == 256
    size.limit(64)
    assert size.size == 64 and size.high == 64
