"""A connected board running the edge-lstm firmware app: the API validation is built on.

Every method is one request and its answer, of any size, over a ChunkedLink (harness.chunks:
chunks sized to the link); a request that the device refuses raises DeviceError with the
device's error code and text, a link that stays broken raises LinkError.
"""

from __future__ import annotations

import time

import numpy as np

from edge_lstm.errors import EdgeLstmError
from edge_lstm.harness import messages as m
from edge_lstm.harness.chunks import STALL_LIMIT, ChunkedLink
from edge_lstm.harness.link import (
    DEFAULT_BAUD,
    HELLO_TIMEOUT,
    REQUEST_TIMEOUT,
    RETRIES,
    RUN_TIMEOUT,
    Link,
    LinkStats,
    Trace,
    version_message,
)
from edge_lstm.harness.protocol import (
    BENCH_RESULT,
    INFER_RESULT,
    INFO_MAX,
    OUTPUT_RESULT,
    PROTOCOL_VERSION,
    STEP_DONE,
    MsgType,
    response_type,
)

#: Once a model run has been timed on this device, later runs are allowed this many times the
#: longest clean exchange seen (at least RUN_FLOOR, at most the run_timeout): an answer lost on
#: the line then costs a fraction of a second instead of the RUN_TIMEOUT a first run must allow.
RUN_MARGIN = 4.0
RUN_FLOOR = 0.5


class DeviceError(EdgeLstmError):
    """The device answered a request with ERROR (bad input for this model, model failure)."""

    def __init__(self, request: MsgType, reply: m.ErrorReply) -> None:
        super().__init__(
            f"device refused {request.name}: {reply.name} ({reply.detail}, aux={reply.aux})"
        )
        self.request = request
        self.reply = reply


class Device:
    """One board, reached through a serial port URL (see harness.link for the forms)."""

    def __init__(
        self,
        port_url: str,
        baud: int = DEFAULT_BAUD,
        trace: Trace | None = None,
        *,
        retries: int = RETRIES,
        request_timeout: float = REQUEST_TIMEOUT,
        run_timeout: float = RUN_TIMEOUT,
        hello_timeout: float = HELLO_TIMEOUT,
        link: Link | None = None,
        stall_limit: int = STALL_LIMIT,
    ) -> None:
        """``retries`` bounds the resends of a single-frame request made through ``link``
        directly; the API's requests give up after ``stall_limit`` exchanges in a row without
        progress (harness.chunks)."""
        self.link = (
            link
            if link is not None
            else Link(port_url, baud, trace=trace, retries=retries, request_timeout=request_timeout)
        )
        self.chunked = ChunkedLink(self.link, stall_limit=max(stall_limit, retries))
        self.run_timeout = run_timeout
        self._run_seconds = 0.0  # longest clean exchange per model run seen; 0: none yet
        self.hello_timeout = hello_timeout
        self.info: m.DeviceInfo | None = None

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> LinkStats:
        return self.link.stats

    # -- the API --------------------------------------------------------------------------

    def hello(self) -> m.DeviceInfo:
        """Ask the device what it is; the answer also sizes the other requests."""
        payload = self._call(MsgType.HELLO, b"", INFO_MAX, min_timeout=self.hello_timeout)
        info = m.decode_info(payload)
        if info.version != PROTOCOL_VERSION:
            raise EdgeLstmError(version_message(self.link.port_url, info.version))
        self.info = info
        self.chunked.learn(info)
        return info

    def reset(self) -> None:
        """Model state back to its initial value (h = zero point, c = 0); steps to 0."""
        self._info()
        self._call(MsgType.RESET, b"", 0)

    def infer(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """Run one whole sequence from a reset state: (int8 output, cycles of the model call)."""
        info = self._info()
        data = self._int8_bytes(x, info.input_bytes, "input sequence (T*F)")
        answer = INFER_RESULT.size + info.output_bytes
        payload = self._call(MsgType.INFER, data, answer, runs=1)
        timed = m.decode_timed(payload, info.output_bytes)
        return np.frombuffer(timed.output, dtype=np.int8).copy(), timed.cycles

    def step(self, x_t: np.ndarray) -> m.StepDone:
        """Feed one time step to the streaming state: its cycles and the steps since reset."""
        info = self._info()
        data = self._int8_bytes(x_t, info.features, "time step (F)")
        payload = self._call(MsgType.STEP, data, STEP_DONE.size, runs=1 / max(1, info.timesteps))
        return m.decode_step_done(payload)

    def output(self) -> tuple[np.ndarray, int]:
        """The head applied to the current streaming state: (int8 output, cycles)."""
        info = self._info()
        answer = OUTPUT_RESULT.size + info.output_bytes
        timed = m.decode_timed(self._call(MsgType.OUTPUT, b"", answer, runs=1), info.output_bytes)
        return np.frombuffer(timed.output, dtype=np.int8).copy(), timed.cycles

    def bench(self, n: int, x: np.ndarray | None = None) -> m.BenchResult:
        """Run ``n`` inferences of ``x`` (default: every input at its zero point); cycle stats."""
        info = self._info()
        if not 1 <= n <= info.bench_max_runs:
            raise EdgeLstmError(f"bench runs must be 1..{info.bench_max_runs}, got {n}")
        if x is None:
            x = np.full(info.input_bytes, info.input_zero_point, dtype=np.int8)
        data = self._int8_bytes(x, info.input_bytes, "input sequence (T*F)")
        payload = m.encode_bench_request(n, data)
        return m.decode_bench_result(self._call(MsgType.BENCH, payload, BENCH_RESULT.size, runs=n))

    # -- internals ------------------------------------------------------------------------

    def _info(self) -> m.DeviceInfo:
        return self.info if self.info is not None else self.hello()

    @staticmethod
    def _int8_bytes(x: np.ndarray, size: int, what: str) -> bytes:
        arr = np.asarray(x)
        if arr.dtype != np.int8:
            raise EdgeLstmError(f"{what} must be int8 (quantized), got {arr.dtype}")
        if arr.size != size:
            raise EdgeLstmError(f"{what} must have {size} values, got shape {arr.shape}")
        return np.ascontiguousarray(arr).tobytes()

    def _call(
        self,
        request: MsgType,
        payload: bytes,
        answer_max: int,
        *,
        runs: float = 0,
        min_timeout: float = 0.0,
    ) -> bytes:
        per_run = self.run_timeout
        if self._run_seconds > 0:
            per_run = min(self.run_timeout, max(RUN_FLOOR, RUN_MARGIN * self._run_seconds))
        retries = self.link.stats.retries
        started = time.monotonic()
        answer = self.chunked.call(
            request,
            payload,
            answer_max,
            run_timeout=runs * per_run,
            min_timeout=min_timeout,
        )
        if runs >= 1 and self.link.stats.retries == retries:  # timed without a resend
            self._run_seconds = max(self._run_seconds, (time.monotonic() - started) / runs)
        if answer.type == MsgType.ERROR:
            raise DeviceError(request, m.decode_error(answer.payload))
        assert answer.type == response_type(request)
        return answer.payload
