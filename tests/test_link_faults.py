"""Every request completes with the right answer through a line that drops, duplicates and
corrupts bytes and goes dead for moments: the retry rules and the device's response cache at
work. The proxy below is the only stand-in; the harness and the firmware app are real."""

from __future__ import annotations

import os
import random
import select
import socket
import threading
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fixtures.fake_model import hostapp
from test_app import F, T, expected_output
from toolchain import require

from edge_lstm.harness.device import Device


@dataclass
class Faults:
    drop: float = 0.004
    dup: float = 0.003
    corrupt: float = 0.003
    cut_every: float = 1.5  # seconds between outages
    cut_for: float = 0.25  # seconds the line is dead
    cut_at: float | None = None  # one outage only, this many seconds after the start


class FaultyLine(threading.Thread):
    """Moves bytes between two file descriptors, damaging some on the way (seeded)."""

    def __init__(self, a: int, b: int, faults: Faults, seed: int = 7) -> None:
        super().__init__(daemon=True)
        self.a, self.b, self.faults = a, b, faults
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.counts = {
            "bytes": 0,
            "dropped": 0,
            "duplicated": 0,
            "corrupted": 0,
            "cut": 0,
            "outages": 0,
        }

    def _damage(self, data: bytes, dead: bool) -> bytes:
        out = bytearray()
        f = self.faults
        for byte in data:
            self.counts["bytes"] += 1
            if dead:
                self.counts["cut"] += 1
                continue
            r = self.rng.random()
            if r < f.drop:
                self.counts["dropped"] += 1
            elif r < f.drop + f.dup:
                self.counts["duplicated"] += 1
                out += bytes([byte, byte])
            elif r < f.drop + f.dup + f.corrupt:
                self.counts["corrupted"] += 1
                out.append(byte ^ self.rng.randrange(1, 256))
            else:
                out.append(byte)
        return bytes(out)

    def run(self) -> None:
        start = time.monotonic()
        was_dead = False
        while not self.stop.is_set():
            ready, _, _ = select.select([self.a, self.b], [], [], 0.02)
            elapsed = time.monotonic() - start
            if self.faults.cut_at is not None:
                dead = self.faults.cut_at <= elapsed < self.faults.cut_at + self.faults.cut_for
            else:
                phase = elapsed % self.faults.cut_every
                dead = phase > self.faults.cut_every - self.faults.cut_for
            if dead and not was_dead:
                self.counts["outages"] += 1
            was_dead = dead
            for src in ready:
                dst = self.b if src == self.a else self.a
                try:
                    data = os.read(src, 4096)
                except OSError:
                    return
                if data:
                    os.write(dst, self._damage(data, dead))


@pytest.fixture
def faulty_device(tmp_path: Path) -> Iterator[tuple[Device, FaultyLine]]:
    exe = hostapp.build(require("cc"), tmp_path)
    app_end, proxy_end = socket.socketpair()
    master, slave = os.openpty()
    tty.setraw(slave)
    line = FaultyLine(master, proxy_end.fileno(), Faults())
    with hostapp.run_on_fd(exe, app_end.fileno()):
        app_end.close()
        line.start()
        try:
            with Device(
                os.ttyname(slave),
                retries=25,
                request_timeout=0.3,
                hello_timeout=0.5,
                run_timeout=0.2,
            ) as device:
                yield device, line
        finally:
            line.stop.set()
            line.join(timeout=2)
            proxy_end.close()
            os.close(master)
            os.close(slave)


def test_requests_survive_a_faulty_line(faulty_device: tuple[Device, FaultyLine]) -> None:
    device, line = faulty_device
    info = device.hello()
    assert (info.timesteps, info.features) == (T, F)
    rng = np.random.default_rng(3)
    deadline = time.monotonic() + 12
    rounds = 0
    while rounds < 40 or line.counts["outages"] < 2 or line.counts["cut"] == 0:
        assert time.monotonic() < deadline, (rounds, line.counts, device.stats)
        x = rng.integers(-127, 128, size=(T, F), dtype=np.int8)
        out, _ = device.infer(x)
        np.testing.assert_array_equal(out, expected_output(x))
        # Streaming is not idempotent: a STEP run twice would show in the step count and sums.
        device.reset()
        for t in range(3):
            assert device.step(x[t]).steps == t + 1
        out, _ = device.output()
        np.testing.assert_array_equal(out, expected_output(x[:3]))
        rounds += 1
    bench = device.bench(5)
    assert bench.runs == 5 and bench.min <= bench.median <= bench.max
    stats = device.stats
    faults = line.counts
    print(f"faults injected: {faults}; link: {stats.as_dict()}")
    assert faults["dropped"] + faults["duplicated"] + faults["corrupted"] > 0
    assert faults["outages"] >= 2 and faults["cut"] > 0
    assert stats.retries > 0
    assert stats.bad_frames > 0 and stats.link_errors > 0 and stats.timeouts > 0
    assert stats.frames_sent == stats.exchanges + stats.retries
    # Every API request is at least one exchange: hello, 6 a round, bench.
    assert stats.exchanges >= 1 + rounds * 6 + 1
