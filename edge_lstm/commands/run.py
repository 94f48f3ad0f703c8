"""`edge-lstm run`: quantize -> export -> build -> flash -> validate in one command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from edge_lstm.errors import EXIT_MISMATCH


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--calib",
    "calib_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Calibration data (float x).",
)
@click.option(
    "--test",
    "test_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Test data validated on the board.",
)
@click.option(
    "--board",
    default=lambda: os.environ.get("EDGE_LSTM_BOARD", "qemu-cortex-m4"),
    show_default="qemu-cortex-m4 or $EDGE_LSTM_BOARD",
)
@click.option(
    "--runtime", type=click.Choice(["native", "tflm"]), default="native", show_default=True
)
@click.option(
    "--work",
    "work_dir",
    default="edge-lstm-run",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the model and firmware.",
)
@click.option("--limit", type=click.IntRange(1), help="Validate only the first N samples.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    help="Write report.json, report.md and PNG plots here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run(
    model: Path,
    calib_path: Path,
    test_path: Path,
    board: str,
    runtime: str,
    work_dir: Path,
    limit: int | None,
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Quantize, export, build, boot and validate a Keras model on a board in one go.

    Emulated and host boards are started here; exit code 1 if any output byte differs.

    \b
    Example:
      edge-lstm run digits.keras --calib digits.train.npz --test digits.test.npz
    """
    from edge_lstm.pipeline import run_pipeline
    from edge_lstm.report import format_summary_table, write_run_report

    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    result = run_pipeline(
        model,
        calib_path,
        test_path,
        work_dir,
        board,
        runtime=runtime,
        limit=limit,
        echo=echo,
        progress=not as_json,
    )
    if report_dir is not None:
        write_run_report(report_dir, result.summary, result.arrays)
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        click.echo(format_summary_table(result.summary))
    if not result.passed:
        sys.exit(EXIT_MISMATCH)
