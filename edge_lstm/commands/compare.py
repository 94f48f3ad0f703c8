"""`edge-lstm compare-cells`: LSTM, GRU and SimpleRNN on the same data, measured on the board."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from edge_lstm.commands.options import board_option, json_flag, work_option
from edge_lstm.errors import EXIT_MISMATCH, BadInputError
from edge_lstm.train import CELLS


def parse_cells(text: str) -> list[str]:
    cells = [c.strip().lower() for c in text.split(",") if c.strip()]
    unknown = [c for c in cells if c not in CELLS]
    if unknown or not cells:
        raise BadInputError(f"--cells {text!r}: give a comma-separated list of {', '.join(CELLS)}")
    if len(set(cells)) != len(cells):
        raise BadInputError(f"--cells {text!r}: a cell is named twice")
    return cells


def run_comparison(
    dataset: str,
    cells: list[str],
    board: str,
    hidden: int,
    epochs: int,
    seed: int,
    limit: int | None,
    work_dir: Path,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Shared by compare-cells and `demo --cell A --cell B`."""
    from edge_lstm.compare import compare_cells, comparison_table, write_comparison
    from edge_lstm.data import check_output_folder
    from edge_lstm.train import load_training_data

    check_output_folder(work_dir, "--work")
    check_output_folder(out_dir, "-o")
    load_training_data(dataset, seed)  # a bad dataset is refused before the first training
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    doc = compare_cells(
        dataset,
        cells,
        work_dir,
        board,
        hidden=hidden,
        epochs=epochs,
        seed=seed,
        limit=limit,
        echo=echo,
        progress=not as_json,
    )
    paths = write_comparison(out_dir, doc)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(comparison_table(doc))
        click.echo(f"comparison: {', '.join(str(p) for p in paths)}")
    if not doc["passed"]:
        sys.exit(EXIT_MISMATCH)


@click.command("compare-cells")
@board_option
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help="Built-in dataset (digits, vowels, sine) or an .npz/.csv file with x and y.",
)
@click.option(
    "--cells",
    default="lstm,gru,rnn",
    show_default=True,
    help="Comma-separated cells to compare: lstm, gru, rnn (SimpleRNN).",
)
@click.option("--hidden", default=32, show_default=True, type=click.IntRange(1, 256))
@click.option("--epochs", default=25, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--limit", type=click.IntRange(1), help="Validate only the first N test samples on the board."
)
@work_option("edge-lstm-compare")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default="cell-comparison",
    show_default=True,
    help="Folder for cell_comparison.md, .png and .json.",
)
@json_flag
def compare_cells_command(
    board: str,
    dataset: str,
    cells: str,
    hidden: int,
    epochs: int,
    seed: int,
    limit: int | None,
    work_dir: Path,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Train the same model with each recurrent cell and measure each one on the board.

    Every cell gets the same data, seed, hidden size and epochs, then the whole road: int8
    quantization, the native engine, firmware, and validation over the serial port. The table
    puts float and int8 accuracy beside MACs, flash, RAM and instructions per inference.

    \b
    Example:
      edge-lstm compare-cells --dataset vowels --hidden 32 -o vowels-cells
    """
    run_comparison(
        dataset, parse_cells(cells), board, hidden, epochs, seed, limit, work_dir, out_dir, as_json
    )
