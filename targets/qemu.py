"""Run a firmware ELF on an emulated board (QEMU MPS2/MPS3, microbit) with its UART on a pty.

Under `-icount shift=7` every guest instruction advances virtual time by exactly 128 ns, so the
SysTick-based el_bsp_cycles() counts instructions, not host time. One SysTick tick (40 ns at
25 MHz) is then under a third of an instruction, so the tick-phase jitter of a measurement
(where it starts relative to a tick edge depends on when the host's bytes arrived) rounds away:
el_bsp_cycles_elapsed() gives the same whole instruction count on every run. The microbit's
SysTick runs at 16 MHz, too slow for that at shift 7: its board runs at shift 8 (256 ns per
instruction, a tick is 0.24 instructions; targets.project.icount_shift).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

from targets.errors import MissingToolError, TargetError
from targets.project import icount_shift
from targets.registry import Board

QEMU = "qemu-system-arm"
_PTY = re.compile(r"char device redirected to (/dev/pts/\d+)")


def qemu_command(elf: Path, board: Board, icount: bool = True, sleep: bool = True) -> list[str]:
    """The qemu-system-arm command line for ``board`` (documented in docs/boards.md)."""
    if not board.emulated or board.qemu_machine is None:
        raise TargetError(f"{board.name} is not an emulated board")
    command = [
        QEMU,
        "-M",
        board.qemu_machine,
        "-display",
        "none",
        "-monitor",
        "none",
        "-kernel",
        str(elf),
        "-serial",
        "pty",
        "-semihosting-config",
        "enable=on,target=native",
    ]
    if icount:
        shift = f"shift={icount_shift(board)}"
        command += ["-icount", shift if sleep else f"{shift},sleep=off"]
    return command


class QemuBoard:
    """A running emulated board; ``port`` is its UART0 pseudo-terminal.

    ``sleep=False`` (icount sleep=off) makes an idle guest jump to its next timer deadline
    instead of sleeping in real time; that made counts repeat more often in our measurements but
    not always, and it keeps one host core busy while the guest waits for input.
    """

    def __init__(
        self,
        elf: Path,
        board: Board,
        icount: bool = True,
        sleep: bool = True,
        start_timeout: float = 10.0,
        monitor: Path | None = None,
    ) -> None:
        self.elf = Path(elf)
        self.board = board
        self.command = qemu_command(self.elf, board, icount, sleep)
        self.monitor = monitor
        if monitor is not None:  # a control socket, e.g. to reset the board like its button
            at = self.command.index("-monitor")
            self.command[at + 1] = f"unix:{monitor},server=on,wait=off"
        self.start_timeout = start_timeout
        self.port: str = ""
        self.output: list[str] = []
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._found = threading.Event()

    def __enter__(self) -> QemuBoard:
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
        if shutil.which(QEMU) is None:
            raise MissingToolError(f"{QEMU} not found: apt-get install qemu-system-arm")
        if not self.elf.is_file():
            raise TargetError(f"{self.elf}: no such firmware ELF (build it first)")
        self._proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._found.wait(0.05):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise TargetError(
                    f"QEMU did not start ({' '.join(self.command)}):\n" + "".join(self.output[-10:])
                )

    def _read_output(self) -> None:
        """Collect QEMU's messages (keeps its pipe from filling) and spot the pty line."""
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.output.append(line)
            match = _PTY.search(line)
            if match and not self.port:
                self.port = match.group(1)
                self._found.set()

    def system_reset(self) -> None:
        """Reset the emulated board (CPU and devices) as its reset button would."""
        if self.monitor is None:
            raise TargetError("start QemuBoard with monitor=PATH to reset it")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.monitor))
            sock.sendall(b"system_reset\n")
            time.sleep(0.05)  # let QEMU read the command before the socket closes

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait(self) -> int:
        """Block until QEMU exits (e.g. a semihosting exit); its exit status."""
        assert self._proc is not None
        return self._proc.wait()

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)
        self._proc = None
