"""Build a firmware folder with its generated Makefile and report what it takes of the board.

The size report comes from the ELF's section headers (pyelftools), not from parsing `size`
output, so it is the same for every toolchain version; the fit check refuses an image that
would not fit the board, with the numbers, before anyone tries to flash it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from targets.errors import BuildFailedError, DoesNotFitError, MissingToolError, TargetError
from targets.manifest import find_manifest, read_manifest
from targets.registry import Board, get_board

ARM_INSTALL_HINT = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"


@dataclass(frozen=True)
class SectionSizes:
    text: int
    rodata: int
    data: int
    bss: int
    stack: int

    @property
    def flash_bytes(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def ram_bytes(self) -> int:
        return self.data + self.bss + self.stack


@dataclass(frozen=True)
class BuildResult:
    board: Board
    elf: Path
    sizes: SectionSizes
    outputs: tuple[Path, ...]
    log: str

    @property
    def flash_bytes(self) -> int:
        return self.sizes.flash_bytes

    @property
    def ram_bytes(self) -> int:
        return self.sizes.ram_bytes

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board.name,
            "elf": str(self.elf),
            "outputs": [str(p) for p in self.outputs],
            **asdict(self.sizes),
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
            "board_flash_bytes": self.board.flash_bytes,
            "board_ram_bytes": self.board.ram_bytes,
        }


def board_of_project(project_dir: Path) -> Board:
    """The board recorded in the folder's edge_lstm.json."""
    return get_board(read_manifest(project_dir).require_board())


def _flash_hint(project_dir: Path) -> str:
    """What to try when the flash overflows: int16 weight storage doubles the LSTM weights."""
    manifest = find_manifest(project_dir)
    if manifest is not None and manifest.weight_storage == "int16":
        return (
            " (the LSTM weights are stored as int16, twice their int8 size: export again "
            "with --weights int8)"
        )
    return ""


def required_tools(board: Board) -> list[tuple[str, str]]:
    """(executable, how to install it) that building for ``board`` needs."""
    tools = [("make", "apt-get install make")]
    if board.is_host:
        tools.append((os.environ.get("CC", "cc"), "apt-get install gcc"))
    else:
        tools += [
            ("arm-none-eabi-gcc", ARM_INSTALL_HINT),
            ("arm-none-eabi-objcopy", ARM_INSTALL_HINT),
        ]
    if board.boot2 is not None or board.flasher == "uf2":
        tools.append(("python3", "apt-get install python3"))
    return tools


def check_tools(board: Board) -> None:
    """Name every missing tool at once, so one install command fixes them all."""
    missing = [(tool, hint) for tool, hint in required_tools(board) if shutil.which(tool) is None]
    if missing:
        hints = "; ".join(dict.fromkeys(hint for _, hint in missing))
        raise MissingToolError(f"{', '.join(t for t, _ in missing)} not found: {hints}")


def section_sizes(elf: Path) -> SectionSizes:
    """Classify the allocated sections: code, read-only data, initialised data, zeroed, stack."""
    sizes = {"text": 0, "rodata": 0, "data": 0, "bss": 0, "stack": 0}
    with elf.open("rb") as handle:
        for section in ELFFile(handle).iter_sections():
            flags = section["sh_flags"]
            if not flags & SH_FLAGS.SHF_ALLOC or section["sh_size"] == 0:
                continue
            if section.name == ".stack":
                key = "stack"
            elif section["sh_type"] == "SHT_NOBITS":
                key = "bss"
            elif flags & SH_FLAGS.SHF_EXECINSTR:
                key = "text"
            elif flags & SH_FLAGS.SHF_WRITE:
                key = "data"
            else:
                key = "rodata"
            sizes[key] += section["sh_size"]
    return SectionSizes(**sizes)


def check_fit(board: Board, sizes: SectionSizes, flash_hint: str = "") -> None:
    if board.is_host:
        return
    problems = []
    if sizes.flash_bytes > board.flash_bytes:
        problems.append(
            f"flash {sizes.flash_bytes} B (text {sizes.text} + rodata "
            f"{sizes.rodata} + data {sizes.data}) > {board.flash_bytes} B"
            f"{flash_hint}"
        )
    if sizes.ram_bytes > board.ram_bytes:
        problems.append(
            f"RAM {sizes.ram_bytes} B (data {sizes.data} + bss {sizes.bss} + "
            f"stack {sizes.stack}) > {board.ram_bytes} B"
        )
    if problems:
        raise DoesNotFitError(f"the firmware does not fit {board.name}: " + "; ".join(problems))


_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")


def build_project(
    project_dir: Path, board: Board | None = None, jobs: int = 2, opt: str | None = None
) -> BuildResult:
    """Run the folder's Makefile, then measure and fit-check the ELF."""
    project_dir = Path(project_dir)
    if not (project_dir / "Makefile").is_file():
        raise TargetError(
            f"{project_dir} has no Makefile: add board support first "
            "(targets.project.add_board_support or `edge-lstm export`)"
        )
    if board is None:
        board = board_of_project(project_dir)
    check_tools(board)
    command = ["make", "-C", str(project_dir), f"-j{max(1, jobs)}"]
    if opt is not None:
        command.append(f"OPT={opt}")
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        overflows = _OVERFLOW.findall(log)
        if overflows:
            detail = ", ".join(f"{region} by {count} B" for region, count in overflows)
            hint = _flash_hint(project_dir) if "FLASH" in detail.upper() else ""
            raise DoesNotFitError(
                f"the firmware does not fit {board.name}: overflows {detail}{hint}"
            )
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise BuildFailedError(f"make failed in {project_dir} (exit {proc.returncode}):\n{tail}")
    build_dir = project_dir / "build"
    elf = build_dir / "firmware.elf"
    if not elf.is_file():
        raise BuildFailedError(f"make succeeded but {elf} is missing")
    sizes = section_sizes(elf)
    check_fit(board, sizes, _flash_hint(project_dir))
    outputs = tuple(
        p
        for p in (build_dir / f"firmware.{ext}" for ext in ("elf", "bin", "hex", "uf2"))
        if p.is_file()
    )
    return BuildResult(board=board, elf=elf, sizes=sizes, outputs=outputs, log=log)
