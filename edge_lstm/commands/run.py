"""`edge-lstm run`: quantize -> export -> build -> flash -> validate in one command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edge_lstm.commands.options import (
    board_option,
    calib_option,
    json_flag,
    report_option,
    weights_option,
    work_option,
)
from edge_lstm.data import check_output_folder
from edge_lstm.errors import EXIT_MISMATCH


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@calib_option
@click.option(
    "--test",
    "test_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Test data validated on the board.",
)
@board_option
@click.option(
    "--runtime", type=click.Choice(["native", "tflm"]), default="native", show_default=True
)
@weights_option
@work_option("edge-lstm-run")
@click.option("--limit", type=click.IntRange(1), help="Validate only the first N samples.")
@report_option
@json_flag
def run(
    model: Path,
    calib_path: Path,
    test_path: Path,
    board: str,
    runtime: str,
    weight_storage: str,
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

    check_output_folder(work_dir, "--work")
    if report_dir is not None:
        check_output_folder(report_dir, "--report")
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    result = run_pipeline(
        model,
        calib_path,
        test_path,
        work_dir,
        board,
        runtime=runtime,
        weight_storage=weight_storage,
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
