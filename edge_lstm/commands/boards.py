"""`edge-lstm boards`: the board registry as a table or JSON."""

from __future__ import annotations

import json

import click


@click.command(name="boards")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def boards(as_json: bool) -> None:
    """List the boards firmware can be built for (* = the default).

    \b
    Example:
      edge-lstm boards --json
    """
    from targets.registry import DEFAULT_BOARD, load_boards

    registry = load_boards()
    if as_json:
        rows = [
            {
                "name": b.name,
                "description": b.description,
                "family": b.family,
                "cpu": b.cpu,
                "fpu": b.fpu,
                "dsp": b.dsp,
                "mve": b.mve,
                "clock_hz": b.clock_hz,
                "flash_bytes": b.flash_bytes,
                "ram_bytes": b.ram_bytes,
                "emulated": b.emulated,
                "flasher": b.flasher,
                "cycle_unit": b.cycle_unit,
                "default": b.name == DEFAULT_BOARD,
            }
            for b in registry.values()
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    header = f"{'board':22} {'cpu':14} {'flash':>9} {'RAM':>9} {'MHz':>6} {'flasher':8} unit"
    click.echo(header)
    for b in registry.values():
        mark = "*" if b.name == DEFAULT_BOARD else " "
        flash = f"{b.flash_bytes // 1024} KiB" if b.flash_bytes else "-"
        ram = f"{b.ram_bytes // 1024} KiB" if b.ram_bytes else "-"
        mhz = f"{b.clock_hz / 1e6:g}" if not b.is_host else "-"
        click.echo(
            f"{b.name + mark:22} {b.cpu:14} {flash:>9} {ram:>9} {mhz:>6} "
            f"{b.flasher:8} {b.cycle_unit}"
        )
