"""UF2 conversion and the RP2040 boot2 checksum, against the format and CRC definitions."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from types import ModuleType

from targets.uf2 import bin_to_uf2

PAD_SCRIPT = Path(__file__).parents[1] / "targets" / "bsp" / "rp2040" / "el_boot2_pad.py"


def _pad_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("el_boot2_pad", PAD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_crc32_mpeg2_check_value() -> None:
    # The catalogue check value of CRC-32/MPEG-2 over "123456789".
    assert _pad_module().crc32_mpeg2(b"123456789") == 0x0376E6E7


def test_boot2_block_layout() -> None:
    pad = _pad_module()
    block = pad.pad_boot2(b"\x01\x02\x03")
    assert len(block) == 256
    assert block[3:252] == bytes(249)
    assert int.from_bytes(block[252:], "little") == pad.crc32_mpeg2(block[:252])


def test_uf2_blocks() -> None:
    image = bytes(range(256)) * 2 + b"\xaa" * 10
    uf2 = bin_to_uf2(image, 0x10000000, 0xE48BFF56)
    assert len(uf2) == 3 * 512
    for i in range(3):
        block = uf2[i * 512 : (i + 1) * 512]
        magic0, magic1, flags, addr, size, number, total, family = struct.unpack_from("<8I", block)
        assert (magic0, magic1) == (0x0A324655, 0x9E5D5157)
        assert struct.unpack_from("<I", block, 508)[0] == 0x0AB16F30
        assert flags & 0x2000 and family == 0xE48BFF56
        assert (addr, size, number, total) == (0x10000000 + 256 * i, 256, i, 3)
    assert uf2[512 * 2 + 32 : 512 * 2 + 42] == b"\xaa" * 10
