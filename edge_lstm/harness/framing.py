"""Frames on the wire: ``COBS(header | payload | crc32) 0x00``.

``parse_frame`` applies the same checks in the same order as the firmware's parser (el_frame.c),
so a frame error seen on the host names the same ErrorCode the device would send back.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from edge_lstm.harness import cobs
from edge_lstm.harness.crc import crc32
from edge_lstm.harness.protocol import (
    CRC_SIZE,
    FRAME_OVERHEAD,
    HEADER,
    MAX_FRAME,
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    ErrorCode,
)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: the header fields and the payload."""

    type: int
    seq: int
    payload: bytes = b""
    version: int = PROTOCOL_VERSION


class FrameError(ValueError):
    """A received frame failed a check; ``code`` is the ErrorCode the firmware would report."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        seq: int | None = None,
        version: int | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.seq = seq
        self.version = version  # set once the CRC has vouched for the header
        self.data = b""  # the encoded bytes, when a FrameReader saw them


def encode_raw(frame: Frame) -> bytes:
    """Header, payload and CRC, before COBS."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = (
        HEADER.pack(
            version=frame.version,
            type=frame.type,
            seq=frame.seq & 0xFFFF,
            length=len(frame.payload),
        )
        + frame.payload
    )
    return body + crc32(body).to_bytes(CRC_SIZE, "little")


def encode_frame(frame: Frame) -> bytes:
    """The bytes to send: COBS-encoded frame and its 0x00 delimiter."""
    return cobs.encode(encode_raw(frame)) + bytes([cobs.DELIMITER])


def parse_raw(raw: bytes, accept: Collection[int] | None = None) -> Frame:
    """Check a COBS-decoded frame: size, CRC, version, length field, then (optionally) type."""
    if len(raw) < FRAME_OVERHEAD:
        raise FrameError(
            ErrorCode.TOO_SHORT, f"{len(raw)} bytes, a frame has at least {FRAME_OVERHEAD}"
        )
    head = HEADER.unpack(raw)
    body, trailer = raw[:-CRC_SIZE], raw[-CRC_SIZE:]
    expected = int.from_bytes(trailer, "little")
    actual = crc32(body)
    if actual != expected:
        raise FrameError(ErrorCode.BAD_CRC, f"CRC 0x{actual:08X} != 0x{expected:08X}", head["seq"])
    if head["version"] != PROTOCOL_VERSION:
        raise FrameError(
            ErrorCode.BAD_VERSION,
            f"version {head['version']}, expected {PROTOCOL_VERSION}",
            head["seq"],
            head["version"],
        )
    payload = body[HEADER.size :]
    if head["length"] != len(payload):
        raise FrameError(
            ErrorCode.BAD_LENGTH,
            f"length field {head['length']} but {len(payload)} payload bytes",
            head["seq"],
        )
    if accept is not None and head["type"] not in accept:
        raise FrameError(
            ErrorCode.UNKNOWN_TYPE, f"type 0x{head['type']:02X}", head["seq"], head["version"]
        )
    return Frame(type=head["type"], seq=head["seq"], payload=payload, version=head["version"])


def parse_encoded(
    encoded: bytes, max_frame: int = MAX_FRAME, accept: Collection[int] | None = None
) -> Frame:
    """Decode the bytes between two delimiters (as the firmware does for its buffer size)."""
    data, complete = cobs.decode_prefix(encoded)
    if len(data) > max_frame:
        raise FrameError(ErrorCode.TOO_LONG, f"more than {max_frame} bytes")
    if not complete:
        raise FrameError(ErrorCode.BAD_COBS, "COBS block cut short by the delimiter")
    return parse_raw(data, accept)


class FrameReader:
    """Splits a byte stream at delimiters; empty frames (back-to-back 0x00) are skipped.

    Bytes before the first delimiter are a frame like any other: a partial one fails its
    checks and is reported, which is how a receiver that joined mid-stream resynchronizes.
    """

    def __init__(self, max_frame: int = MAX_FRAME, accept: Collection[int] | None = None):
        self._pending = bytearray()
        # A memory bound only: parse_encoded applies the exact decoded-size check.
        self._max_encoded = 2 * cobs.max_encoded_size(max_frame)
        self._overflow = False
        self._max_frame = max_frame
        self._accept = accept

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        events: list[Frame | FrameError] = []
        for chunk_end, part in _split_keep(data):
            if not chunk_end:
                self._append(part)
                continue
            self._append(part)
            if self._overflow:
                events.append(FrameError(ErrorCode.TOO_LONG, f"more than {self._max_frame} bytes"))
            elif self._pending:
                try:
                    events.append(
                        parse_encoded(bytes(self._pending), self._max_frame, self._accept)
                    )
                except FrameError as err:
                    err.data = bytes(self._pending)
                    events.append(err)
            self._pending.clear()
            self._overflow = False
        return events

    def flush(self) -> list[Frame | FrameError]:
        """The bytes held since the last delimiter, when they already form a valid frame.

        For a line that went quiet: the frame's delimiter was lost. Bytes that do not (yet)
        form a valid frame stay, in case the rest is still on its way.
        """
        if self._overflow or not self._pending:
            return []
        try:
            frame = parse_encoded(bytes(self._pending), self._max_frame, self._accept)
        except FrameError:
            return []
        self._pending.clear()
        return [frame]

    def discard(self) -> None:
        """Forget a partial frame (the next delimiter starts afresh anyway)."""
        self._pending.clear()
        self._overflow = False

    def _append(self, part: bytes) -> None:
        if self._overflow:
            return
        self._pending += part
        if len(self._pending) > self._max_encoded:
            self._overflow = True
            self._pending.clear()


def _split_keep(data: bytes) -> list[tuple[bool, bytes]]:
    """Pieces of ``data``, each flagged True when a delimiter ended it."""
    pieces = data.split(bytes([cobs.DELIMITER]))
    return [(i < len(pieces) - 1, piece) for i, piece in enumerate(pieces)]
