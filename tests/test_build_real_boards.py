"""Real-board firmware builds warning-free (-Werror) and is laid out as the registry says."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from test_boards_helpers import build_echo
from toolchain import require

from targets.registry import Board, get_board

REAL_BOARDS = ["nucleo-f446re", "nucleo-l476rg", "nrf52840dk", "arduino-nano-33-ble", "rpi-pico"]


def _read(elf: Path, address: int, size: int) -> bytes:
    with elf.open("rb") as handle:
        for section in ELFFile(handle).iter_sections():
            start = section["sh_addr"]
            if (
                section["sh_type"] == "SHT_PROGBITS"
                and start <= address < start + section["sh_size"]
            ):
                return section.data()[address - start : address - start + size]
    raise AssertionError(f"0x{address:x} is in no section")


def _inside(addr: int, size: int, base: int, length: int) -> bool:
    return base <= addr and addr + size <= base + length


def _board_info(elf: Path) -> tuple[int, ...]:
    """The el_board_info record the startup code keeps in every image."""
    with elf.open("rb") as handle:
        symtab = ELFFile(handle).get_section_by_name(".symtab")
        symbol = symtab.get_symbol_by_name("el_board_info")[0]
        address = symbol["st_value"]
    return struct.unpack("<5I", _read(elf, address, 20))


def _vector_address(board: Board) -> int:
    return board.flash_base + (256 if board.boot2 else 0)


@pytest.mark.toolchain
@pytest.mark.parametrize("name", REAL_BOARDS)
def test_real_board_elf_layout(tmp_path: Path, name: str) -> None:
    require("arm-none-eabi-gcc")
    board = get_board(name)
    result = build_echo(tmp_path, name)
    assert "warning" not in result.log.lower()
    elf = result.elf

    initial_sp, reset = struct.unpack("<2I", _read(elf, _vector_address(board), 8))
    assert board.ram_base < initial_sp <= board.ram_base + board.ram_bytes
    assert initial_sp % 8 == 0
    assert reset & 1, "the reset vector must have the Thumb bit set"
    assert _inside(reset & ~1, 2, board.flash_base, board.flash_bytes)

    with elf.open("rb") as handle:
        elffile = ELFFile(handle)
        for section in elffile.iter_sections():
            if not section["sh_flags"] & SH_FLAGS.SHF_ALLOC or section["sh_size"] == 0:
                continue
            addr, size = section["sh_addr"], section["sh_size"]
            in_flash = _inside(addr, size, board.flash_base, board.flash_bytes)
            in_ram = _inside(addr, size, board.ram_base, board.ram_bytes)
            assert in_flash or in_ram, f"{section.name} at 0x{addr:x} is outside the board"
            if section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                assert in_flash
        for segment in elffile.iter_segments():
            if segment["p_type"] == "PT_LOAD" and segment["p_filesz"]:
                assert _inside(
                    segment["p_paddr"], segment["p_filesz"], board.flash_base, board.flash_bytes
                ), "load image must be in flash"

    magic, flash_base, ram_base, uart_base, clock = _board_info(elf)
    assert magic == 0x49424C45
    assert (flash_base, ram_base, uart_base, clock) == (
        board.flash_base,
        board.ram_base,
        board.uart.base,
        board.clock_hz,
    )
    header = (elf.parent.parent / "bsp" / "el_board.h").read_text()
    assert f"#define EL_BOARD_UART_BASE 0x{board.uart.base:08X}u" in header
    assert f'#define EL_BSP_CYCLE_UNIT "{board.cycle_unit}"' in header
    assert result.flash_bytes <= board.flash_bytes and result.ram_bytes <= board.ram_bytes
    assert result.sizes.stack == board.stack_bytes


@pytest.mark.toolchain
def test_pico_boot2_and_uf2(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    result = build_echo(tmp_path, "rpi-pico")
    boot2 = _read(result.elf, 0x10000000, 256)
    crc = 0xFFFFFFFF  # CRC-32/MPEG-2, computed here independently of the build script
    for byte in boot2[:252]:
        crc ^= byte << 24
        for _ in range(8):
            crc = (
                ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF
                if crc & 0x80000000
                else (crc << 1) & 0xFFFFFFFF
            )
    assert int.from_bytes(boot2[252:], "little") == crc

    uf2 = (result.elf.parent / "firmware.uf2").read_bytes()
    binary = (result.elf.parent / "firmware.bin").read_bytes()
    assert len(uf2) % 512 == 0 and len(uf2) // 512 == -(-len(binary) // 256)
    for i in range(len(uf2) // 512):
        block = uf2[i * 512 : (i + 1) * 512]
        m0, m1, flags, addr, size, number, total, family = struct.unpack_from("<8I", block)
        assert (m0, m1, struct.unpack_from("<I", block, 508)[0]) == (
            0x0A324655,
            0x9E5D5157,
            0x0AB16F30,
        )
        assert family == 0xE48BFF56 and flags & 0x2000
        assert (addr, number, total) == (0x10000000 + 256 * i, i, len(uf2) // 512)
        assert size == 256
        assert block[32 : 32 + size] == binary[256 * i : 256 * i + size].ljust(256, b"\0")
