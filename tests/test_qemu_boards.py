"""Each emulated board boots the echo firmware in QEMU; bytes round-trip over the pty and the
instruction count of a fixed loop matches its length, the same across runs to one SysTick tick."""

from __future__ import annotations

from pathlib import Path

import pytest
import serial
from test_boards_helpers import build_echo
from toolchain import emulated_boards, require

from targets.qemu import QemuBoard
from targets.registry import get_board

EMULATED = emulated_boards()
LOOP_INSTRUCTIONS = 2 * 100_000  # the fixture's busy loop: subs + bne, 100 000 times


def _ask(link: serial.Serial, command: bytes) -> bytes:
    link.write(command)
    return link.read_until(b"\n")


def _session(elf: Path, name: str) -> tuple[bytes, list[int]]:
    with (
        QemuBoard(elf, get_board(name)) as board,
        serial.Serial(board.port, 115200, timeout=5) as link,
    ):
        payload = (
            bytes(range(1, 60))
            .replace(b"C", b"")
            .replace(b"S", b"")
            .replace(b"U", b"")
            .replace(b"B", b"")
        )
        link.write(payload)
        echoed = link.read(len(payload))
        assert echoed == payload
        assert _ask(link, b"B") == f"B{name}\n".encode()
        assert _ask(link, b"U") == b"Uinstructions\n"
        counts = [int(_ask(link, b"C")[1:]) for _ in range(3)]
        stack = int(_ask(link, b"S")[1:])
        assert 0 < stack < get_board(name).stack_bytes
        return echoed, counts


@pytest.mark.toolchain
@pytest.mark.parametrize("name", EMULATED)
def test_emulated_board_echo_and_cycles(tmp_path: Path, name: str) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    result = build_echo(tmp_path, name)
    _, first = _session(result.elf, name)
    _, second = _session(result.elf, name)
    # Under -icount shift=7 (8 on the M0, whose SysTick is slower) a SysTick tick is a fraction
    # of an instruction, and the rounded difference is exact: every run of the same loop gives
    # the same count, whatever the host did meanwhile. The loop plus the two counter reads
    # around it: at most 60 more.
    counts = first + second
    assert len(set(counts)) == 1, counts
    assert LOOP_INSTRUCTIONS <= counts[0] <= LOOP_INSTRUCTIONS + 60


@pytest.mark.toolchain
def test_qemu_missing_elf(tmp_path: Path) -> None:
    require("qemu-system-arm")
    from targets.errors import TargetError

    with pytest.raises(TargetError, match="build it first"):
        QemuBoard(tmp_path / "none.elf", get_board("qemu-cortex-m4")).start()
