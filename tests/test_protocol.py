"""Protocol layer on the host: COBS, CRC-32, frames and payload codecs."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from edge_lstm.harness import cobs
from edge_lstm.harness.crc import CHECK_VALUE, crc32
from edge_lstm.harness.framing import (
    Frame,
    FrameError,
    FrameReader,
    encode_frame,
    encode_raw,
    parse_encoded,
)
from edge_lstm.harness.messages import (
    BenchResult,
    DeviceInfo,
    ErrorReply,
    StepDone,
    decode_bench_result,
    decode_error,
    decode_info,
    decode_step_done,
    decode_timed,
    encode_bench_result,
    encode_error,
    encode_info,
    encode_step_done,
    encode_timed,
)
from edge_lstm.harness.protocol import (
    FRAME_OVERHEAD,
    INFO,
    INFO_MAX,
    MAX_PAYLOAD,
    REQUEST_TYPES,
    ErrorCode,
    MsgType,
    response_type,
)

# --- CRC-32 ---------------------------------------------------------------------------------


def _crc32_bitwise(data: bytes) -> int:
    """CRC-32 from its Rocksoft parameters, one bit at a time (reflected poly 0xEDB88320)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xEDB88320 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32_published_check_value() -> None:
    assert crc32(b"123456789") == 0xCBF43926 == CHECK_VALUE


@given(st.binary(max_size=300))
def test_crc32_matches_bitwise_definition(data: bytes) -> None:
    assert crc32(data) == _crc32_bitwise(data)


def test_crc32_continues() -> None:
    assert crc32(b"6789", crc32(b"12345")) == 0xCBF43926


# --- COBS -----------------------------------------------------------------------------------

_SEQ = bytes(range(1, 255))  # 01..FE
PUBLISHED_COBS = [  # the examples of Cheshire & Baker's encoding as commonly published
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (_SEQ, b"\xff" + _SEQ),
    (b"\x00" + _SEQ, b"\x01\xff" + _SEQ),
    (_SEQ + b"\xff", b"\xff" + _SEQ + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


@pytest.mark.parametrize(("data", "encoded"), PUBLISHED_COBS)
def test_cobs_published_examples(data: bytes, encoded: bytes) -> None:
    assert cobs.encode(data) == encoded
    assert cobs.decode(encoded) == data


@given(st.binary(max_size=2000))
def test_cobs_round_trip_and_bounds(data: bytes) -> None:
    encoded = cobs.encode(data)
    assert 0 not in encoded
    assert len(encoded) <= cobs.max_encoded_size(len(data))
    assert cobs.decode(encoded) == data


def test_cobs_rejects_truncated_block() -> None:
    with pytest.raises(cobs.CobsError):
        cobs.decode(b"\x05\x11\x22")
    assert cobs.decode_prefix(b"\x05\x11\x22") == (b"\x11\x22", False)


# --- frames ---------------------------------------------------------------------------------

frames = st.builds(
    Frame,
    type=st.integers(0, 255),
    seq=st.integers(0, 0xFFFF),
    payload=st.binary(max_size=600),
)


@given(frames)
def test_frame_round_trip(frame: Frame) -> None:
    wire = encode_frame(frame)
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    assert parse_encoded(wire[:-1]) == frame
    assert len(encode_raw(frame)) == FRAME_OVERHEAD + len(frame.payload)


@given(st.lists(frames, max_size=5), st.data())
def test_reader_splits_a_stream_at_any_chunking(frame_list: list[Frame], data) -> None:
    stream = b"".join(b"\x00" + encode_frame(f) for f in frame_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    reader = FrameReader()
    events = []
    start = 0
    for cut in [*cuts, len(stream)]:
        events += reader.feed(stream[start:cut])
        start = cut
    assert events == frame_list


def test_max_payload_frame_round_trips() -> None:
    frame = Frame(type=MsgType.INFER, seq=7, payload=bytes(range(256)) * (MAX_PAYLOAD // 256))
    assert parse_encoded(encode_frame(frame)[:-1]) == frame
    with pytest.raises(ValueError):
        encode_raw(Frame(type=MsgType.INFER, seq=7, payload=bytes(MAX_PAYLOAD + 1)))


def _error_of(encoded: bytes, **kwargs) -> ErrorCode:
    with pytest.raises(FrameError) as info:
        parse_encoded(encoded, **kwargs)
    return info.value.code


def test_frame_errors_name_the_fault() -> None:
    frame = Frame(type=MsgType.STEP, seq=0x1234, payload=b"\x01\x02\x03")
    raw = bytearray(encode_raw(frame))
    flipped = bytearray(raw)
    flipped[7] ^= 0x10
    assert _error_of(cobs.encode(bytes(flipped))) is ErrorCode.BAD_CRC
    assert _error_of(cobs.encode(bytes(raw[:9]))) is ErrorCode.TOO_SHORT
    assert _error_of(cobs.encode(bytes(raw)), max_frame=len(raw) - 1) is ErrorCode.TOO_LONG
    assert _error_of(cobs.encode(bytes(raw))[:-1]) is ErrorCode.BAD_COBS
    other_version = encode_raw(Frame(type=MsgType.STEP, seq=1, payload=b"", version=9))
    assert _error_of(cobs.encode(other_version)) is ErrorCode.BAD_VERSION
    # A valid CRC over a header whose length field lies:
    body = bytearray(encode_raw(frame)[:-4])
    body[4] = 5
    lying = bytes(body) + crc32(bytes(body)).to_bytes(4, "little")
    assert _error_of(cobs.encode(lying)) is ErrorCode.BAD_LENGTH
    assert _error_of(cobs.encode(bytes(raw)), accept={MsgType.HELLO}) is ErrorCode.UNKNOWN_TYPE
    seq_of_bad = FrameReader().feed(cobs.encode(bytes(flipped)) + b"\x00")[0]
    assert isinstance(seq_of_bad, FrameError) and seq_of_bad.seq == 0x1234


def test_reader_resynchronizes_after_garbage() -> None:
    good = Frame(type=MsgType.HELLO, seq=3)
    events = FrameReader().feed(b"\x07garbage\x00\x00" + encode_frame(good))
    assert isinstance(events[0], FrameError)
    assert events[1:] == [good]


def test_message_types_pair_up() -> None:
    for request in REQUEST_TYPES:
        assert request < 0x80
        assert MsgType(response_type(request)).name
    assert MsgType.ERROR not in REQUEST_TYPES


# --- payloads -------------------------------------------------------------------------------

texts = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=63)
infos = st.builds(
    DeviceInfo,
    version=st.integers(0, 255),
    timesteps=st.integers(0, 0xFFFF),
    features=st.integers(0, 0xFFFF),
    output_bytes=st.integers(0, 0xFFFF),
    max_request=st.integers(0, 0xFFFF),
    bench_max_runs=st.integers(0, 0xFFFF),
    input_scale=st.sampled_from([0.5, 0.0078125, 1.5, 3.0517578125e-05]),
    input_zero_point=st.integers(-(2**31), 2**31 - 1),
    output_scale=st.sampled_from([0.25, 0.00390625]),
    output_zero_point=st.integers(-128, 127),
    ram_bytes=st.integers(0, 2**32 - 1),
    cpu_hz=st.integers(0, 2**32 - 1),
    model_sha256=st.binary(min_size=32, max_size=32).map(bytes.hex),
    stage_bytes=st.integers(0, 0xFFFF),
    chunk_max=st.integers(0, 0xFFFF),
    runtime=texts,
    board=texts,
    cycle_unit=texts,
    build_id=texts,
)


@settings(max_examples=200)
@given(infos)
def test_info_round_trip(info: DeviceInfo) -> None:
    payload = encode_info(info)
    assert INFO.size <= len(payload) <= INFO_MAX
    assert decode_info(payload) == info


def test_info_layout_offsets() -> None:
    # Offsets follow from the field sizes: 1+1+2*5 = 12 bytes of small fields first.
    assert INFO.offsets["input_scale_bits"] == 12
    assert INFO.offsets["model_sha256"] == 36
    assert INFO.offsets["stage_bytes"] == 68 and INFO.offsets["chunk_max"] == 70
    assert INFO.size == 72


@given(st.integers(0, 2**32 - 1), st.binary(max_size=64), st.integers(0, 2**32 - 1))
def test_result_round_trips(cycles: int, output: bytes, steps: int) -> None:
    timed = decode_timed(encode_timed(cycles, output), len(output))
    assert (timed.cycles, timed.output) == (cycles, output)
    assert decode_step_done(encode_step_done(StepDone(cycles, steps))) == StepDone(cycles, steps)
    bench = BenchResult(runs=5, min=cycles // 3, median=cycles // 2, max=cycles, total=cycles * 5)
    assert decode_bench_result(encode_bench_result(bench)) == bench
    reply = ErrorReply(
        code=ErrorCode.MODEL_ERROR, request_type=MsgType.INFER, aux=-7, detail="model"
    )
    assert decode_error(encode_error(reply)) == reply


def test_protocol_doc_names_every_type_code_and_timeout() -> None:
    from pathlib import Path

    from edge_lstm.harness import link

    doc = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text()
    for msg in MsgType:
        assert f"| {msg.name} | 0x{int(msg):02X} |" in doc or f"| {msg.name} |" in doc, msg
        assert f"0x{int(msg):02X}" in doc
    for err in ErrorCode:
        assert f"| {int(err)} | {err.name} |" in doc, err
    for name in ("HELLO_TIMEOUT", "REQUEST_TIMEOUT", "RUN_TIMEOUT", "RETRIES"):
        value = getattr(link, name)
        shown = f"{value} s" if isinstance(value, float) else f"{value}"
        assert f"| `{name}` | {shown} |" in doc, name
    assert f"MAX_PAYLOAD ({MAX_PAYLOAD})" in doc
