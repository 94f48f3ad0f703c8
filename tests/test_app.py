"""The firmware app (el_app.c + el_frame.c) built for the host with the fake model, driven
through a real pseudo-terminal by the Device API and by hand-made frames."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import serial
from fixtures.fake_model import hostapp
from toolchain import require

from edge_lstm.errors import EdgeLstmError
from edge_lstm.harness import cobs
from edge_lstm.harness.crc import crc32
from edge_lstm.harness.device import Device, DeviceError
from edge_lstm.harness.framing import Frame, FrameError, FrameReader, encode_frame, encode_raw
from edge_lstm.harness.messages import decode_error, decode_step_done, encode_bench_request
from edge_lstm.harness.protocol import (
    BENCH_MAX_RUNS,
    BENCH_REQUEST,
    CHUNK_MAX,
    GET_DATA,
    GET_REQUEST,
    HELD,
    PUT_ACK,
    PUT_REQUEST,
    RUN_REQUEST,
    ErrorCode,
    MsgType,
)

T, F, OUT = 8, 4, 5


def expected_output(x: np.ndarray) -> np.ndarray:
    """The fake model's definition: low byte of each feature's sum, then the step count."""
    x = x.reshape(-1, F).astype(np.int64)
    sums = x.sum(axis=0)
    return np.concatenate([sums, [len(x)]]).astype(np.uint8).view(np.int8)


@pytest.fixture(scope="module")
def app_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostapp.build(require("cc"), tmp_path_factory.mktemp("app"))


@pytest.fixture
def app(app_exe: Path) -> Iterator[hostapp.RunningApp]:
    with hostapp.run_on_pty(app_exe) as running:
        yield running


@pytest.fixture
def device(app: hostapp.RunningApp) -> Iterator[Device]:
    with Device(app.port) as dev:
        yield dev


def test_hello_reports_model_and_board(device: Device) -> None:
    info = device.hello()
    assert (info.timesteps, info.features, info.output_bytes) == (T, F, OUT)
    assert (info.input_scale, info.input_zero_point) == (0.5, -3)
    assert (info.output_scale, info.output_zero_point) == (0.25, 7)
    assert info.model_sha256 == hashlib.sha256(hostapp.FAKE_SHA256_TEXT).hexdigest()
    assert (info.runtime, info.board, info.cycle_unit) == ("native", "host-test", "nanoseconds")
    # One frame takes a full chunk (a GET piece is built in the receive buffer); a request up
    # to the largest (BENCH) can be staged in chunks.
    assert info.max_request == max(PUT_REQUEST.size, GET_DATA.size) + CHUNK_MAX
    assert info.stage_bytes == BENCH_REQUEST.size + T * F
    assert info.chunk_max == CHUNK_MAX
    assert info.bench_max_runs == BENCH_MAX_RUNS
    assert info.ram_bytes == 4 * F + 4  # int32 sums + uint32 step count
    assert info.build_id


def test_infer_matches_the_model_definition(device: Device) -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.integers(-128, 128, size=(T, F), dtype=np.int8)
        x[x == -128] = -127  # an all -128 step is the fake model's fault trigger
        out, cycles = device.infer(x)
        np.testing.assert_array_equal(out, expected_output(x))
        assert cycles > 0
    assert device.stats.retries == 0 and device.stats.bad_frames == 0


def test_streaming_steps_equal_the_whole_sequence(device: Device) -> None:
    x = np.arange(T * F, dtype=np.int8).reshape(T, F) * 3
    device.reset()
    for t in range(T):
        done = device.step(x[t])
        assert done.steps == t + 1
        out, _ = device.output()
        np.testing.assert_array_equal(out, expected_output(x[: t + 1]))
    whole, _ = device.infer(x)
    np.testing.assert_array_equal(whole, out)
    device.reset()
    out, _ = device.output()
    np.testing.assert_array_equal(out, np.zeros(OUT, dtype=np.int8))


def test_bench_statistics(device: Device) -> None:
    result = device.bench(9)
    assert result.runs == 9
    assert 0 < result.min <= result.median <= result.max
    assert 9 * result.min <= result.total <= 9 * result.max
    with pytest.raises(EdgeLstmError):
        device.bench(BENCH_MAX_RUNS + 1)  # refused before sending


def test_device_errors(device: Device) -> None:
    x = np.zeros((T, F), dtype=np.int8)
    x[2] = -128
    with pytest.raises(DeviceError) as info:
        device.infer(x)
    assert info.value.reply.code == ErrorCode.MODEL_ERROR and info.value.reply.aux == -7
    link = device.link
    answer = link.request(MsgType.INFER, bytes(T * F - 1))
    assert answer.type == MsgType.ERROR
    assert decode_error(answer.payload).code == ErrorCode.BAD_LENGTH
    answer = link.request(MsgType.BENCH, encode_bench_request(0, bytes(T * F)))
    assert decode_error(answer.payload).code == ErrorCode.BAD_ARG
    answer = link.request(0x33, b"xyz")
    assert answer.type == MsgType.ERROR
    assert decode_error(answer.payload).code == ErrorCode.UNKNOWN_TYPE
    assert decode_error(answer.payload).request_type == 0x33
    with pytest.raises(EdgeLstmError):
        device.infer(np.zeros((T, F), dtype=np.float32))  # not quantized: refused on the host


# --- frames by hand --------------------------------------------------------------------------


def _exchange(port: serial.Serial, wire: bytes, count: int = 1) -> list[Frame | FrameError]:
    """Send ``wire`` and collect ``count`` frames (or errors) from the app."""
    port.write(wire)
    reader = FrameReader()
    events: list[Frame | FrameError] = []
    deadline = time.monotonic() + 5
    while len(events) < count and time.monotonic() < deadline:
        events += reader.feed(port.read(max(1, port.in_waiting)))
    assert len(events) == count, events
    return events


@pytest.fixture
def port(app: hostapp.RunningApp) -> Iterator[serial.Serial]:
    with serial.serial_for_url(app.port, timeout=0.05) as opened:
        yield opened


def _error(event: Frame | FrameError) -> tuple[int, int]:
    assert isinstance(event, Frame) and event.type == MsgType.ERROR
    return decode_error(event.payload).code, event.seq


def test_damaged_and_refused_frames(port: serial.Serial) -> None:
    raw = bytearray(encode_raw(Frame(MsgType.RESET, 0x0102)))
    raw[-1] ^= 0xFF
    assert _error(_exchange(port, cobs.encode(bytes(raw)) + b"\x00")[0]) == (
        ErrorCode.BAD_CRC,
        0x0102,
    )
    bad_version = encode_frame(Frame(MsgType.HELLO, 0x0203, version=9))
    (reply,) = _exchange(port, bad_version)
    assert _error(reply) == (ErrorCode.BAD_VERSION, 0x0203)
    assert _error(_exchange(port, b"\x03\x01\x02\x00")[0])[0] == ErrorCode.TOO_SHORT
    cut = encode_frame(Frame(MsgType.STEP, 9, b"\x01\x02\x03\x04"))[:-3] + b"\x00"
    assert _error(_exchange(port, cut)[0])[0] == ErrorCode.BAD_COBS
    too_long = encode_frame(Frame(MsgType.INFER, 10, bytes(range(1, 250)) * 2))
    assert _error(_exchange(port, too_long)[0])[0] == ErrorCode.TOO_LONG
    # Empty frames (runs of delimiters) are not answered; the next frame is.
    (reply,) = _exchange(port, b"\x00\x00\x00" + encode_frame(Frame(MsgType.RESET, 11)))
    assert isinstance(reply, Frame) and (reply.type, reply.seq) == (MsgType.RESET_DONE, 11)


def test_repeated_request_is_answered_from_cache(port: serial.Serial) -> None:
    _exchange(port, encode_frame(Frame(MsgType.RESET, 100)))
    step = encode_frame(Frame(MsgType.STEP, 101, b"\x05\x06\x07\x08"))
    first, again = _exchange(port, step + step, count=2)
    assert isinstance(first, Frame) and first == again
    assert decode_step_done(first.payload).steps == 1  # the model stepped once
    # A damaged frame in between leaves the cache alone.
    garbage = cobs.encode(b"\x01\x04\x65\x00\x00\x00\xde\xad\xbe\xef") + b"\x00"
    damaged, third = _exchange(port, garbage + step, count=2)
    assert _error(damaged)[0] == ErrorCode.BAD_CRC
    assert third == first
    # Same sequence number, different content: a new request, run again.
    other = encode_frame(Frame(MsgType.STEP, 101, b"\x01\x01\x01\x01"))
    (fresh,) = _exchange(port, other)
    assert isinstance(fresh, Frame) and decode_step_done(fresh.payload).steps == 2
    (out,) = _exchange(port, encode_frame(Frame(MsgType.OUTPUT, 102)))
    assert isinstance(out, Frame)
    np.testing.assert_array_equal(
        np.frombuffer(out.payload[4:], dtype=np.int8),
        expected_output(np.array([[5, 6, 7, 8], [1, 1, 1, 1]], dtype=np.int8)),
    )


def test_device_over_a_tcp_socket_url(app_exe: Path) -> None:
    """The same app behind socket:// (as QEMU's -serial tcp: gives), not only a tty."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    host, port_number = server.getsockname()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    with Device(f"socket://{host}:{port_number}") as device:
        thread.join(timeout=5)
        conn = accepted[0]
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with hostapp.run_on_fd(app_exe, conn.fileno()):
            conn.close()
            x = np.full((T, F), 9, dtype=np.int8)
            out, _ = device.infer(x)
            np.testing.assert_array_equal(out, expected_output(x))
    server.close()


# --- the chunked exchange by hand ------------------------------------------------------------


def _answer(port: serial.Serial, frame: Frame) -> Frame:
    (event,) = _exchange(port, b"\x00" + encode_frame(frame))
    assert isinstance(event, Frame) and event.seq == frame.seq, event
    return event


def _put(port: serial.Serial, seq: int, xfer: int, offset: int, total: int, data: bytes) -> int:
    head = PUT_REQUEST.pack(xfer=xfer, offset=offset, total=total, reserved=0)
    ack = _answer(port, Frame(MsgType.PUT, seq, head + data))
    assert ack.type == MsgType.PUT_ACK
    fields = PUT_ACK.unpack(ack.payload)
    assert (fields["xfer"], fields["total"]) == (xfer, total)
    return fields["received"]


def _run(seq: int, xfer: int, payload: bytes, max_answer: int = 256, kind: int = MsgType.INFER):
    body = RUN_REQUEST.pack(
        type=kind,
        reserved=0,
        xfer=xfer,
        length=len(payload),
        max_answer=max_answer,
        crc=crc32(payload),
    )
    return Frame(MsgType.RUN, seq, body)


def test_staging_keeps_a_contiguous_prefix_and_resumes(port: serial.Serial) -> None:
    x = (np.arange(T * F, dtype=np.int8) * 5 - 60).astype(np.int8)
    data = x.tobytes()
    assert _put(port, 200, 5, 8, 32, data[8:16]) == 0  # a transfer the device does not hold
    assert _put(port, 201, 5, 0, 32, data[:16]) == 16
    assert _put(port, 202, 5, 24, 32, data[24:]) == 16  # past a gap: not taken
    refused = _answer(port, _run(203, 5, data))
    assert refused.type == MsgType.ERROR
    error = decode_error(refused.payload)
    assert (error.code, error.aux) == (ErrorCode.NOT_STAGED, 16)  # resume at 16
    assert _put(port, 204, 5, 16, 32, data[16:]) == 32
    assert _put(port, 205, 5, 8, 32, data[8:24]) == 32  # a repeat changes nothing
    answer = _answer(port, _run(206, 5, data))
    assert answer.type == MsgType.INFER_RESULT
    np.testing.assert_array_equal(np.frombuffer(answer.payload[4:], np.int8), expected_output(x))
    # The same RUN with another CRC (the payload the host meant differs): not run.
    wrong = _answer(port, _run(207, 5, data[:-1] + b"\x01"))
    assert decode_error(wrong.payload).code == ErrorCode.NOT_STAGED
    # ... and that transfer is forgotten: offset 0 starts it over.
    assert _put(port, 208, 5, 0, 32, data[:8]) == 8
    too_big = _answer(
        port,
        Frame(
            MsgType.PUT, 209, PUT_REQUEST.pack(xfer=6, offset=0, total=999, reserved=0) + b"\x01"
        ),
    )
    assert decode_error(too_big.payload).code == ErrorCode.BAD_ARG


def test_a_held_answer_comes_in_pieces_and_survives_repeats(port: serial.Serial) -> None:
    x = np.full(T * F, 3, dtype=np.int8)
    data = x.tobytes()
    assert _put(port, 300, 9, 0, 32, data) == 32
    run = _run(301, 9, data, max_answer=4)
    held = _answer(port, run)
    assert held.type == MsgType.HELD
    record = HELD.unpack(held.payload)
    expected = expected_output(x).tobytes()
    assert (record["type"], record["length"]) == (MsgType.INFER_RESULT, 4 + OUT)
    assert _answer(port, run) == held  # a repeat is answered from the cache: HELD again
    pieces = b""
    for seq, offset in ((302, 0), (303, 4), (304, 8)):
        got = _answer(
            port,
            Frame(MsgType.GET, seq, GET_REQUEST.pack(seq=301, offset=offset, length=4, reserved=0)),
        )
        assert got.type == MsgType.GET_DATA
        head = GET_DATA.unpack(got.payload)
        assert (head["offset"], head["total"], head["crc"]) == (offset, 4 + OUT, record["crc"])
        pieces += got.payload[GET_DATA.size :]
    assert len(pieces) == 4 + OUT and crc32(pieces) == record["crc"]
    assert pieces[4:] == expected
    # A GET for a request the device did not answer last: NOT_HELD.
    gone = _answer(
        port, Frame(MsgType.GET, 305, GET_REQUEST.pack(seq=77, offset=0, length=4, reserved=0))
    )
    assert decode_error(gone.payload).code == ErrorCode.NOT_HELD


def test_a_staged_step_runs_once_however_often_its_run_is_resent(port: serial.Serial) -> None:
    _answer(port, Frame(MsgType.RESET, 400))
    step = bytes([1, 2, 3, 4])
    assert _put(port, 401, 11, 0, F, step) == F
    run = _run(402, 11, step, kind=MsgType.STEP)
    first = _answer(port, run)
    assert _put(port, 403, 11, 0, F, step) == F  # chunks between resends leave the cache alone
    assert _answer(port, run) == first
    assert decode_step_done(first.payload).steps == 1
