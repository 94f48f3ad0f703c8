"""Binary image -> UF2 (the USB mass-storage flashing format of the RP2040 boot ROM).

Standard library only and runnable as a script, because the generated Makefile calls a copy of
it (bsp/el_uf2.py) so that a firmware folder builds without edge-lstm installed.
Usage: python3 el_uf2.py firmware.bin firmware.uf2 --base 0x10000000 --family 0xe48bff56
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

MAGIC_START0 = 0x0A324655
MAGIC_START1 = 0x9E5D5157
MAGIC_END = 0x0AB16F30
FLAG_FAMILY_ID_PRESENT = 0x00002000
BLOCK_BYTES = 512
PAYLOAD_BYTES = 256  # the RP2040 boot ROM accepts only 256-byte payloads
DATA_FIELD_BYTES = 476
RP2040_FAMILY_ID = 0xE48BFF56


def bin_to_uf2(image: bytes, base: int, family_id: int) -> bytes:
    """One 512-byte block per 256 bytes of image, addressed from ``base``."""
    chunks = [image[i : i + PAYLOAD_BYTES] for i in range(0, len(image), PAYLOAD_BYTES)]
    blocks = []
    for number, chunk in enumerate(chunks):
        data = chunk.ljust(DATA_FIELD_BYTES, b"\x00")
        header = struct.pack(
            "<8I",
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID_PRESENT,
            base + number * PAYLOAD_BYTES,
            PAYLOAD_BYTES,
            number,
            len(chunks),
            family_id,
        )
        blocks.append(header + data + struct.pack("<I", MAGIC_END))
    return b"".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert a flat binary to UF2.")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--base", type=lambda s: int(s, 0), required=True)
    parser.add_argument("--family", type=lambda s: int(s, 0), default=RP2040_FAMILY_ID)
    args = parser.parse_args(argv)
    args.output.write_bytes(bin_to_uf2(args.input.read_bytes(), args.base, args.family))
    return 0


if __name__ == "__main__":
    sys.exit(main())
