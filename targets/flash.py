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

from targets import uf2
from targets.errors import MissingToolError, TargetError
from targets.manifest import find_manifest
from targets.qemu import QemuBoard, qemu_command
from targets.registry import DEFAULT_BOARD, Board, get_board

TOOLS = ("qemu", "host", "pyocd", "openocd", "uf2", "bossac")
#: The tools that reach the board through a debug probe, and so take --probe UID.
PROBE_TOOLS = ("pyocd", "openocd")
UF2_MOUNT_ROOTS = uf2.MOUNT_ROOTS["Linux"]
UF2_DRIVE_NAME = "RPI-RP2"  # the RP2040 boot ROM's volume label and INFO_UF2.TXT Board-ID


@dataclass(frozen=True)
class FlashPlan:
    board: Board
    tool: str
    image: Path
    description: str
    command: list[str] = field(default_factory=list)
    probe: str | None = None  # debug probe unique id (pyocd/openocd), None: the only one
    drive: Path | None = None  # UF2 boot drive given by the user, None: found at flash time


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


def find_uf2_drive(
    roots: Iterable[Path] | None = None,
    *,
    system: str | None = None,
    drives: Callable[[], Iterable[Path]] | None = None,
) -> Path | None:
    """The one mounted RP2040 boot drive, None when there is none.

    Several RP2040s in BOOTSEL mode at once: TargetError listing them (pick one with --drive).
    """
    found = uf2.find_uf2_drives(UF2_DRIVE_NAME, system=system, roots=roots, drives=drives)
    if len(found) > 1:
        listed = "\n".join(str(drive) for drive in found)
        raise TargetError(
            f"{len(found)} {UF2_DRIVE_NAME} boot drives are mounted; pick one with "
            f"--drive PATH:\n{listed}"
        )
    return found[0] if found else None


def check_probe_uid(probe: str) -> str:
    """A probe unique id as pyocd and openocd take it: one word of printable characters."""
    if not probe or not probe.isprintable() or any(c.isspace() or c in "\"'{}[]$;" for c in probe):
        raise TargetError(
            f"--probe {probe!r}: not a probe unique id (one word, as `edge-lstm ports` or "
            "`pyocd list` shows it)"
        )
    return probe


def plan_flash(
    target: Path,
    board: Board,
    tool: str | None = None,
    port: str | None = None,
    probe: str | None = None,
    drive: Path | None = None,
) -> FlashPlan:
    """Everything a flash will do, decided without touching a board. ``probe`` picks one debug
    probe by its unique id (several boards plugged in); ``drive`` names the UF2 boot drive."""
    target = Path(target)
    tool = tool or board.flasher
    if tool not in TOOLS:
        raise TargetError(f"unknown flash tool {tool!r}; one of {', '.join(TOOLS)}")
    if board.emulated != (tool == "qemu") or board.is_host != (tool == "host"):
        raise TargetError(f"{board.name} cannot be flashed with {tool}")
    if probe is not None:
        if tool not in PROBE_TOOLS:
            raise TargetError(
                f"--probe picks a debug probe for pyocd or openocd; {board.name} is flashed "
                f"with {tool} (use --tool pyocd or --tool openocd for a probe)"
            )
        probe = check_probe_uid(probe)
    if drive is not None and tool != "uf2":
        raise TargetError(f"--drive is the UF2 boot drive; {board.name} is flashed with {tool}")
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
        command = ["pyocd", "flash", "-t", board.pyocd_target]
        if probe is not None:
            command += ["-u", probe]
        via = "" if probe is None else f" through probe {probe}"
        return FlashPlan(
            board,
            tool,
            elf,
            f"program {elf} with pyocd (target {board.pyocd_target}){via} and reset",
            [*command, str(elf)],
            probe=probe,
        )
    if tool == "openocd":
        if board.openocd_config is None:
            raise TargetError(f"{board.name} has no flash.openocd_config in its board file")
        elf = _image(target, ".elf")
        command = ["openocd"]
        for cfg in board.openocd_config.split():
            command += ["-f", cfg]
        if probe is not None:  # after the interface config, before `program` runs init
            command += ["-c", f"adapter serial {probe}"]
        command += ["-c", f"program {elf} verify reset exit"]
        via = "" if probe is None else f" through probe {probe}"
        return FlashPlan(board, tool, elf, f"program {elf} with openocd{via}", command, probe)
    if tool == "uf2":
        image = _image(target, ".uf2")
        if drive is not None:
            drive = Path(drive)
            if uf2.drive_info(drive) is None:
                raise TargetError(
                    f"--drive {drive}: no {uf2.INFO_FILE} there, so it is not a UF2 boot drive "
                    "(hold BOOTSEL while plugging in the Pico; `ls` the drive it mounts)"
                )
        where = f"the {UF2_DRIVE_NAME} drive" if drive is None else str(drive)
        return FlashPlan(
            board,
            tool,
            image,
            f"copy {image} to {where} (hold BOOTSEL while plugging in)",
            ["cp", str(image), str(drive) if drive is not None else UF2_DRIVE_NAME],
            drive=drive,
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
        drive = plan.drive or find_uf2_drive()
        if drive is None:
            raise MissingToolError(
                f"no {UF2_DRIVE_NAME} drive (a drive with {uf2.INFO_FILE}) found under "
                f"{uf2.where_drives_appear()}: hold BOOTSEL while plugging in the Pico, then "
                "retry (or name the drive with --drive PATH)"
            )
        # The boot ROM takes the blocks as they are written and reboots after the last one;
        # the copy is not staged under another name, which the drive would not show back.
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
            which = "no debug probe found" if plan.probe is None else f"no probe {plan.probe}"
            raise MissingToolError(f"{which}: plug in the board's USB debug port")
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
        target_override=plan.board.pyocd_target,
        blocking=False,
        return_first=plan.probe is None,
        unique_id=plan.probe,
    )
    if session is None:
        which = "no debug probe found" if plan.probe is None else f"no probe {plan.probe}"
        raise MissingToolError(
            f"{which}: plug in the board's USB debug port (ST-LINK, J-Link or CMSIS-DAP) and "
            "check its udev permissions; `edge-lstm ports` lists the probes pyocd sees"
        )
    with session:
        programmer.FileProgrammer(session).program(str(plan.image))
        session.target.reset()
