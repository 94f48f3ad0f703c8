"""`edge-lstm run`: quantize -> export -> build -> flash -> validate in one command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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
from edge_lstm.commands.validate import baud_option, port_option
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
@port_option
@baud_option
@click.option(
    "--probe",
    metavar="UID",
    help="Debug probe unique id to flash a real board through (edge-lstm ports lists them).",
)
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
    ports: tuple[str, ...],
    baud: int | None,
    probe: str | None,
    runtime: str,
    weight_storage: str,
    work_dir: Path,
    limit: int | None,
    report_dir: Path | None,
    as_json: bool,
) -> None:
    """Quantize, export, build, boot and validate a Keras model on a board in one go.

    Emulated and host boards are started here; a real board is flashed (pyocd, openocd or
    UF2; --probe UID picks the probe) and reached on -p PORT, or on the one connected port with
    its board file's USB id. Exit code 1 if any output byte differs.

    \b
    Examples:
      edge-lstm run digits.keras --calib digits.train.npz --test digits.test.npz
      edge-lstm run digits.keras --calib digits.train.npz --test digits.test.npz \\
          --board nucleo-f446re -p /dev/ttyACM0 -b 115200
    """
    from edge_lstm.pipeline import run_pipeline
    from edge_lstm.report import format_summary_table, write_run_report

    check_output_folder(work_dir, "--work")
    if report_dir is not None:
        check_output_folder(report_dir, "--report")
    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    if probe is not None:
        _check_probe(board, probe)
    urls = list(ports) or _detect_port(board, echo)
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
        ports=urls,
        baud=baud,
        probe=probe,
    )
    if report_dir is not None:
        write_run_report(report_dir, result.summary, result.arrays)
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        click.echo(format_summary_table(result.summary))
    if not result.passed:
        sys.exit(EXIT_MISMATCH)


def _detect_port(board_name: str, echo: Callable[[str], None]) -> list[str]:
    """A real board's serial port by its board file's USB ids, before anything slow runs (an
    absent board fails in a second, not after quantizing and building); emulated and host
    boards get theirs when they start."""
    from edge_lstm.harness.ports import find_board_port
    from targets.registry import get_board

    board = get_board(board_name)
    if board.emulated or board.is_host:
        return []
    port = find_board_port(board)
    echo(f"serial port: {port} (the connected port with a {board.name} USB id)")
    return [port]


def _check_probe(board_name: str, probe: str) -> None:
    """--probe applies to a real board flashed through a debug probe; checked before the work."""
    from edge_lstm.errors import BadInputError
    from targets.flash import check_probe_uid
    from targets.registry import get_board

    board = get_board(board_name)
    if board.emulated or board.is_host:
        raise BadInputError(f"--probe picks the debug probe of a real board; {board.name} has none")
    check_probe_uid(probe)
