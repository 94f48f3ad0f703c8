"""`edge-lstm train`: a Keras LSTM trained on a built-in dataset or the user's data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from edge_lstm.commands.options import cell_option
from edge_lstm.train import ARCHITECTURES


@click.command()
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help="Built-in dataset (digits, sine) or an .npz/.csv file with x and y.",
)
@click.option(
    "--arch",
    type=click.Choice(ARCHITECTURES),
    default="lstm",
    show_default=True,
    help="lstm: LSTM -> Dense; conv-lstm: Conv1D -> MaxPooling1D -> LSTM -> Dense; "
    "bilstm: Bidirectional(LSTM) -> Dense; lstm-pool: LSTM -> GlobalAveragePooling1D -> Dense.",
)
@cell_option
@click.option("--hidden", default=32, show_default=True, type=click.IntRange(1, 512))
@click.option("--layers", default=1, show_default=True, type=click.IntRange(1, 4))
@click.option("--epochs", default=30, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The .keras model to write; the split is written beside it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def train(
    dataset: str,
    arch: str,
    cell: str,
    hidden: int,
    layers: int,
    epochs: int,
    seed: int,
    output: Path,
    as_json: bool,
) -> None:
    """Train an LSTM classifier (integer labels) or regressor (float targets) with Keras.

    Deterministic for a seed. Writes MODEL.keras plus MODEL.train.npz and MODEL.test.npz,
    the split it used (calibrate on the first, validate on the second).

    \b
    Example:
      edge-lstm train --dataset digits --hidden 32 --epochs 30 -o digits.keras
      edge-lstm train --dataset digits --arch conv-lstm -o conv.keras
    """
    from edge_lstm.train import train as run_training

    result = run_training(
        dataset,
        output,
        hidden=hidden,
        layers=layers,
        epochs=epochs,
        seed=seed,
        progress=not as_json,
        arch=arch,
        cell=cell,
    )
    summary = {
        "model": str(result.model_path),
        "train": str(result.train_path),
        "test": str(result.test_path),
        "epochs": result.epochs,
        "float_test": result.float_test_score,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"wrote {result.model_path} (split: {result.train_path}, {result.test_path})")
    for key, value in result.float_test_score.items():
        click.echo(f"float {key} on the test split: {value:.4f}")
