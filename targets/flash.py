"""Put a built firmware on a board: QEMU for emulated boards, the executable for the host,
pyocd/openocd over a debug probe, a UF2 copy to the RP2040 boot drive, bossac for the Nano 33 BLE.

``plan_flash`` decides everything without side effects (what `--dry-run` prints); ``run_flash``
carries the plan out. Each missing piece (tool, probe, drive) is an error that says what to do.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from targets.errors import MissingToolError, TargetError
from targets.manifest import find_manifest
from targets.qemu import QemuBoard, qemu_command
from targets.registry import DEFAULT_BOARD, Board, get_board

TOOLS = ("qemu", "host", "pyocd", "openocd", "uf2", "bossac")
UF2_MOUNT_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"))
UF2_DRIVE_NAME = "RPI-RP2"


@dataclass(frozen=True)
class FlashPlan:
    board: Board
    tool: str
    image: Path
    description: str
    command: list[str] = field(default_factory=list)


def resolve_board(target: Path, board_name: str | None, force: bool = False) -> Board:
    """The named board, else the one in the folder's edge_lstm.json, else the default.

    A firmware is built for one board (memory map, UART, clock): flashing it to another one
    boots nothing useful and can leave a real board unresponsive, so a named board that differs
    from the folder's is refused unless ``force``.
    """
    folder = target if target.is_dir() else target.parent.parent
    manifest = find_manifest(folder)
    recorded = manifest.board if manifest is not None else None
    if board_name is None:
        return get_board(recorded or DEFAULT_BOARD)
    board = get_board(board_name)
    if recorded is not None and recorded != board.name and not force:
        raise TargetError(
            f"{folder} was exported for {recorded}, not {board.name}: export it for "
            f"{board.name} (edge-lstm export --board {board.name}), or pass --force"
        )
    return board


def _image(target: Path, suffix: str) -> Path:
    """The build output with ``suffix`` for a project folder or next to a given ELF."""
    if target.is_dir():
        image = target / "build" / f"firmware{suffix}"
    elif target.suffix == suffix:
        image = target
    else:
        image = target.with_suffix(suffix)
    if not image.is_file():
        raise TargetError(f"{image}: not found; build first (edge-lstm build DIR)")
    return image


def find_uf2_drive(roots: Iterable[Path] = UF2_MOUNT_ROOTS) -> Path | None:
    """A mounted RP2040 boot drive: a folder named RPI-RP2 or holding INFO_UF2.TXT."""
    for root in roots:
        if not root.is_dir():
            continue
        candidates = [root, *root.glob("*"), *root.glob("*/*")]
        for folder in candidates:
            try:
                if folder.is_dir() and (
                    folder.name == UF2_DRIVE_NAME or (folder / "INFO_UF2.TXT").is_file()
                ):
                    return folder
            except OSError:
                continue
    return None


def plan_flash(
    target: Path, board: Board, tool: str | None = None, port: str | None = None
) -> FlashPlan:
    target = Path(target)
    tool = tool or board.flasher
    if tool not in TOOLS:
        raise TargetError(f"unknown flash tool {tool!r}; one of {', '.join(TOOLS)}")
    if board.emulated != (tool == "qemu") or board.is_host != (tool == "host"):
        raise TargetError(f"{board.name} cannot be flashed with {tool}")
    if tool == "qemu":
        elf = _image(target, ".elf")
        command = qemu_command(elf, board)
        return FlashPlan(
            board,
            tool,
            elf,
            f"run {elf} on QEMU {board.qemu_machine}; the UART is a pseudo-terminal",
            command,
        )
    if tool == "host":
        elf = _image(target, ".elf")
        return FlashPlan(board, tool, elf, f"run {elf}; it prints its pseudo-terminal", [str(elf)])
    if tool == "pyocd":
        if board.pyocd_target is None:
            raise TargetError(f"{board.name} has no flash.pyocd_target in its board file")
        elf = _image(target, ".elf")
        return FlashPlan(
            board,
            tool,
            elf,
            f"program {elf} with pyocd (target {board.pyocd_target}) and reset",
            ["pyocd", "flash", "-t", board.pyocd_target, str(elf)],
        )
    if tool == "openocd":
        if board.openocd_config is None:
            raise TargetError(f"{board.name} has no flash.openocd_config in its board file")
        elf = _image(target, ".elf")
        command = ["openocd"]
        for cfg in board.openocd_config.split():
            command += ["-f", cfg]
        command += ["-c", f"program {elf} verify reset exit"]
        return FlashPlan(board, tool, elf, f"program {elf} with openocd", command)
    if tool == "uf2":
        uf2 = _image(target, ".uf2")
        return FlashPlan(
            board,
            tool,
            uf2,
            f"copy {uf2} to the {UF2_DRIVE_NAME} drive (hold BOOTSEL while plugging in)",
            ["cp", str(uf2), UF2_DRIVE_NAME],
        )
    binary = _image(target, ".bin")
    command = [
        "bossac",
        "-d",
        f"--port={port or 'PORT'}",
        "-U",
        "-i",
        "-e",
        "-w",
        str(binary),
        "-R",
    ]
    return FlashPlan(
        board,
        tool,
        binary,
        f"upload {binary} at 0x{board.flash_base:x} with "
        "bossac (double-tap reset first to enter the bootloader)",
        command,
    )


def run_flash(
    plan: FlashPlan, on_serial: Callable[[str], None] = print, port: str | None = None
) -> None:
    """Carry out ``plan``. For qemu and host this runs until the firmware (or the user) stops."""
    if plan.tool == "qemu":
        with QemuBoard(plan.image, plan.board) as board:
            on_serial(f"serial: {board.port}")
            board.wait()
    elif plan.tool == "host":
        subprocess.run(plan.command, check=False)
    elif plan.tool == "pyocd":
        _flash_pyocd(plan)
    elif plan.tool == "uf2":
        drive = find_uf2_drive()
        if drive is None:
            raise MissingToolError(
                f"no {UF2_DRIVE_NAME} drive found under "
                f"{', '.join(str(r) for r in UF2_MOUNT_ROOTS)}: hold BOOTSEL "
                "while plugging in the Pico, then retry"
            )
        shutil.copyfile(plan.image, drive / plan.image.name)
    else:
        _run_tool(plan, port)


def _run_tool(plan: FlashPlan, port: str | None) -> None:
    exe = plan.command[0]
    hints = {
        "openocd": "apt-get install openocd",
        "bossac": "apt-get install bossa-cli (or use the Arduino IDE's bossac)",
    }
    if shutil.which(exe) is None:
        raise MissingToolError(f"{exe} not found: {hints.get(exe, '')}")
    if exe == "bossac" and port is None:
        raise TargetError(
            "bossac needs the bootloader's serial port: double-tap reset, then "
            "pass --port /dev/ttyACM0"
        )
    proc = subprocess.run(plan.command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        text = (proc.stdout + proc.stderr).strip()
        if exe == "openocd" and (
            "open failed" in text or "No J-Link" in text or "unable to find" in text.lower()
        ):
            raise MissingToolError("no debug probe found: plug in the board's USB debug port")
        raise TargetError(f"{exe} failed (exit {proc.returncode}):\n{text[-2000:]}")


def _flash_pyocd(plan: FlashPlan) -> None:
    try:
        helpers = importlib.import_module("pyocd.core.helpers")
        programmer = importlib.import_module("pyocd.flash.file_programmer")
    except ImportError as exc:
        raise MissingToolError(
            "pyocd is not installed: pip install pyocd (or use --tool openocd)"
        ) from exc
    session = helpers.ConnectHelper.session_with_chosen_probe(
        target_override=plan.board.pyocd_target, blocking=False, return_first=True
    )
    if session is None:
        raise MissingToolError(
            "no debug probe found: plug in the board's USB debug port "
            "(ST-LINK, J-Link or CMSIS-DAP) and check its udev permissions"
        )
    with session:
        programmer.FileProgrammer(session).program(str(plan.image))
        session.target.reset()
