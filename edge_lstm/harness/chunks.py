"""Requests and answers of any size over a link that damages bytes: chunks sized to the link.

A frame of n bytes gets through a line that damages a byte with probability p only with
probability (1 - p) ** n: at 1 % a 610-byte INFER arrives intact 0.2 % of the time, so resending
whole frames cannot work. Here a request larger than the current chunk size is staged on the
device in PUT chunks (each acknowledged with how much the device holds, so a resend, a cut or a
device reset costs only the chunks it lost) and run by a small RUN; an answer larger than the
chunk size is held on the device and fetched in GET pieces. The chunk size halves on every
failed exchange (down to CHUNK_MIN) and doubles after GROW_AFTER successes in a row (up to the
device's chunk_max): on a clean link a sequence moves in few round trips, on a noisy one in
frames short enough to get through. A link clean for BURST_AFTER exchanges gets a staged request
as one burst (every PUT, then the RUN, before any answer is read), so that it waits for the
line once, not once per chunk; the first missing acknowledgement ends that, and the rest is
staged one chunk at a time. docs/protocol.md has the message layouts and a diagram.

Nothing damaged is ever accepted: every frame is CRC-checked, a RUN names the CRC-32 of the
whole staged payload (the device checks it before running), and a fetched answer is checked
against the CRC-32 the device computed over it.
"""

from __future__ import annotations

import random
from collections.abc import Collection

from edge_lstm.errors import EdgeLstmError
from edge_lstm.harness import messages as m
from edge_lstm.harness.crc import crc32
from edge_lstm.harness.framing import Frame
from edge_lstm.harness.link import TRANSFER_MARGIN, Link, LinkError, Miss, line_time
from edge_lstm.harness.protocol import (
    CHUNK_MAX,
    CHUNK_MIN,
    FRAME_OVERHEAD,
    GET_DATA,
    GET_REQUEST,
    HELD,
    PUT_ACK,
    PUT_REQUEST,
    RUN_REQUEST,
    ErrorCode,
    MsgType,
    response_type,
)

#: Chunk size of the first exchange: the largest, so that a clean link needs no warm-up.
CHUNK_START = CHUNK_MAX
#: Successful exchanges in a row after which the chunk size doubles again. One: on a line that
#: damages bytes at random (not in bursts) every success is evidence the size gets through, and
#: a simulation of the rule (1 % damaged bytes, 40 bytes of overhead an exchange) moved 16
#: bytes an exchange with 1, 12 with 2 and 9 with 8; at 0.1 %, 166, 141 and 50.
GROW_AFTER = 1
#: Turnaround allowed for a PUT or GET (no model work on the device), on top of the line time.
CHUNK_TIMEOUT = 0.25
#: Exchanges in a row that bring no progress before the link counts as broken (LinkError). At
#: the smallest chunk a 1 %-damaging line loses about half of the exchanges; 0.5 ** 24 is
#: negligible, while a dead line is reported after 24 short timeouts.
STALL_LIMIT = 24
#: Times one request may start over because the device lost what it held (a reset).
RESUMES = 6
#: Successful exchanges in a row after which a staged request goes out as one burst (every PUT
#: and the RUN before any answer is read). On a line that damages 1 % of the bytes fewer than
#: one exchange in two succeeds, so 32 in a row never happen there: a noisy link stays on one
#: chunk at a time, where a damaged chunk costs only itself.
BURST_AFTER = 32


class ChunkSize:
    """The adaptation rule: halve on failure (not below ``low``), double after ``grow_after``
    successes in a row (not above ``high``)."""

    def __init__(
        self,
        start: int = CHUNK_START,
        low: int = CHUNK_MIN,
        high: int = CHUNK_MAX,
        grow_after: int = GROW_AFTER,
    ) -> None:
        self.low, self.high, self.grow_after = low, high, grow_after
        self.size = max(low, min(high, start))
        self._streak = 0
        #: successful exchanges since the last failure; a new link is presumed clean
        self.clean = BURST_AFTER

    @property
    def burst(self) -> bool:
        """May a staged request go out as one burst? Only on a link that has been clean for
        BURST_AFTER exchanges and at the largest chunk size."""
        return self.clean >= BURST_AFTER and self.size >= self.high

    def limit(self, high: int) -> None:
        """The device takes at most ``high`` bytes a chunk (INFO chunk_max)."""
        self.high = max(self.low, min(self.high, high))
        self.size = min(self.size, self.high)

    def failed(self) -> None:
        self.size = max(self.low, self.size // 2)
        self._streak = 0
        self.clean = 0

    def succeeded(self) -> None:
        self._streak += 1
        self.clean += 1
        if self._streak >= self.grow_after and self.size < self.high:
            self.size = min(self.high, self.size * 2)
            self._streak = 0


class _Lost(Exception):
    """The device no longer holds what this request counted on: start the request over."""


class ChunkedLink:
    """One request of any size, answered whole, over a ``Link``."""

    def __init__(
        self,
        link: Link,
        *,
        chunk: ChunkSize | None = None,
        stall_limit: int = STALL_LIMIT,
        chunk_timeout: float = CHUNK_TIMEOUT,
    ) -> None:
        self.link = link
        self.chunk = chunk if chunk is not None else ChunkSize()
        self.stall_limit = stall_limit
        self.chunk_timeout = chunk_timeout
        #: Largest request payload the device takes in one frame; unknown before INFO.
        self.max_frame_payload = 0
        self._xfer = random.randrange(0x10000)

    def learn(self, info: m.DeviceInfo) -> None:
        """Sizes from the device's INFO: its receive buffer and its chunk limit."""
        self.max_frame_payload = info.max_request
        self.chunk.limit(info.chunk_max)

    def call(
        self,
        msg_type: int,
        payload: bytes,
        answer_max: int,
        *,
        run_timeout: float = 0.0,
        min_timeout: float = 0.0,
    ) -> Frame:
        """Send a request and return its whole answer (response or final ERROR frame).

        ``answer_max`` bounds the answer's payload (it decides whether it may come whole);
        ``run_timeout`` is the model time the request may take on the device.
        """
        plain = (
            len(payload) <= min(self.chunk.size, self.max_frame_payload)
            and answer_max <= self.chunk.size
        )
        if plain:
            return self._plain(msg_type, payload, answer_max, run_timeout, min_timeout)
        for resume in range(RESUMES + 1):
            if resume:
                self.link.stats.resumes += 1
            try:
                return self._staged(msg_type, payload, run_timeout, min_timeout)
            except _Lost:
                continue
        raise LinkError(
            f"{self.link.port_url}: the device lost the {_name(msg_type)} request "
            f"{RESUMES + 1} times (is it resetting?)"
        )

    # -- the exchanges ---------------------------------------------------------------------

    def _timeout(self, sent: int, received: int, turnaround: float) -> float:
        wire = 2 * FRAME_OVERHEAD + sent + received + 8  # delimiters and COBS codes, roughly
        return turnaround + TRANSFER_MARGIN * line_time(wire, self.link.baud)

    def _plain(
        self, msg_type: int, payload: bytes, answer_max: int, run_timeout: float, floor: float
    ) -> Frame:
        """One frame each way; resent with the same bytes (the device's cache makes that safe)."""
        frame = Frame(type=msg_type, seq=self.link.next_seq(), payload=payload)
        timeout = max(
            floor,
            self._timeout(len(payload), answer_max, self.link.request_timeout) + run_timeout,
        )
        why = ""
        for misses in range(self.stall_limit + 1):
            answer, miss = self.link.attempt(frame, timeout=timeout, retry=misses > 0, why=why)
            if answer is not None:
                self.chunk.succeeded()
                return answer
            assert miss is not None
            self.chunk.failed()
            why = miss.reason
            if miss.damaged_answer and answer_max > self.chunk.size:
                try:
                    fetched = self._fetch(frame.seq, None)
                except _Lost:
                    continue  # the device holds no answer: the request did not arrive
                if fetched.type in (response_type(msg_type), MsgType.ERROR):
                    return fetched
        raise self._broken(msg_type, why)

    def _staged(self, msg_type: int, payload: bytes, run_timeout: float, floor: float) -> Frame:
        xfer = self._xfer = (self._xfer + 1) & 0xFFFF
        answers = {response_type(msg_type), MsgType.HELD}
        # While the link is clean (ChunkSize.burst) every PUT and the RUN go out in one burst
        # and their answers are read after: one wait instead of one per chunk.
        burst = self.chunk.burst
        if not burst:
            self._put(xfer, payload, 0)
        while True:  # once more after each NOT_STAGED, with the payload staged again
            run = RUN_REQUEST.pack(
                type=msg_type,
                reserved=0,
                xfer=xfer,
                length=len(payload),
                max_answer=self.chunk.size,
                crc=crc32(payload),
            )
            frame = Frame(type=MsgType.RUN, seq=self.link.next_seq(), payload=run)
            timeout = max(
                floor, self._timeout(len(run), self.chunk.size, self.link.request_timeout)
            )
            sent = False
            if burst:
                burst = False
                sent = self._burst(xfer, payload, frame)
            answer = self._run(frame, answers, timeout + run_timeout, sent=sent)
            if answer.type == MsgType.HELD:
                held = HELD.unpack(answer.payload)
                return self._fetch(frame.seq, held)
            if answer.type == MsgType.ERROR:
                error = m.decode_error(answer.payload)
                if error.code == ErrorCode.NOT_STAGED:
                    self.link.stats.resumes += 1
                    self._put(xfer, payload, max(0, min(error.aux, len(payload))))
                    continue
            return answer

    def _burst(self, xfer: int, payload: bytes, run: Frame) -> bool:
        """Send every PUT of ``payload`` and then ``run`` without waiting, then read the PUT
        acknowledgements in order. True when the device acknowledged all of the payload: the
        RUN's answer is on its way. Otherwise whatever the device holds is staged again one
        chunk at a time (the acknowledgements say from where) and False says to send the RUN
        again; the device takes a PUT only at or below what it holds, so a burst whose middle
        was lost stages nothing wrong, and the RUN's CRC covers the whole payload."""
        total = len(payload)
        size = self.chunk.size
        frames = []
        for offset in range(0, total, size):
            body = PUT_REQUEST.pack(xfer=xfer, offset=offset, total=total, reserved=0)
            chunk = payload[offset : offset + size]
            frames.append((Frame(MsgType.PUT, self.link.next_seq(), body + chunk), offset))
        for frame, _ in frames:
            self.link.send(frame)
        self.link.send(run)
        held = 0
        sent_bytes = 0
        why = ""
        for frame, offset in frames:
            sent_bytes += len(frame.payload) + FRAME_OVERHEAD + 2
            timeout = self._timeout(sent_bytes, PUT_ACK.size, self.chunk_timeout)
            answer, miss = self.link.await_answer(frame, timeout=timeout)
            if answer is None:
                assert miss is not None
                self.chunk.failed()
                why = miss.reason
                break
            if answer.type == MsgType.ERROR:
                raise _refused(MsgType.PUT, answer)
            ack = PUT_ACK.unpack(answer.payload)
            ours = (ack["xfer"], ack["total"]) == (xfer, total)
            if not ours or ack["received"] <= offset:
                received = ack["received"] if ours else 0
                if received < held:  # the device lost what it had taken (a reset)
                    self.link.stats.resumes += 1
                held = min(held, received)
                why = "chunk not taken"
                break
            held = ack["received"]
            self.link.stats.chunks_put += 1
            self.chunk.succeeded()
        if held >= total:
            return True
        # the answers of the frames after the failure are still coming: drop them, so that the
        # chunks staged next are not answered by stale errors
        remaining = total + (len(frames) + 1) * (FRAME_OVERHEAD + PUT_REQUEST.size + 4)
        self.link.drain(
            quiet=self.chunk_timeout,
            limit=self._timeout(remaining, len(frames) * PUT_ACK.size, 2 * self.chunk_timeout),
        )
        self._put(xfer, payload, held, why=why)
        return False

    def _run(
        self, frame: Frame, answers: Collection[int], timeout: float, *, sent: bool = False
    ) -> Frame:
        """The answer to the RUN ``frame``; ``sent``: it has gone out once already."""
        why = ""
        for misses in range(self.stall_limit + 1):
            if sent and misses == 0:
                answer, miss = self.link.await_answer(frame, timeout=timeout, answers=answers)
            else:
                answer, miss = self.link.attempt(
                    frame, timeout=timeout, answers=answers, retry=misses > 0, why=why
                )
            if answer is not None:
                self.chunk.succeeded()
                return answer
            assert miss is not None
            self.chunk.failed()
            why = miss.reason
            if miss.damaged_answer:
                try:  # it ran: fetch the answer in pieces rather than whole again
                    return self._fetch(frame.seq, None)
                except _Lost:
                    continue
        raise self._broken(MsgType.RUN, why)

    def _put(self, xfer: int, payload: bytes, offset: int, why: str = "") -> None:
        """Stage ``payload`` from ``offset``; returns when the device holds all of it. ``why``
        says that the chunk at ``offset`` was sent before and missed (its resend is a retry)."""
        total = len(payload)
        misses = 0
        rewinds = 0
        retry = bool(why)
        while offset < total:
            n = min(self.chunk.size, total - offset)
            body = PUT_REQUEST.pack(xfer=xfer, offset=offset, total=total, reserved=0)
            frame = Frame(
                type=MsgType.PUT,
                seq=self.link.next_seq(),
                payload=body + payload[offset : offset + n],
            )
            timeout = self._timeout(len(frame.payload), PUT_ACK.size, self.chunk_timeout)
            answer, miss = self.link.attempt(frame, timeout=timeout, retry=retry, why=why)
            if answer is None:
                assert miss is not None
                self.chunk.failed()
                misses += 1
                why, retry = miss.reason, True
                if misses > self.stall_limit:
                    raise self._broken(MsgType.PUT, why)
                continue
            self.chunk.succeeded()
            if answer.type == MsgType.ERROR:
                raise _refused(MsgType.PUT, answer)
            ack = PUT_ACK.unpack(answer.payload)
            held = ack["received"] if (ack["xfer"], ack["total"]) == (xfer, total) else 0
            if held > offset:
                self.link.stats.chunks_put += 1
                misses, retry = 0, False
            elif held < offset:  # the device lost chunks (a reset): resume where it says
                self.link.stats.resumes += 1
                rewinds += 1
                if rewinds > RESUMES:
                    raise LinkError(
                        f"{self.link.port_url}: the device lost the staged request "
                        f"{rewinds} times (is it resetting?)"
                    )
                retry = False
            else:
                misses += 1
                why, retry = "chunk not taken", True
                if misses > self.stall_limit:
                    raise self._broken(MsgType.PUT, why)
            offset = min(held, total)

    def _fetch(self, seq: int, held: dict | None) -> Frame:
        """The device's answer to request ``seq`` in GET pieces, checked whole against its CRC.

        ``held`` is the HELD record when the device announced the answer; without it the first
        piece says what the whole is. Raises _Lost when the device does not hold it.
        """
        total = None if held is None else held["length"]
        kind = None if held is None else held["type"]
        crc = None if held is None else held["crc"]
        data = bytearray()
        misses = 0
        why = ""
        retry = False
        while total is None or len(data) < total:
            body = GET_REQUEST.pack(seq=seq, offset=len(data), length=self.chunk.size, reserved=0)
            frame = Frame(type=MsgType.GET, seq=self.link.next_seq(), payload=body)
            timeout = self._timeout(len(body), GET_DATA.size + self.chunk.size, self.chunk_timeout)
            answer, miss = self.link.attempt(frame, timeout=timeout, retry=retry, why=why)
            if answer is None:
                assert miss is not None
                self.chunk.failed()
                misses += 1
                why, retry = miss.reason, True
                if misses > self.stall_limit:
                    raise self._broken(MsgType.GET, why)
                continue
            self.chunk.succeeded()
            if answer.type == MsgType.ERROR:
                if m.decode_error(answer.payload).code == ErrorCode.NOT_HELD:
                    raise _Lost()
                raise _refused(MsgType.GET, answer)
            piece = GET_DATA.unpack(answer.payload)
            if total is None:
                total, kind, crc = piece["total"], piece["type"], piece["crc"]
            if (piece["seq"], piece["total"], piece["type"], piece["crc"]) != (
                seq,
                total,
                kind,
                crc,
            ):
                raise _Lost()  # another answer than the one being assembled
            if piece["offset"] != len(data):
                misses += 1
                why, retry = "piece at another offset", True
                if misses > self.stall_limit:
                    raise self._broken(MsgType.GET, why)
                continue
            chunk = answer.payload[GET_DATA.size :]
            if not chunk and len(data) < total:
                raise _refused(MsgType.GET, answer)
            data += chunk
            self.link.stats.chunks_got += 1
            misses, retry = 0, False
        if crc32(bytes(data)) != crc:
            raise _Lost()  # pieces of different answers: fetch it again
        assert kind is not None
        return Frame(type=kind, seq=seq, payload=bytes(data))

    def _broken(self, msg_type: int, why: str) -> LinkError:
        return LinkError(
            f"{self.link.port_url}: no progress with {_name(msg_type)} after "
            f"{self.stall_limit + 1} attempts (last: {why}); is the firmware running and the "
            "port right?"
        )


def _name(msg_type: int) -> str:
    try:
        return MsgType(msg_type).name
    except ValueError:
        return f"0x{msg_type:02X}"


def _refused(msg_type: int, answer: Frame) -> EdgeLstmError:
    """A chunk message the device refused: a host bug, not a line fault."""
    if answer.type == MsgType.ERROR:
        reply = m.decode_error(answer.payload)
        return EdgeLstmError(
            f"device refused {_name(msg_type)}: {reply.name} ({reply.detail}, aux={reply.aux})"
        )
    return EdgeLstmError(f"device answered {_name(msg_type)} with an empty piece")


__all__ = ["CHUNK_START", "ChunkSize", "ChunkedLink", "Miss"]
