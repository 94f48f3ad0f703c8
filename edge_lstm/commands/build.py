"""`edge-lstm build`: compile an exported firmware folder and report its size against the board."""

from __future__ import annotations

import json
from pathlib import Path

import click

from edge_lstm.errors import BadInputError


@click.command(name="build")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--board",
    "board_name",
    default=None,
    help="Board name (default: the one recorded in DIR/edge_lstm.json).",
)
@click.option("--opt", default=None, help="Optimisation flags passed as OPT=, e.g. -O3 or -Os.")
@click.option("-j", "--jobs", default=2, show_default=True, help="Parallel compile jobs.")
@click.option("--json", "as_json", is_flag=True, help="Print the size report as JSON.")
def build(
    directory: Path, board_name: str | None, opt: str | None, jobs: int, as_json: bool
) -> None:
    """Compile DIR (an exported firmware folder) into DIR/build/firmware.elf/.bin/.hex.

    Refuses (exit 2) when the image does not fit the board's flash or RAM, and a --board other
    than the one DIR was exported for.

    \b
    Example:
      edge-lstm build out/firmware --json
    """
    from targets.build import build_project
    from targets.manifest import find_manifest
    from targets.registry import get_board

    board = get_board(board_name) if board_name else None
    manifest = find_manifest(directory)
    if board is not None and manifest is not None and manifest.board not in (None, board.name):
        # the folder's Makefile, linker script and bsp/ are the exported board's: building them
        # "for" another board would size-check an image that cannot run on it
        raise BadInputError(
            f"{directory} was exported for {manifest.board}, not {board.name}: export it for "
            f"{board.name} (edge-lstm export --board {board.name}), or leave out --board"
        )
    result = build_project(directory, board=board, jobs=jobs, opt=opt)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    s = result.sizes
    b = result.board
    click.echo(f"built {result.elf} for {b.name}")
    click.echo(f"  text {s.text}  rodata {s.rodata}  data {s.data}  bss {s.bss}  stack {s.stack}")
    if b.is_host:
        click.echo(f"  flash {result.flash_bytes} B, RAM {result.ram_bytes} B (host: no limit)")
    else:
        click.echo(
            f"  flash {result.flash_bytes} / {b.flash_bytes} B "
            f"({100 * result.flash_bytes / b.flash_bytes:.1f}%), "
            f"RAM {result.ram_bytes} / {b.ram_bytes} B "
            f"({100 * result.ram_bytes / b.ram_bytes:.1f}%)"
        )
