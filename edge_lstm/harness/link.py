"""The host end of the serial link: framed requests with timeouts, retries and resync.

Any pyserial URL works: a device (/dev/ttyACM0), a pseudo-terminal (/dev/pts/N, as QEMU's
``-serial pty`` gives), ``socket://host:port``, ``rfc2217://``, ``loop://``.

Recovery rules (docs/protocol.md): each request goes out as ``00 COBS(frame) 00``, the leading
delimiter ending whatever partial frame the device holds (a PUT or GET chunk ends in ``00 00``,
so that it is ended even when one delimiter is lost). When no valid answer arrives in time,
or the answer is damaged, or the device reports a damaged request (a link-class ERROR), the
*same bytes* are sent again, with the same sequence number: the device answers a repeat of the
request it handled last from its cache, without running the model again.

This module moves single frames (``request`` retries one, ``attempt`` sends one once);
harness.chunks builds requests and answers of any size out of them, sized to the link.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields

import serial

from edge_lstm import __version__
from edge_lstm.errors import EXIT_MISSING_TOOL, EdgeLstmError
from edge_lstm.harness import cobs
from edge_lstm.harness.framing import Frame, FrameError, FrameReader, encode_frame
from edge_lstm.harness.protocol import (
    CHUNK_TYPES,
    FRAME_OVERHEAD,
    LINK_ERRORS,
    PROTOCOL_VERSION,
    ErrorCode,
    MsgType,
    response_type,
)

#: First contact: a board may still be booting, or an emulator opening its pty.
HELLO_TIMEOUT = 2.0
#: Turnaround allowed for any request, on top of transfer and model time.
REQUEST_TIMEOUT = 1.0
#: Allowance for one model run (INFER, each BENCH run); emulators are slow.
RUN_TIMEOUT = 5.0
#: The line time at the nominal baud rate is multiplied by this.
TRANSFER_MARGIN = 2.0
#: Resends of one request before giving up.
RETRIES = 5
#: Granularity of waiting for bytes.
READ_SLICE = 0.02
#: Silence after which bytes without their closing delimiter are tried as a whole frame: a
#: dropped delimiter then costs this instead of a timeout (only a frame whose CRC holds counts).
ANSWER_GAP = 0.03
DEFAULT_BAUD = 115200

Trace = Callable[[str], None]


class LinkError(EdgeLstmError):
    """No valid answer after every retry: the device is absent, hung, or the line is broken."""

    exit_code = EXIT_MISSING_TOOL


class ProtocolVersionError(EdgeLstmError):
    """The device speaks another protocol version: its firmware is from another edge-lstm."""


def version_message(port_url: str, device_version: int) -> str:
    """Both versions and the way out, for a firmware built by another edge-lstm."""
    age = "an older" if device_version < PROTOCOL_VERSION else "a newer"
    return (
        f"{port_url}: the firmware speaks serial protocol version {device_version}, this "
        f"edge-lstm ({__version__}) speaks version {PROTOCOL_VERSION}: the firmware was built "
        f"by {age} edge-lstm. Rebuild it with this edge-lstm (edge-lstm export, build and "
        "flash, or edge-lstm run) and try again."
    )


@dataclass(frozen=True)
class Miss:
    """Why one attempt got no usable answer; ``damaged_answer`` means the device did answer."""

    reason: str
    damaged_answer: bool = False


@dataclass
class LinkStats:
    """Counters a report can show; a clean link has zero in all but the first two."""

    frames_sent: int = 0  # first sends and resends: always exchanges + retries
    exchanges: int = 0  # first sends (a request, a PUT chunk, a GET piece, a RUN)
    frames_received: int = 0  # valid frames, stale ones included
    retries: int = 0  # resends of a request
    timeouts: int = 0  # waits that ended with no valid answer
    bad_frames: int = 0  # received frames failing COBS/size/CRC checks
    link_errors: int = 0  # link-class ERRORs: the device received a damaged request
    stale_frames: int = 0  # valid frames answering an earlier request (late duplicates)
    chunks_put: int = 0  # PUT chunks acknowledged (a chunked request's pieces)
    chunks_got: int = 0  # GET pieces received (a held answer's pieces)
    resumes: int = 0  # transfers resumed after the device lost them (a reset, a cut)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def line_time(n_bytes: int, baud: int) -> float:
    """Seconds to move ``n_bytes`` at ``baud`` with 8N1 framing (10 bits a byte)."""
    return n_bytes * 10.0 / baud


def hexdump(data: bytes, width: int = 16) -> str:
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        lines.append(f"  {offset:04x}  {chunk.hex(' ')}")
    return "\n".join(lines) if lines else "  (empty)"


def _type_name(msg_type: int) -> str:
    try:
        return MsgType(msg_type).name
    except ValueError:
        return f"0x{msg_type:02X}"


class Link:
    """A framed request/response channel over one serial port."""

    def __init__(
        self,
        port_url: str,
        baud: int = DEFAULT_BAUD,
        *,
        trace: Trace | None = None,
        retries: int = RETRIES,
        request_timeout: float = REQUEST_TIMEOUT,
        port: serial.SerialBase | None = None,
    ) -> None:
        """Open ``port_url`` (or adopt an already open ``port``, e.g. one wrapped by a test)."""
        try:
            self._port = (
                port
                if port is not None
                else serial.serial_for_url(
                    port_url, baudrate=baud, timeout=READ_SLICE, write_timeout=10.0
                )
            )
        except (serial.SerialException, ValueError) as err:
            raise LinkError(f"cannot open serial port {port_url!r}: {err}") from err
        self.port_url = port_url
        self.baud = baud
        self.retries = retries
        self.request_timeout = request_timeout
        self.stats = LinkStats()
        self._trace = trace
        self._reader = FrameReader()
        self._seq = random.randrange(0x10000)  # a fresh host never matches a stale cache

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------

    def timeout_for(
        self,
        request_bytes: int,
        response_bytes: int,
        runs: int = 0,
        run_timeout: float = RUN_TIMEOUT,
    ) -> float:
        """Time to wait for one answer: turnaround + both transfers with margin + model runs."""
        wire = (
            cobs.max_encoded_size(FRAME_OVERHEAD + request_bytes)
            + cobs.max_encoded_size(FRAME_OVERHEAD + response_bytes)
            + 3
        )
        return (
            self.request_timeout + TRANSFER_MARGIN * line_time(wire, self.baud) + runs * run_timeout
        )

    def next_seq(self) -> int:
        """A fresh sequence number: the device's cache never mistakes it for an earlier one."""
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        return seq

    def request(
        self,
        msg_type: int,
        payload: bytes = b"",
        *,
        timeout: float | None = None,
        retries: int | None = None,
        answers: Collection[int] | None = None,
    ) -> Frame:
        """Send one request and return its answer: the response frame (or one of ``answers``),
        or a final ERROR frame.

        Raises LinkError when no valid answer came after ``retries`` resends, and
        ProtocolVersionError when the device answers in another protocol version.
        """
        retries = self.retries if retries is None else retries
        if timeout is None:
            timeout = self.timeout_for(len(payload), 0)
        frame = Frame(type=msg_type, seq=self.next_seq(), payload=payload)
        reason = ""
        for attempt in range(retries + 1):
            answer, miss = self.attempt(
                frame, timeout=timeout, answers=answers, retry=attempt > 0, why=reason
            )
            if answer is not None:
                return answer
            assert miss is not None
            reason = miss.reason
        raise LinkError(
            f"{self.port_url}: no valid answer to {_type_name(msg_type)} after "
            f"{retries + 1} attempts (last: {reason}); is the firmware running and the port "
            "right?"
        )

    def attempt(
        self,
        frame: Frame,
        *,
        timeout: float,
        answers: Collection[int] | None = None,
        retry: bool = False,
        why: str = "",
    ) -> tuple[Frame | None, Miss | None]:
        """Send ``frame`` once and wait for its answer (a type in ``answers``, default the
        response type, or a final ERROR); a resend of the same frame is safe (device cache)."""
        if retry:
            self.stats.retries += 1
            self._log(f"retry {_type_name(frame.type)} seq={frame.seq}: {why}")
        self.send(frame, counted=not retry)
        return self.await_answer(frame, timeout=timeout, answers=answers)

    def send(self, frame: Frame, *, counted: bool = True) -> None:
        """Put ``frame`` on the line without waiting: a burst of chunks sends several before
        reading their answers (``await_answer``), in order."""
        if counted:
            self.stats.exchanges += 1
        # The leading delimiter ends whatever partial frame the device holds. A chunk gets a
        # second trailing one, which ends it even when the line drops the first (an empty frame
        # is ignored) where a lost end would cost a timeout; a request that runs the model does
        # not: the extra byte would arrive during the run, and its UART interrupt would add
        # instructions to the measured count.
        delimiter = bytes([cobs.DELIMITER])
        tail = delimiter if frame.type in CHUNK_TYPES else b""  # encode_frame ends in one
        self._send(frame, delimiter + encode_frame(frame) + tail)

    def await_answer(
        self, frame: Frame, *, timeout: float, answers: Collection[int] | None = None
    ) -> tuple[Frame | None, Miss | None]:
        """The answer to ``frame``, sent before: a type in ``answers`` (default the response
        type) or a final ERROR, with its sequence number; other frames are stale."""
        accepted = {response_type(frame.type)} if answers is None else set(answers)
        accepted.add(MsgType.ERROR)
        return self._await(accepted, frame.seq, timeout)

    def drain(self, quiet: float, limit: float) -> int:
        """Read and drop what the device still sends until the line has been quiet for
        ``quiet`` seconds (or ``limit`` has passed): the answers to a burst whose exchange
        failed part way, which would otherwise be read as answers to what comes next.
        Returns the bytes dropped."""
        dropped = 0
        start = last = time.monotonic()
        while time.monotonic() - last < quiet and time.monotonic() - start < limit:
            data = self._read_some()
            if data:
                dropped += len(data)
                last = time.monotonic()
        self._reader.discard()
        self._log(f"drained {dropped} bytes")
        return dropped

    def resync(self) -> None:
        """Drop what is buffered either side: a delimiter out, pending input discarded."""
        self._port.write(bytes([cobs.DELIMITER]))
        self._port.reset_input_buffer()
        self._reader.discard()

    # -- internals ------------------------------------------------------------------------

    def _send(self, frame: Frame, wire: bytes) -> None:
        self.stats.frames_sent += 1
        if self._trace is not None:
            self._log(
                f">> {_type_name(frame.type)} seq={frame.seq} len={len(frame.payload)} "
                f"wire={len(wire)}\n{hexdump(wire)}"
            )
        try:
            self._port.write(wire)
        except serial.SerialException as err:
            raise LinkError(f"{self.port_url}: write failed: {err}") from err

    def _await(
        self, accepted: Collection[int], seq: int, timeout: float
    ) -> tuple[Frame | None, Miss | None]:
        """Read until the answer to ``seq``, a reason to resend, or the timeout."""
        deadline = time.monotonic() + timeout
        last_byte = time.monotonic()
        while time.monotonic() < deadline:
            data = self._read_some()
            if data:
                last_byte = time.monotonic()
                events = self._reader.feed(data)
            elif time.monotonic() - last_byte > ANSWER_GAP:
                events = self._reader.flush()  # a frame whose delimiter was lost
            else:
                continue
            miss: Miss | None = None
            for event in events:
                if isinstance(event, FrameError):
                    self._on_bad_frame(event)
                    miss = Miss(f"damaged answer ({event.code.name})", damaged_answer=True)
                    continue
                self.stats.frames_received += 1
                self._trace_in(event)
                if (
                    event.type == MsgType.ERROR
                    and event.payload[:1]
                    and event.payload[0] in LINK_ERRORS
                ):
                    self.stats.link_errors += 1
                    name = ErrorCode(event.payload[0]).name
                    miss = Miss(f"device received a damaged request ({name})")
                elif event.seq == seq and event.type in accepted:
                    return event, None
                else:
                    self.stats.stale_frames += 1
            if miss is not None:
                return None, miss
        self.stats.timeouts += 1
        return None, Miss(f"no answer in {timeout:.2f} s")

    def _read_some(self) -> bytes:
        """What has arrived, or the bytes of one read slice (READ_SLICE) when nothing has."""
        try:
            return self._port.read(max(1, self._port.in_waiting))
        except serial.SerialException as err:
            raise LinkError(f"{self.port_url}: read failed: {err}") from err

    def _on_bad_frame(self, error: FrameError) -> None:
        self._log(f"<< bad frame: {error}\n{hexdump(error.data)}")
        if error.code is ErrorCode.BAD_VERSION and error.version is not None:
            raise ProtocolVersionError(version_message(self.port_url, error.version))
        self.stats.bad_frames += 1

    def _trace_in(self, frame: Frame) -> None:
        if self._trace is not None:
            self._log(
                f"<< {_type_name(frame.type)} seq={frame.seq} len={len(frame.payload)}\n"
                f"{hexdump(frame.payload)}"
            )

    def _log(self, text: str) -> None:
        if self._trace is not None:
            self._trace(text)
