"""Pad an RP2040 boot2 binary to 252 bytes and append the CRC32 the boot ROM checks.

Standalone (standard library only): the generated Makefile runs it, so a firmware folder builds
without edge-lstm. Usage: python3 el_boot2_pad.py boot2.bin boot2_padded.S
"""

from __future__ import annotations

import sys
from pathlib import Path

BOOT2_BYTES = 256


def crc32_mpeg2(data: bytes) -> int:
    """CRC-32/MPEG-2: polynomial 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final XOR."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def pad_boot2(code: bytes) -> bytes:
    """The 256-byte boot2 block: code, zero padding, CRC32 little-endian."""
    if len(code) > BOOT2_BYTES - 4:
        raise ValueError(f"boot2 is {len(code)} bytes; at most {BOOT2_BYTES - 4} fit")
    body = code + bytes(BOOT2_BYTES - 4 - len(code))
    return body + crc32_mpeg2(body).to_bytes(4, "little")


def as_assembly(block: bytes) -> str:
    rows = [", ".join(f"0x{b:02x}" for b in block[i : i + 16]) for i in range(0, len(block), 16)]
    return '    .section .boot2, "ax"\n' + "".join(f"    .byte {row}\n" for row in rows)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    block = pad_boot2(Path(argv[1]).read_bytes())
    Path(argv[2]).write_text(as_assembly(block), encoding="ascii")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
