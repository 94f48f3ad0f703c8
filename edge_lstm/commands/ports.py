"""`edge-lstm ports`: the connected serial ports and the boards their USB ids point to."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def ports(as_json: bool) -> None:
    """List serial ports with their USB VID:PID and the boards whose files name that id.

    validate finds a real board's port this way when -p is not given.

    \b
    Example:
      edge-lstm ports
    """
    from edge_lstm.harness.ports import serial_ports
    from targets.registry import load_boards

    found = serial_ports(list(load_boards().values()))
    if as_json:
        click.echo(json.dumps([port.as_dict() for port in found], indent=2))
        return
    if not found:
        click.echo("no serial ports")
        return
    for port in found:
        click.echo(port.describe())
