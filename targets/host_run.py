"""Run a `host` board firmware: a Linux executable whose UART is a pseudo-terminal."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path
from types import TracebackType

from targets.errors import TargetError

_SERIAL = re.compile(r"^serial: (\S+)")


class HostBoard:
    """The host firmware as a child process; ``port`` is the pty it printed on start."""

    def __init__(self, executable: Path, start_timeout: float = 10.0) -> None:
        self.executable = Path(executable)
        self.start_timeout = start_timeout
        self.port = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> HostBoard:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if not self.executable.is_file():
            raise TargetError(f"{self.executable}: no such firmware executable (build it first)")
        self._proc = subprocess.Popen(
            [str(self.executable)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = threading.Event()

        def read() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:
                match = _SERIAL.match(line)
                if match and not self.port:
                    self.port = match.group(1)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(self.start_timeout):
            self.stop()
            raise TargetError(f"{self.executable} printed no 'serial: /dev/pts/N' line")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
