"""`edge-lstm inspect`: what a .tflite model is, costs, and needs as a TFLM arena."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--no-host",
    is_flag=True,
    help="Skip measuring the host TFLM runtime's smallest arena (a bisection, a few seconds).",
)
def inspect(model: Path, as_json: bool, no_host: bool) -> None:
    """Summarize MODEL: ops and versions, tensors and quantization, parameters, MACs per
    inference, weight bytes, and the TFLM tensor arena by kernel set.

    \b
    Arena figures: host_min is measured with the host TFLM runtime (64-bit, not a firmware
    figure); cortex_m_reference and cortex_m_cmsis_nn are derived for a 32-bit Cortex-M
    build, each with its margin. arena_bytes is the Cortex-M reference-kernel figure.

    \b
    Example:
      edge-lstm inspect model.tflite --json
    """
    from quantize.inspect import format_table, summarize

    summary = summarize(model, measure_host=not no_host)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(format_table(summary))
