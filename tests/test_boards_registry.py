"""The board registry: the shipped files load, facts match the datasheets, bad files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge_lstm.cli import main
from targets.errors import BoardFileError, UnknownBoardError
from targets.registry import BOARDS_DIR, DEFAULT_BOARD, get_board, load_boards

EXPECTED = {
    "qemu-cortex-m0",
    "qemu-cortex-m3",
    "qemu-cortex-m4",
    "qemu-cortex-m7",
    "qemu-cortex-m55",
    "host",
    "nucleo-f446re",
    "nucleo-l476rg",
    "nrf52840dk",
    "arduino-nano-33-ble",
    "rpi-pico",
}


def test_all_boards_load() -> None:
    assert set(load_boards()) == EXPECTED
    assert DEFAULT_BOARD == "qemu-cortex-m4"
    assert get_board(DEFAULT_BOARD).qemu_machine == "mps2-an386"


@pytest.mark.parametrize(
    "name,cpu,flash,ram,uart_base,irq",
    [
        ("nucleo-f446re", "cortex-m4", 512 * 1024, 128 * 1024, 0x40004400, 38),
        ("nucleo-l476rg", "cortex-m4", 1024 * 1024, 96 * 1024, 0x40004400, 38),
        ("nrf52840dk", "cortex-m4", 1024 * 1024, 256 * 1024, 0x40002000, 2),
        ("rpi-pico", "cortex-m0plus", 2 * 1024 * 1024, 264 * 1024, 0x40034000, 20),
        ("qemu-cortex-m0", "cortex-m0", 256 * 1024, 16 * 1024, 0x40002000, 2),
        ("qemu-cortex-m3", "cortex-m3", 4 * 1024 * 1024, 4 * 1024 * 1024, 0x40004000, 0),
        ("qemu-cortex-m55", "cortex-m55", 512 * 1024, 512 * 1024, 0x49303000, 33),
    ],
)
def test_datasheet_facts(
    name: str, cpu: str, flash: int, ram: int, uart_base: int, irq: int
) -> None:
    board = get_board(name)
    assert (board.cpu, board.flash_bytes, board.ram_bytes) == (cpu, flash, ram)
    assert (board.uart.base, board.uart.irq) == (uart_base, irq)


def test_nano_app_starts_after_bootloader() -> None:
    assert get_board("arduino-nano-33-ble").flash_base == 0x10000


def test_real_boards_count_cycles_emulated_count_instructions() -> None:
    for board in load_boards().values():
        if board.emulated:
            assert (board.cycle_counter, board.cycle_unit) == ("systick", "instructions")
        elif board.family in ("stm32", "nrf52"):
            assert (board.cycle_counter, board.cycle_unit) == ("dwt", "cycles")


def test_unknown_board_lists_known() -> None:
    with pytest.raises(UnknownBoardError, match="nucleo-f446re"):
        get_board("nucleo-f999")


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (BOARDS_DIR / "nucleo-f446re.toml").read_text()
    assert old in text
    path = tmp_path / "nucleo-f446re.toml"
    path.write_text(text.replace(old, new, 1))
    return tmp_path


@pytest.mark.parametrize(
    "old,new,field",
    [
        ("base = 0x40004400", 'base = "0x40004400"', "uart.base"),
        ('family = "stm32"', 'family = "stm99"', "family"),
        ("irq = 38", "irq = 200", "uart.irq"),
        ("stack_bytes = 8192", "stack_bytes = 8192\nstak = 1", "memory.stak"),
        ("clock_hz = 16000000\n", "", "cpu.clock_hz"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    with pytest.raises(BoardFileError) as info:
        load_boards(_write_variant(tmp_path, old, new))
    assert "nucleo-f446re.toml" in str(info.value)
    assert f"'{field}'" in str(info.value)


def test_boards_json_lists_every_board() -> None:
    result = CliRunner().invoke(main, ["boards", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["name"] for row in rows} == EXPECTED
    m4 = next(row for row in rows if row["name"] == "qemu-cortex-m4")
    assert m4["emulated"] is True and m4["default"] is True
    assert {"name", "cpu", "flash_bytes", "ram_bytes", "emulated"} <= set(m4)


def test_boards_table() -> None:
    result = CliRunner().invoke(main, ["boards"])
    assert result.exit_code == 0
    assert "qemu-cortex-m4*" in result.output and "rpi-pico" in result.output


def test_icount_shift_keeps_a_tick_under_a_quarter_instruction() -> None:
    """Exact instruction counts need one SysTick tick plus the 1/8-instruction resolution under
    half an instruction; the nRF51's 16 MHz SysTick only gets there at -icount shift=8, the
    MPS2/MPS3 boards' 25 and 32 MHz at the usual 7."""
    from fractions import Fraction

    from targets.project import FRAC_BITS_EMULATED, icount_shift, tick_scale

    shifts = {}
    for board in load_boards().values():
        if not board.emulated:
            continue
        shift = shifts[board.name] = icount_shift(board)
        tick = Fraction(10**9, board.clock_hz) / (1 << shift)
        assert tick + Fraction(1, 1 << FRAC_BITS_EMULATED) < Fraction(1, 2), board.name
        mul, tick_shift, frac_bits = tick_scale(board)
        assert Fraction(mul, 1 << tick_shift) == tick * (1 << frac_bits)
    assert shifts.pop("qemu-cortex-m0") == 8
    assert set(shifts.values()) == {7}
