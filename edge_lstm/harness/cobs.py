"""Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999).

COBS removes every 0x00 from a frame so that 0x00 can mark frame ends on the wire: a receiver
that lost bytes, or joined mid-stream, is back in step at the next 0x00 whatever came before.
The overhead is one byte per 254 bytes of data, so the largest frame stays small and known.
"""

from __future__ import annotations

DELIMITER = 0x00
_MAX_BLOCK = 0xFF  # a code byte of 0xFF means 254 data bytes and no implied zero


class CobsError(ValueError):
    """The bytes are not a valid COBS encoding (truncated block or embedded zero)."""


def max_encoded_size(n: int) -> int:
    """Worst-case encoded size of ``n`` data bytes, without the delimiter (sizes the buffers)."""
    return n + n // 254 + 1


def encode(data: bytes) -> bytes:
    """Encode ``data``; the result contains no 0x00 and does not include the delimiter.

    Canonical form: a final full block (254 non-zero bytes ending the data) gets no trailing
    code byte, as in the published examples.
    """
    out = bytearray()
    block = bytearray()
    for i, byte in enumerate(data):
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
            continue
        block.append(byte)
        if len(block) == _MAX_BLOCK - 1:
            out.append(_MAX_BLOCK)
            out += block
            block.clear()
            if i == len(data) - 1:
                return bytes(out)
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def decode(encoded: bytes) -> bytes:
    """Decode one frame (delimiter already removed); raise CobsError when it is malformed."""
    if not encoded:
        raise CobsError("empty COBS frame")
    data, complete = decode_prefix(encoded)
    if not complete:
        raise CobsError("the last COBS block runs past the end of the frame")
    return data


def decode_prefix(encoded: bytes) -> tuple[bytes, bool]:
    """Decode as a byte-at-a-time receiver does: the bytes so far, and whether the frame was whole.

    The firmware's parser stores bytes as they arrive, so a frame cut short still fills its
    buffer; this mirrors that to predict which error (too long or cut short) it reports first.
    """
    out = bytearray()
    i = 0
    n = len(encoded)
    while i < n:
        code = encoded[i]
        if code == 0:
            raise CobsError(f"zero byte inside a COBS frame at offset {i}")
        block = encoded[i + 1 : i + code]
        out += block
        if i + code > n:
            return bytes(out), False
        i += code
        if code != _MAX_BLOCK and i < n:
            out.append(0)
    return bytes(out), True
