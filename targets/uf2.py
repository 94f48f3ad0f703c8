"""Binary image -> UF2 (the USB mass-storage flashing format of the RP2040 boot ROM), and
finding the boot drive a UF2 bootloader mounts.

Standard library only and runnable as a script, because the generated Makefile calls a copy of
it (bsp/el_uf2.py) so that a firmware folder builds without edge-lstm installed.
Usage: python3 el_uf2.py firmware.bin firmware.uf2 --base 0x10000000 --family 0xe48bff56

Every UF2 bootloader's drive holds INFO_UF2.TXT (``Board-ID: RPI-RP2`` on the RP2040); where the
drive appears depends on the OS: Linux desktops mount it under /media/USER or /run/media/USER
(or a user mounts it under /mnt), macOS under /Volumes, Windows as a drive letter.
"""

from __future__ import annotations

import argparse
import os
import platform
import string
import struct
import sys
from collections.abc import Callable, Iterable
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


INFO_FILE = "INFO_UF2.TXT"
#: Where Linux and macOS mount removable drives; a drive is a folder up to two levels below.
MOUNT_ROOTS = {
    "Linux": (Path("/media"), Path("/run/media"), Path("/mnt")),
    "Darwin": (Path("/Volumes"),),
}


def windows_drives() -> list[Path]:
    """The drive letters Windows has mounted (``D:\\`` ...); empty elsewhere."""
    if os.name != "nt":
        return []
    import ctypes

    mask = ctypes.windll.kernel32.GetLogicalDrives()  # type: ignore[attr-defined]
    return [
        Path(f"{letter}:\\") for i, letter in enumerate(string.ascii_uppercase) if mask >> i & 1
    ]


def drive_info(folder: Path) -> dict[str, str] | None:
    """The ``Key: value`` lines of a drive's INFO_UF2.TXT, or None when it has none."""
    try:
        text = (folder / INFO_FILE).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    info = {}
    for row in text.splitlines():
        key, sep, value = row.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def candidate_folders(
    system: str, roots: Iterable[Path] | None, drives: Callable[[], Iterable[Path]] | None
) -> list[Path]:
    """Folders that may be a mounted drive on ``system`` (platform.system()'s name)."""
    if system == "Windows":
        return list((drives or windows_drives)())
    found: list[Path] = []
    for root in MOUNT_ROOTS.get(system, MOUNT_ROOTS["Linux"]) if roots is None else roots:
        try:
            if not root.is_dir():
                continue
            found += [root, *sorted(root.glob("*")), *sorted(root.glob("*/*"))]
        except OSError:  # an unreadable mount point is not a boot drive
            continue
    return found


def find_uf2_drives(
    board_id: str | None = None,
    *,
    system: str | None = None,
    roots: Iterable[Path] | None = None,
    drives: Callable[[], Iterable[Path]] | None = None,
) -> list[Path]:
    """Mounted UF2 boot drives (folders holding INFO_UF2.TXT), optionally only those whose
    ``Board-ID`` starts with ``board_id``.

    ``system`` defaults to this machine's; ``roots`` replaces the OS's mount roots and
    ``drives`` the Windows drive-letter enumeration (both for a test, or an unusual mount).
    """
    system = system or platform.system()
    drives_found = []
    for folder in candidate_folders(system, roots, drives):
        try:
            if not folder.is_dir():
                continue
        except OSError:
            continue
        info = drive_info(folder)
        if info is None:
            continue
        if board_id is not None and not info.get("Board-ID", "").startswith(board_id):
            continue
        drives_found.append(folder)
    return drives_found


def where_drives_appear(system: str | None = None) -> str:
    """Where this OS mounts a boot drive, for a message that found none."""
    system = system or platform.system()
    if system == "Windows":
        return "the drive letters"
    return ", ".join(str(root) for root in MOUNT_ROOTS.get(system, MOUNT_ROOTS["Linux"]))


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
