"""`edge-lstm ports`: the connected serial ports and the boards their USB ids point to, and the
debug probes pyOCD sees (for `flash --probe UID`)."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the lists as JSON.")
def ports(as_json: bool) -> None:
    """List serial ports with their USB VID:PID and the boards whose files name that id, and
    the debug probes with their unique ids when pyOCD is installed (edge-lstm[flash]).

    validate and run find a real board's port this way when -p is not given; flash --probe
    takes a probe's unique id.

    \b
    Example:
      edge-lstm ports
      edge-lstm ports --json
    """
    from edge_lstm.harness.ports import debug_probes, serial_ports
    from targets.registry import load_boards

    found = serial_ports(list(load_boards().values()))
    probes = debug_probes()
    if as_json:
        doc = {
            "serial_ports": [port.as_dict() for port in found],
            # null: pyOCD is not installed, so nobody asked (not: no probe connected)
            "debug_probes": None if probes is None else [probe.as_dict() for probe in probes],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo("serial ports:")
    for port in found:
        click.echo(f"  {port.describe()}")
    if not found:
        click.echo("  none")
    click.echo("debug probes:")
    if probes is None:
        click.echo('  (pyOCD is not installed: pip install "edge-lstm[flash]" to list them)')
        return
    for probe in probes:
        click.echo(f"  {probe.describe()}")
    if not probes:
        click.echo("  none")
