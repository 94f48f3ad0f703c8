"""Options that several commands share, defined once so they read and default the same."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from edge_lstm.train import CELLS
from targets.errors import UnknownBoardError
from targets.registry import DEFAULT_BOARD, get_board


def _known_board(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Check the board while parsing, so a typo fails before any training or building.

    When the name came from $EDGE_LSTM_BOARD the message says so: the user did not type it.
    """
    try:
        get_board(value)
    except UnknownBoardError as exc:
        from_env = ctx.get_parameter_source(param.name or "") is ParameterSource.DEFAULT
        if from_env and os.environ.get("EDGE_LSTM_BOARD"):
            raise UnknownBoardError(f"$EDGE_LSTM_BOARD: {exc}") from None
        raise
    return value


cell_option = click.option(
    "--cell",
    type=click.Choice(CELLS),
    default="lstm",
    show_default=True,
    help="The recurrent layer: lstm, gru or rnn (SimpleRNN); gru and rnn run as edge-lstm's "
    "own integer cells.",
)

board_option = click.option(
    "--board",
    default=lambda: os.environ.get("EDGE_LSTM_BOARD") or DEFAULT_BOARD,
    show_default=f"{DEFAULT_BOARD} or $EDGE_LSTM_BOARD",
    callback=_known_board,
    help="Board name (edge-lstm boards).",
)

report_option = click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    help="Write report.json, report.md and PNG plots here.",
)

calib_option = click.option(
    "--calib",
    "calib_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Calibration data (.npz/.csv, float x [N, T, F], optional y).",
)

weights_option = click.option(
    "--weights",
    "weight_storage",
    type=click.Choice(["int8", "int16"]),
    default="int8",
    show_default=True,
    help="How the native engine stores the LSTM weights: int8 (smallest flash) or int16 (the "
    "same values sign-extended: no unpacking in the inner loop, about 0.4 fewer instructions "
    "per MAC on cores with the DSP extension, twice the LSTM weight flash). Same outputs.",
)

json_flag = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")


def work_option(default: str) -> Callable[[Any], Any]:
    return click.option(
        "--work",
        "work_dir",
        default=default,
        show_default=True,
        type=click.Path(path_type=Path),
        help="Folder for the model and firmware.",
    )
