"""`edge-lstm flash`: dry runs for every kind of board and the errors for missing pieces."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_boards_helpers import ECHO_APP

from edge_lstm.cli import main
from targets import uf2
from targets.errors import MissingToolError, TargetError
from targets.flash import find_uf2_drive, plan_flash, run_flash
from targets.project import add_board_support
from targets.registry import get_board


def _fake_built(tmp_path: Path, board: str) -> Path:
    """A firmware folder with placeholder build outputs: the planner only needs the paths."""
    project = tmp_path / board
    shutil.copytree(ECHO_APP, project)
    add_board_support(project, get_board(board))
    (project / "build").mkdir()
    for ext in ("elf", "bin", "hex", "uf2"):
        (project / "build" / f"firmware.{ext}").write_bytes(b"\0")
    return project


@pytest.mark.parametrize(
    "board,expected",
    [
        ("qemu-cortex-m4", "qemu-system-arm -M mps2-an386"),
        ("nucleo-f446re", "pyocd flash -t stm32f446retx"),
        ("rpi-pico", "firmware.uf2"),
        ("arduino-nano-33-ble", "bossac"),
        ("host", "firmware.elf"),
    ],
)
def test_dry_run(tmp_path: Path, board: str, expected: str) -> None:
    project = _fake_built(tmp_path, board)
    run = CliRunner().invoke(main, ["flash", str(project), "--board", board, "--dry-run"])
    assert run.exit_code == 0, run.output
    assert expected in run.output
    assert f"board: {board}" in run.output


def test_dry_run_reads_board_from_folder(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "nrf52840dk")
    run = CliRunner().invoke(main, ["flash", str(project), "--dry-run", "--tool", "openocd"])
    assert run.exit_code == 0, run.output
    assert "openocd -f board/nordic_nrf52_dk.cfg" in run.output


def test_qemu_command_has_icount_and_pty(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m55")
    plan = plan_flash(project, get_board("qemu-cortex-m55"))
    joined = " ".join(plan.command)
    assert "-M mps3-an547" in joined and "-serial pty" in joined
    # one instruction = 2^7 ns of virtual time: the SysTick counts stay exact (docs/boards.md)
    assert "-icount shift=7" in joined and "-semihosting-config enable=on" in joined


def test_qemu_command_for_the_cortex_m0(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m0")
    joined = " ".join(plan_flash(project, get_board("qemu-cortex-m0")).command)
    # the microbit's SysTick runs at 16 MHz: 2^8 ns per instruction keeps a tick under 1/4
    assert "-M microbit" in joined and "-serial pty" in joined and "-icount shift=8" in joined


def test_unbuilt_folder(tmp_path: Path) -> None:
    project = tmp_path / "fw"
    shutil.copytree(ECHO_APP, project)
    add_board_support(project, get_board("nucleo-f446re"))
    run = CliRunner().invoke(main, ["flash", str(project), "--dry-run"])
    assert run.exit_code == 2 and "build first" in run.output


def test_no_uf2_drive(tmp_path: Path) -> None:
    assert find_uf2_drive([tmp_path]) is None
    (tmp_path / "user" / "RPI-RP2").mkdir(parents=True)
    assert find_uf2_drive([tmp_path]) is None  # the label alone is not a boot drive
    _uf2_drive(tmp_path / "user" / "RPI-RP2")
    assert find_uf2_drive([tmp_path]) == tmp_path / "user" / "RPI-RP2"
    if find_uf2_drive() is None:
        project = _fake_built(tmp_path, "rpi-pico")
        with pytest.raises(MissingToolError, match="hold BOOTSEL"):
            run_flash(plan_flash(project, get_board("rpi-pico")))


def test_pyocd_missing_or_no_probe(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "nucleo-l476rg")
    run = CliRunner().invoke(main, ["flash", str(project)])
    assert run.exit_code == 3
    assert "pip install pyocd" in run.output or "no debug probe found" in run.output


def test_openocd_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _fake_built(tmp_path, "nucleo-f446re")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = CliRunner().invoke(main, ["flash", str(project), "--tool", "openocd"])
    assert run.exit_code == 3
    assert "apt-get install openocd" in run.output


def test_emulated_board_refuses_probe_tool(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "qemu-cortex-m4")
    run = CliRunner().invoke(main, ["flash", str(project), "--tool", "pyocd", "--dry-run"])
    assert run.exit_code == 2 and "cannot be flashed with pyocd" in run.output


# --- debug probes by unique id ---------------------------------------------------------------

UID = "066DFF535154887767012415"  # the form of an ST-LINK/V2-1 serial number


def test_a_probe_uid_goes_into_the_pyocd_and_openocd_command_lines(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "nucleo-f446re")
    board = get_board("nucleo-f446re")
    elf = str(project / "build" / "firmware.elf")
    pyocd = plan_flash(project, board, probe=UID)
    assert pyocd.command == ["pyocd", "flash", "-t", "stm32f446retx", "-u", UID, elf]
    assert pyocd.probe == UID
    openocd = plan_flash(project, board, tool="openocd", probe=UID)
    assert openocd.command == [
        "openocd",
        "-f",
        "board/st_nucleo_f4.cfg",
        "-c",
        f"adapter serial {UID}",  # after the interface is chosen, before `program` inits it
        "-c",
        f"program {elf} verify reset exit",
    ]
    pico = _fake_built(tmp_path, "rpi-pico")
    two_files = plan_flash(pico, get_board("rpi-pico"), tool="openocd", probe="E6614C31")
    assert two_files.command[1:6] == [
        "-f",
        "interface/cmsis-dap.cfg",
        "-f",
        "target/rp2040.cfg",
        "-c",
    ]
    assert two_files.command[6] == "adapter serial E6614C31"
    assert plan_flash(project, board).command == ["pyocd", "flash", "-t", "stm32f446retx", elf]
    run = CliRunner().invoke(main, ["flash", str(project), "--probe", UID, "--dry-run"])
    assert run.exit_code == 0, run.output
    assert f"pyocd flash -t stm32f446retx -u {UID} {elf}" in run.output
    assert f"through probe {UID}" in run.output


def test_pyocd_reads_the_command_line_as_meant(tmp_path: Path) -> None:
    """pyOCD's own argument parser (edge-lstm[flash]) reads the probe, target and image."""
    import pyocd.__main__ as main_module  # edge-lstm[flash], part of the dev extra

    project = _fake_built(tmp_path, "nucleo-l476rg")
    plan = plan_flash(project, get_board("nucleo-l476rg"), probe=UID)
    args = main_module.PyOCDTool().build_parser().parse_args(plan.command[1:])
    assert (args.cmd, args.unique_id, args.target_override) == ("flash", UID, "stm32l476rgtx")
    assert args.file == [str(plan.image)]


def test_openocd_takes_the_probe_serial_and_finds_no_probe(tmp_path: Path) -> None:
    """The real openocd reads the board config and `adapter serial`, then finds no probe (none
    is attached here): the command line is valid and the error says which probe was missing."""
    # openocd flashes real boards only; scripts/setup.sh does not install it (no test of the
    # emulated road needs it), so it may be missing in CI too. Without it the command line is
    # still checked by test_a_probe_uid_goes_into_the_pyocd_and_openocd_command_lines and the
    # missing tool's message by test_openocd_missing; this test adds the real openocd's reading.
    if shutil.which("openocd") is None:
        pytest.skip("openocd is not installed (apt-get install openocd)")
    project = _fake_built(tmp_path, "nucleo-f446re")
    plan = plan_flash(project, get_board("nucleo-f446re"), tool="openocd", probe=UID)
    proc = subprocess.run(plan.command, capture_output=True, text=True, timeout=60)
    text = proc.stdout + proc.stderr
    assert "invalid command" not in text and "Can't find" not in text, text
    assert "open failed" in text, text
    with pytest.raises(MissingToolError, match=f"no probe {UID}"):
        run_flash(plan)


@pytest.mark.parametrize(
    ("board", "args", "message"),
    [
        ("qemu-cortex-m4", ["--probe", UID], "picks a debug probe for pyocd or openocd"),
        ("rpi-pico", ["--probe", UID], "flashed with uf2"),
        ("nucleo-f446re", ["--probe", "066D FF"], "not a probe unique id"),
        ("nucleo-f446re", ["--probe", "x; shutdown"], "not a probe unique id"),
        ("nucleo-f446re", ["--drive", "/tmp"], "--drive is the UF2 boot drive"),
    ],
)
def test_a_probe_or_drive_that_cannot_apply_is_refused(
    tmp_path: Path, board: str, args: list[str], message: str
) -> None:
    project = _fake_built(tmp_path, board)
    run = CliRunner().invoke(main, ["flash", str(project), *args, "--dry-run"])
    assert run.exit_code == 2, run.output
    assert message in run.output


# --- UF2 boot drives on each OS --------------------------------------------------------------
#
# No RP2040 is plugged in here, so the drives are folders made in tmp_path in the layout each OS
# mounts them in. Discovery only lists folders and reads INFO_UF2.TXT: a mounted FAT boot drive
# and a directory tree answer those calls the same way, so this is the code path a real drive
# takes (only the mounting itself, the OS's work, is not exercised). Windows drive letters come
# from an enumeration function, which the tests replace with the drive roots they made.

RP2040_INFO = "UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n"


def _uf2_drive(folder: Path, info: str = RP2040_INFO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "INFO_UF2.TXT").write_text(info)
    (folder / "INDEX.HTM").write_text("<html></html>")
    return folder


def test_uf2_drive_on_linux(tmp_path: Path) -> None:
    media, run_media, mnt = tmp_path / "media", tmp_path / "run" / "media", tmp_path / "mnt"
    (media / "alice" / "USB STICK").mkdir(parents=True)
    (mnt / "backup").mkdir(parents=True)
    roots = [media, run_media, mnt]  # run_media does not exist: skipped
    assert uf2.find_uf2_drives("RPI-RP2", system="Linux", roots=roots) == []
    pico = _uf2_drive(media / "alice" / "RPI-RP2")
    assert uf2.find_uf2_drives("RPI-RP2", system="Linux", roots=roots) == [pico]
    assert find_uf2_drive(roots, system="Linux") == pico
    fedora = _uf2_drive(tmp_path / "run" / "media" / "bob" / "RPI-RP2")
    with pytest.raises(TargetError, match="pick one with --drive PATH") as info:
        find_uf2_drive(roots, system="Linux")
    assert str(pico) in str(info.value) and str(fedora) in str(info.value)
    assert uf2.MOUNT_ROOTS["Linux"] == (Path("/media"), Path("/run/media"), Path("/mnt"))


def test_uf2_drive_on_macos(tmp_path: Path) -> None:
    volumes = tmp_path / "Volumes"
    (volumes / "Macintosh HD").mkdir(parents=True)
    _uf2_drive(volumes / "CIRCUITPY", "UF2 Bootloader 3.14\nBoard-ID: SAMD21G18A-Feather-v0\n")
    pico = _uf2_drive(volumes / "RPI-RP2")
    assert uf2.find_uf2_drives(system="Darwin", roots=[volumes]) == [volumes / "CIRCUITPY", pico]
    assert find_uf2_drive([volumes], system="Darwin") == pico  # the other board's is not taken
    assert uf2.MOUNT_ROOTS["Darwin"] == (Path("/Volumes"),)
    assert uf2.where_drives_appear("Darwin") == "/Volumes"


def test_uf2_drive_on_windows(tmp_path: Path) -> None:
    letters = {letter: tmp_path / f"{letter}_" for letter in "CDE"}
    (letters["C"] / "Windows").mkdir(parents=True)
    (letters["D"]).mkdir()  # an empty card reader
    calls = []

    def drives() -> list[Path]:
        calls.append(1)
        return list(letters.values())

    # The Linux roots are not looked at on Windows: only the drive letters.
    assert find_uf2_drive([tmp_path], system="Windows", drives=drives) is None
    pico = _uf2_drive(letters["E"])
    assert find_uf2_drive([tmp_path], system="Windows", drives=drives) == pico
    assert calls == [1, 1]
    assert uf2.where_drives_appear("Windows") == "the drive letters"
    assert uf2.windows_drives() == []  # not Windows: no drive letters to enumerate


def test_uf2_flash_copies_to_the_drive_found_or_given(tmp_path: Path) -> None:
    project = _fake_built(tmp_path, "rpi-pico")
    image = project / "build" / "firmware.uf2"
    image.write_bytes(uf2.bin_to_uf2(bytes(range(256)) * 3, 0x10000000, uf2.RP2040_FAMILY_ID))
    drive = _uf2_drive(tmp_path / "Volumes" / "RPI-RP2")
    plan = plan_flash(project, get_board("rpi-pico"), drive=drive)
    assert plan.command == ["cp", str(image), str(drive)]
    run_flash(plan)
    assert (drive / "firmware.uf2").read_bytes() == image.read_bytes()
    not_a_drive = tmp_path / "stick"
    not_a_drive.mkdir()
    run = CliRunner().invoke(main, ["flash", str(project), "--drive", str(not_a_drive)])
    assert run.exit_code == 2 and "INFO_UF2.TXT" in run.output
