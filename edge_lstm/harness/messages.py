"""Payload codecs: the typed results a Device returns, and their bytes in each message.

Encoders exist for both directions so that tests (and any host-side stand-in for a board) build
payloads with the same code that the real exchange decodes; the firmware's side is el_app.c.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from edge_lstm.harness.protocol import (
    BENCH_REQUEST,
    BENCH_RESULT,
    ERROR,
    INFER_RESULT,
    INFO,
    INFO_STRINGS,
    MAX_ERROR_TEXT,
    MAX_STRING,
    OUTPUT_RESULT,
    STEP_DONE,
    ErrorCode,
)


class PayloadError(ValueError):
    """A response payload has the wrong size or content for its type."""


def _float_from_bits(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", bits))[0])


def _bits_from_float(value: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", value))[0])


@dataclass(frozen=True)
class DeviceInfo:
    """What a board says about itself and its model in answer to HELLO."""

    version: int
    timesteps: int
    features: int
    output_bytes: int
    max_request: int
    bench_max_runs: int
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    ram_bytes: int
    cpu_hz: int
    model_sha256: str  # lowercase hex, as in edge_lstm.json and the .tflite's digest
    stage_bytes: int  # largest request payload the device can stage in PUT chunks
    chunk_max: int  # most data bytes in one PUT or GET
    runtime: str
    board: str
    cycle_unit: str
    build_id: str

    @property
    def input_bytes(self) -> int:
        return self.timesteps * self.features


def encode_info(info: DeviceInfo) -> bytes:
    fixed = INFO.pack(
        version=info.version,
        reserved=0,
        timesteps=info.timesteps,
        features=info.features,
        output_bytes=info.output_bytes,
        max_request=info.max_request,
        bench_max_runs=info.bench_max_runs,
        input_scale_bits=_bits_from_float(info.input_scale),
        input_zero_point=info.input_zero_point,
        output_scale_bits=_bits_from_float(info.output_scale),
        output_zero_point=info.output_zero_point,
        ram_bytes=info.ram_bytes,
        cpu_hz=info.cpu_hz,
        model_sha256=bytes.fromhex(info.model_sha256),
        stage_bytes=info.stage_bytes,
        chunk_max=info.chunk_max,
    )
    strings = b""
    for name in INFO_STRINGS:
        raw = getattr(info, name).encode("utf-8")[:MAX_STRING]
        strings += bytes([len(raw)]) + raw
    return fixed + strings


def decode_info(payload: bytes) -> DeviceInfo:
    try:
        fields = INFO.unpack(payload)
    except ValueError as err:
        raise PayloadError(str(err)) from err
    pos = INFO.size
    strings: dict[str, str] = {}
    for name in INFO_STRINGS:
        if pos >= len(payload):
            raise PayloadError(f"INFO: string {name} missing")
        n = payload[pos]
        raw = payload[pos + 1 : pos + 1 + n]
        if len(raw) != n:
            raise PayloadError(f"INFO: string {name} cut short")
        strings[name] = raw.decode("utf-8", errors="replace")
        pos += 1 + n
    if pos != len(payload):
        raise PayloadError(f"INFO: {len(payload) - pos} unexpected trailing bytes")
    return DeviceInfo(
        version=fields["version"],
        timesteps=fields["timesteps"],
        features=fields["features"],
        output_bytes=fields["output_bytes"],
        max_request=fields["max_request"],
        bench_max_runs=fields["bench_max_runs"],
        input_scale=_float_from_bits(fields["input_scale_bits"]),
        input_zero_point=fields["input_zero_point"],
        output_scale=_float_from_bits(fields["output_scale_bits"]),
        output_zero_point=fields["output_zero_point"],
        ram_bytes=fields["ram_bytes"],
        cpu_hz=fields["cpu_hz"],
        model_sha256=fields["model_sha256"].hex(),
        stage_bytes=fields["stage_bytes"],
        chunk_max=fields["chunk_max"],
        **strings,
    )


@dataclass(frozen=True)
class Timed:
    """A result with the cycle count (in the board's cycle unit) of the model call."""

    cycles: int
    output: bytes = b""


def encode_timed(cycles: int, output: bytes = b"") -> bytes:
    """INFER_RESULT and OUTPUT_RESULT share this shape: cycles then the output bytes."""
    return INFER_RESULT.pack(cycles=cycles) + output


def decode_timed(payload: bytes, output_bytes: int) -> Timed:
    expected = INFER_RESULT.size + output_bytes
    if len(payload) != expected:
        raise PayloadError(f"result of {len(payload)} bytes, expected {expected}")
    assert INFER_RESULT.size == OUTPUT_RESULT.size
    return Timed(cycles=INFER_RESULT.unpack(payload)["cycles"], output=payload[INFER_RESULT.size :])


@dataclass(frozen=True)
class StepDone:
    cycles: int
    steps: int  # time steps taken since the last reset, this one included


def encode_step_done(done: StepDone) -> bytes:
    return STEP_DONE.pack(cycles=done.cycles, steps=done.steps)


def decode_step_done(payload: bytes) -> StepDone:
    if len(payload) != STEP_DONE.size:
        raise PayloadError(f"STEP_DONE of {len(payload)} bytes, expected {STEP_DONE.size}")
    return StepDone(**STEP_DONE.unpack(payload))


def encode_bench_request(runs: int, x: bytes) -> bytes:
    return BENCH_REQUEST.pack(runs=runs, reserved=0) + x


@dataclass(frozen=True)
class BenchResult:
    runs: int
    min: int
    median: int
    max: int
    total: int
    stack_used: int = 0  # bytes of stack ever used since boot; 0 where the board cannot tell


def encode_bench_result(result: BenchResult) -> bytes:
    return BENCH_RESULT.pack(
        runs=result.runs,
        reserved=0,
        min=result.min,
        median=result.median,
        max=result.max,
        total=result.total,
        stack_used=result.stack_used,
    )


def decode_bench_result(payload: bytes) -> BenchResult:
    if len(payload) != BENCH_RESULT.size:
        raise PayloadError(f"BENCH_RESULT of {len(payload)} bytes, expected {BENCH_RESULT.size}")
    fields = BENCH_RESULT.unpack(payload)
    del fields["reserved"]
    return BenchResult(**fields)


@dataclass(frozen=True)
class ErrorReply:
    code: int
    request_type: int
    aux: int  # the model's status for MODEL_ERROR, else a code-specific number
    detail: str

    @property
    def name(self) -> str:
        try:
            return ErrorCode(self.code).name
        except ValueError:
            return f"error {self.code}"


def encode_error(reply: ErrorReply) -> bytes:
    text = reply.detail.encode("ascii", errors="replace")[:MAX_ERROR_TEXT]
    return (
        ERROR.pack(code=reply.code, request_type=reply.request_type, reserved=0, aux=reply.aux)
        + text
    )


def decode_error(payload: bytes) -> ErrorReply:
    try:
        fields = ERROR.unpack(payload)
    except ValueError as err:
        raise PayloadError(str(err)) from err
    return ErrorReply(
        code=fields["code"],
        request_type=fields["request_type"],
        aux=fields["aux"],
        detail=payload[ERROR.size :].decode("ascii", errors="replace"),
    )
