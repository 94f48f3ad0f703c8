"""The serial protocol between the host harness and the firmware: the one definition.

Every constant the firmware needs (message types, error codes, sizes, payload field offsets) is
defined here and nowhere else; ``generate_c_header()`` writes them into ``el_protocol.h`` so the
C app and this package cannot drift apart. docs/protocol.md describes the protocol in prose.

A frame, before COBS encoding, is ``header | payload | crc32``; all integers are little-endian.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

#: Version 3 added the chunked exchange (PUT, RUN, GET); a firmware of another version answers
#: every frame with BAD_VERSION, which the host reports with both versions.
PROTOCOL_VERSION = 3

#: Largest payload of any frame. It bounds the largest INFER input (T*F int8, up to 128*40 =
#: 5120 bytes in the supported models) with room to spare, and fits the uint16 length field.
MAX_PAYLOAD = 8192

#: A response type is its request type with this bit set; ERROR is the only other response.
RESPONSE_FLAG = 0x80

#: BENCH keeps every run's count to take a median: this bounds that array in firmware RAM.
BENCH_MAX_RUNS = 64

#: Longest string field in INFO (board name, build id, ...); longer strings are truncated.
MAX_STRING = 63

#: Longest detail text in an ERROR response.
MAX_ERROR_TEXT = 64

#: Most data bytes in one PUT or GET chunk. It sizes the device's receive buffer (which no
#: longer has to hold a whole input sequence) and the host's starting chunk size: a clean link
#: moves a sequence in few round trips, and the host halves from here when chunks get damaged.
CHUNK_MAX = 256

#: Fewest data bytes the host puts in a chunk: below this the frame overhead (header, CRC,
#: COBS, delimiters: about 20 bytes each way) dominates and smaller frames barely survive more.
CHUNK_MIN = 16


class MsgType(IntEnum):
    """Message types; requests have the top bit clear, responses set."""

    HELLO = 0x01
    RESET = 0x02
    INFER = 0x03
    STEP = 0x04
    OUTPUT = 0x05
    BENCH = 0x06
    PUT = 0x07  # one chunk of a request payload, written into the device's staging buffer
    RUN = 0x08  # run a request on the staged payload (or an empty one); the answer may be held
    GET = 0x09  # one chunk of the device's last answer
    INFO = HELLO | RESPONSE_FLAG
    RESET_DONE = RESET | RESPONSE_FLAG
    INFER_RESULT = INFER | RESPONSE_FLAG
    STEP_DONE = STEP | RESPONSE_FLAG
    OUTPUT_RESULT = OUTPUT | RESPONSE_FLAG
    BENCH_RESULT = BENCH | RESPONSE_FLAG
    PUT_ACK = PUT | RESPONSE_FLAG
    HELD = RUN | RESPONSE_FLAG  # the answer is larger than the host asked for: fetch it by GET
    GET_DATA = GET | RESPONSE_FLAG
    ERROR = 0xFF


REQUEST_TYPES: frozenset[int] = frozenset(t for t in MsgType if not t & RESPONSE_FLAG)


def response_type(request: int) -> int:
    """The type of a successful response to ``request``."""
    return request | RESPONSE_FLAG


class ErrorCode(IntEnum):
    """Error codes in an ERROR response (and in host-side frame errors)."""

    BAD_CRC = 1  # the frame's CRC-32 does not match
    BAD_COBS = 2  # a COBS block ran past the delimiter: bytes were lost
    TOO_LONG = 3  # the frame does not fit the receiver's buffer
    TOO_SHORT = 4  # fewer bytes than a header and a CRC
    BAD_VERSION = 5  # protocol version byte differs from the receiver's
    BAD_LENGTH = 6  # the length field or the payload size is wrong for the message
    UNKNOWN_TYPE = 7  # not a request type this firmware knows
    BAD_ARG = 8  # a payload value is out of range (e.g. BENCH runs)
    MODEL_ERROR = 9  # the model API returned non-zero (aux holds the status)
    NOT_STAGED = 10  # RUN: the staged payload is incomplete or not the one named (aux: bytes held)
    NOT_HELD = 11  # GET: the device holds no answer to that request (it reset, or never ran it)


#: Errors that mean "the request frame was damaged on the way": the host resends the same frame.
#: Every other error is the device's considered answer to an intact request and is final.
LINK_ERRORS: frozenset[int] = frozenset(
    {ErrorCode.BAD_CRC, ErrorCode.BAD_COBS, ErrorCode.TOO_LONG, ErrorCode.TOO_SHORT}
)

#: Errors that mean "the device lost state the host counted on" (a reset between chunks, a
#: cut): the host sends the payload again from where the device says and repeats the request.
RESUME_ERRORS: frozenset[int] = frozenset({ErrorCode.NOT_STAGED, ErrorCode.NOT_HELD})

#: The chunk messages: answered from a side buffer, never from or into the response cache.
CHUNK_TYPES: frozenset[int] = frozenset({MsgType.PUT, MsgType.GET})

_C_TYPES = {
    "B": "uint8",
    "b": "int8",
    "H": "uint16",
    "h": "int16",
    "I": "uint32",
    "i": "int32",
    "Q": "uint64",
    "q": "int64",
}


@dataclass(frozen=True)
class Layout:
    """A fixed-size little-endian record; variable data (arrays, strings) follows it.

    One Layout gives both the Python codec and the C offset macros, so field positions are
    written down once.
    """

    name: str
    fields: tuple[tuple[str, str], ...]

    @property
    def struct(self) -> struct.Struct:
        return struct.Struct("<" + "".join(code for _, code in self.fields))

    @property
    def size(self) -> int:
        return self.struct.size

    @property
    def offsets(self) -> dict[str, int]:
        result: dict[str, int] = {}
        offset = 0
        for field, code in self.fields:
            result[field] = offset
            offset += struct.calcsize("<" + code)
        return result

    def pack(self, **values: Any) -> bytes:
        missing = {f for f, _ in self.fields} - values.keys()
        if missing:
            raise TypeError(f"{self.name}: missing fields {sorted(missing)}")
        return self.struct.pack(*(values[f] for f, _ in self.fields))

    def unpack(self, data: bytes) -> dict[str, Any]:
        """Decode the fixed part from the start of ``data``; the caller slices the rest."""
        if len(data) < self.size:
            raise ValueError(f"{self.name}: {len(data)} bytes, need at least {self.size}")
        values = self.struct.unpack_from(data, 0)
        return {f: v for (f, _), v in zip(self.fields, values, strict=True)}

    def c_field_type(self, field: str) -> str:
        code = dict(self.fields)[field]
        if code.endswith("s"):
            return f"uint8[{code[:-1]}]"
        return _C_TYPES[code]


HEADER = Layout("HDR", (("version", "B"), ("type", "B"), ("seq", "H"), ("length", "H")))
CRC_SIZE = 4
FRAME_OVERHEAD = HEADER.size + CRC_SIZE
MAX_FRAME = FRAME_OVERHEAD + MAX_PAYLOAD

#: INFO (response to HELLO): this record, then four strings, each a uint8 length and its bytes:
#: runtime ("native"/"tflm"), board name, cycle unit ("cycles"/"instructions"), build id.
INFO = Layout(
    "INFO",
    (
        ("version", "B"),
        ("reserved", "B"),
        ("timesteps", "H"),
        ("features", "H"),
        ("output_bytes", "H"),
        ("max_request", "H"),  # largest request payload the device's buffer takes
        ("bench_max_runs", "H"),
        ("input_scale_bits", "I"),  # float32 bit pattern
        ("input_zero_point", "i"),
        ("output_scale_bits", "I"),
        ("output_zero_point", "i"),
        ("ram_bytes", "I"),
        ("cpu_hz", "I"),
        ("model_sha256", "32s"),
        ("stage_bytes", "H"),  # largest request payload that can be staged by PUT (BENCH's)
        ("chunk_max", "H"),  # most data bytes the device takes in one PUT or gives in one GET
    ),
)
INFO_STRINGS = ("runtime", "board", "cycle_unit", "build_id")
INFO_MAX = INFO.size + len(INFO_STRINGS) * (1 + MAX_STRING)

#: INFER request: T*F int8. Response: this record, then the output int8 bytes.
INFER_RESULT = Layout("INFER_RES", (("cycles", "I"),))
#: STEP request: F int8 (one time step). Response: this record.
STEP_DONE = Layout("STEP_RES", (("cycles", "I"), ("steps", "I")))
#: OUTPUT request: empty. Response: this record, then the output int8 bytes.
OUTPUT_RESULT = Layout("OUTPUT_RES", (("cycles", "I"),))
#: BENCH request: this record, then T*F int8 input run ``runs`` times (each run resets first).
BENCH_REQUEST = Layout("BENCH_REQ", (("runs", "H"), ("reserved", "H")))
BENCH_RESULT = Layout(
    "BENCH_RES",
    (
        ("runs", "H"),
        ("reserved", "H"),
        ("min", "I"),
        ("median", "I"),  # lower median: sorted[(runs - 1) // 2]
        ("max", "I"),
        ("total", "Q"),
        ("stack_used", "I"),  # stack high-water mark in bytes since boot (painted stack)
    ),
)
#: PUT request: this record, then 1..CHUNK_MAX data bytes for payload[offset:offset + n] of the
#: transfer ``xfer`` whose whole payload is ``total`` bytes. Offset 0 of a new xfer starts it.
PUT_REQUEST = Layout("PUT_REQ", (("xfer", "H"), ("offset", "H"), ("total", "H"), ("reserved", "H")))
#: PUT_ACK: bytes 0..received of ``xfer`` are held (contiguously); 0 when the device does not
#: hold that transfer (it reset): the host resumes from ``received``.
PUT_ACK = Layout("PUT_ACK", (("xfer", "H"), ("received", "H"), ("total", "H"), ("reserved", "H")))
#: RUN request: run ``type`` on the staged payload of ``xfer`` (``length`` bytes whose CRC-32 is
#: ``crc``; length 0 needs no staging). The answer comes whole when its payload is at most
#: ``max_answer`` bytes, else HELD says how to fetch it.
RUN_REQUEST = Layout(
    "RUN_REQ",
    (
        ("type", "B"),
        ("reserved", "B"),
        ("xfer", "H"),
        ("length", "H"),
        ("max_answer", "H"),
        ("crc", "I"),
    ),
)
#: HELD (answer to RUN): the answer of ``type`` with ``length`` payload bytes (CRC-32 ``crc``)
#: waits on the device; GET fetches it.
HELD = Layout("HELD", (("type", "B"), ("reserved", "B"), ("length", "H"), ("crc", "I")))
#: GET request: up to ``length`` bytes from ``offset`` of the answer to request ``seq``.
GET_REQUEST = Layout("GET_REQ", (("seq", "H"), ("offset", "H"), ("length", "H"), ("reserved", "H")))
#: GET_DATA: this record, then the bytes; ``type``, ``total`` and ``crc`` describe the whole
#: answer so that any piece also says what the assembled answer must be.
GET_DATA = Layout(
    "GET_DATA",
    (
        ("seq", "H"),
        ("offset", "H"),
        ("total", "H"),
        ("type", "B"),
        ("reserved", "B"),
        ("crc", "I"),
    ),
)
#: ERROR: this record, then up to MAX_ERROR_TEXT bytes of ASCII detail text.
ERROR = Layout(
    "ERROR",
    (("code", "B"), ("request_type", "B"), ("reserved", "H"), ("aux", "i")),
)
ERROR_MAX = ERROR.size + MAX_ERROR_TEXT

LAYOUTS: tuple[Layout, ...] = (
    HEADER,
    INFO,
    INFER_RESULT,
    STEP_DONE,
    OUTPUT_RESULT,
    BENCH_REQUEST,
    BENCH_RESULT,
    ERROR,
    PUT_REQUEST,
    PUT_ACK,
    RUN_REQUEST,
    HELD,
    GET_REQUEST,
    GET_DATA,
)

#: Scalar constants emitted into el_protocol.h, as EL_PROTO_<name>.
SCALARS: Mapping[str, int] = {
    "VERSION": PROTOCOL_VERSION,
    "MAX_PAYLOAD": MAX_PAYLOAD,
    "RESPONSE_FLAG": RESPONSE_FLAG,
    "BENCH_MAX_RUNS": BENCH_MAX_RUNS,
    "MAX_STRING": MAX_STRING,
    "MAX_ERROR_TEXT": MAX_ERROR_TEXT,
    "CRC_SIZE": CRC_SIZE,
    "FRAME_OVERHEAD": FRAME_OVERHEAD,
    "MAX_FRAME": MAX_FRAME,
    "INFO_MAX": INFO_MAX,
    "ERROR_MAX": ERROR_MAX,
    "CHUNK_MAX": CHUNK_MAX,
    "CHUNK_MIN": CHUNK_MIN,
    "DELIMITER": 0x00,
}


def generate_c_header() -> str:
    """Text of ``el_protocol.h``: these constants for the firmware (see harness.cgen)."""
    from edge_lstm.harness.cgen import protocol_header

    return protocol_header()
