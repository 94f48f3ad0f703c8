"""`edge-lstm demo`: the whole promise in one command, on data a package ships."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edge_lstm.commands.options import (
    board_option,
    json_flag,
    report_option,
    work_option,
)
from edge_lstm.data import BUILTIN_DATASETS, check_output_folder
from edge_lstm.errors import EXIT_MISMATCH, BadInputError
from edge_lstm.train import CELLS


@click.command()
@board_option
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help="Built-in dataset: digits or vowels (classification), sine (forecast).",
)
@click.option("--hidden", default=32, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--cell",
    "cells",
    type=click.Choice(CELLS),
    multiple=True,
    help="The recurrent layer: lstm (default), gru or rnn (SimpleRNN). Give it several times "
    "to compare the cells: each takes the whole road, and the report compares them.",
)
@click.option("--epochs", default=25, show_default=True, type=click.IntRange(1))
@work_option("edge-lstm-demo")
@report_option
@json_flag
def demo(
    board: str,
    dataset: str,
    hidden: int,
    cells: tuple[str, ...],
    epochs: int,
    work_dir: Path,
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Train an LSTM on scikit-learn's digits, put it on an emulated Cortex-M4, prove it.

    Trains with Keras, quantizes to int8 with a fused LSTM, generates the native C engine,
    builds the firmware, boots the emulated board in QEMU and validates the whole test split
    over its serial port, byte for byte against the host reference.

    \b
    Example:
      edge-lstm demo --report demo-report
      edge-lstm demo --cell gru
      edge-lstm demo --cell lstm --cell gru --cell rnn --report cells
    """
    from edge_lstm.pipeline import Stages, run_pipeline
    from edge_lstm.report import format_summary_table, write_run_report
    from edge_lstm.train import train

    if dataset not in BUILTIN_DATASETS:
        raise BadInputError(
            f"unknown dataset '{dataset}'; the demo trains on {' or '.join(BUILTIN_DATASETS)}"
        )
    if len(cells) > 1:
        from edge_lstm.commands.compare import run_comparison

        if len(set(cells)) != len(cells):
            raise BadInputError(f"--cell {' '.join(cells)}: a cell is named twice")
        out_dir = report_dir if report_dir is not None else work_dir / "comparison"
        run_comparison(
            dataset, list(cells), board, hidden, epochs, 0, None, work_dir, out_dir, as_json
        )
        return
    cell = cells[0] if cells else "lstm"
    check_output_folder(work_dir, "--work")
    if report_dir is not None:
        check_output_folder(report_dir, "--report")
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    stages = Stages(echo, total=5)
    layer = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}[cell]
    with stages.stage(f"train a {layer}({hidden}) on {dataset}"):
        trained = train(
            dataset,
            work_dir / f"{dataset}.keras",
            hidden=hidden,
            epochs=epochs,
            progress=not as_json,
            cell=cell,
        )
    result = run_pipeline(
        trained.model_path,
        trained.train_path,
        trained.test_path,
        work_dir,
        board,
        echo=echo,
        progress=not as_json,
        stages=stages,
    )
    if report_dir is not None:
        paths = write_run_report(report_dir, result.summary, result.arrays)
        echo(f"report: {', '.join(str(p) for p in paths)}")
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        click.echo(format_summary_table(result.summary))
    if not result.passed:
        sys.exit(EXIT_MISMATCH)
