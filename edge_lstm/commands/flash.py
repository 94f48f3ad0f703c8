"""`edge-lstm flash`: put a built firmware on a board (emulated boards: start QEMU)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="flash")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--board",
    "board_name",
    default=None,
    help="Board name (default: DIR/edge_lstm.json, else qemu-cortex-m4).",
)
@click.option(
    "--tool",
    type=click.Choice(["pyocd", "openocd"]),
    default=None,
    help="Debug-probe tool for real boards (default: the board's).",
)
@click.option(
    "--probe",
    default=None,
    metavar="UID",
    help="Debug probe unique id (pyocd -u, openocd `adapter serial`) when several probes are "
    "plugged in; `edge-lstm ports` lists them.",
)
@click.option(
    "--drive",
    default=None,
    type=click.Path(path_type=Path),
    help="UF2 boot drive to copy to (default: the one mounted drive with INFO_UF2.TXT).",
)
@click.option("--port", default=None, help="Bootloader serial port (bossac boards).")
@click.option("--dry-run", is_flag=True, help="Print what would be done and stop.")
@click.option(
    "--force",
    is_flag=True,
    help="Flash even when --board differs from the board the folder was exported for.",
)
def flash(
    target: Path,
    board_name: str | None,
    tool: str | None,
    probe: str | None,
    drive: Path | None,
    port: str | None,
    dry_run: bool,
    force: bool,
) -> None:
    """Flash TARGET (a built firmware folder or an ELF) to a board.

    On an emulated board this starts QEMU, prints `serial: /dev/pts/N` first and runs until
    interrupted (Ctrl-C); the host board runs the executable, which prints its own line.

    Refuses a --board other than the one DIR was exported for, unless --force.

    \b
    Example:
      edge-lstm flash out/firmware --board qemu-cortex-m4
      edge-lstm flash out/firmware --board nucleo-f446re --dry-run
      edge-lstm flash out/firmware --board nucleo-f446re --probe 066DFF535154887767012415
    """
    from targets.flash import plan_flash, resolve_board, run_flash

    board = resolve_board(target, board_name, force=force)
    plan = plan_flash(target, board, tool=tool, port=port, probe=probe, drive=drive)
    if dry_run:
        click.echo(f"board: {board.name}")
        click.echo(f"would {plan.description}")
        click.echo("command: " + " ".join(plan.command))
        return
    try:
        run_flash(plan, on_serial=lambda line: click.echo(line), port=port)
    except KeyboardInterrupt:
        pass
