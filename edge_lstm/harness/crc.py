"""CRC-32 as used by the frame trailer: the IEEE 802.3 / zlib polynomial, reflected.

Parameters (Rocksoft model): width 32, poly 0x04C11DB7, init 0xFFFFFFFF, refin/refout true,
xorout 0xFFFFFFFF; check value over b"123456789" is 0xCBF43926. The firmware computes the same
function (firmware_gen/runtime/app/el_frame.c); zlib's C implementation is the host's.
"""

from __future__ import annotations

import zlib

CHECK_INPUT = b"123456789"
CHECK_VALUE = 0xCBF43926


def crc32(data: bytes, value: int = 0) -> int:
    """CRC-32 of ``data``; pass a previous result as ``value`` to continue over more bytes."""
    return zlib.crc32(data, value) & 0xFFFFFFFF
