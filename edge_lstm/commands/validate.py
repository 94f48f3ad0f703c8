"""`edge-lstm validate`: test vectors through a board, every output byte checked."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from edge_lstm.commands.options import board_option
from edge_lstm.data import (
    check_output_file,
    check_output_folder,
    check_shape,
    load_data,
    save_npz,
    write_atomic,
)
from edge_lstm.errors import EXIT_MISMATCH, BadInputError


def _env_ports() -> tuple[str, ...]:
    value = os.environ.get("EDGE_LSTM_PORT", "")
    return tuple(p for p in value.split(",") if p)


#: -p/--port, shared by validate and run.
port_option = click.option(
    "--port",
    "-p",
    "ports",
    multiple=True,
    default=_env_ports,
    help="Serial port or pyserial URL of a flashed board; repeat to shard the data "
    "across several boards ($EDGE_LSTM_PORT, comma-separated). Without it a real board is "
    "found by the USB ids in its board file (edge-lstm ports lists them).",
)
#: -b/--baud, shared by validate and run.
baud_option = click.option(
    "--baud",
    "-b",
    type=click.IntRange(1),
    help="Baud rate of the serial port  [default: the board file's uart.baud]",
)


@click.command()
@board_option
@port_option
@baud_option
@click.option(
    "--elf",
    type=click.Path(path_type=Path),
    help="Firmware to start on an emulated (QEMU) or host board instead of --port.",
)
@click.option(
    "--model",
    "model_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The .tflite the board was built from.",
)
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Test data (.npz/.csv); labels give accuracy.",
)
@click.option("--limit", type=click.IntRange(1), help="Validate only the first N samples.")
@click.option(
    "--outputs",
    type=click.Path(path_type=Path),
    help="Save the device's raw outputs (y_int8) to this .npz.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    help="Write the report as JSON to this file ('-' for stdout).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    help="Write report.json, report.md and plots into this folder.",
)
@click.option(
    "--keras",
    "keras_path",
    type=click.Path(path_type=Path),
    help="The float Keras model, to report float accuracy beside the device's.",
)
@click.option(
    "--tolerance",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Accept outputs within this many LSB of the reference (0: bit-exact).",
)
@click.option(
    "--retries",
    default=5,
    show_default=True,
    type=click.IntRange(0),
    help="Resends of a request before the link is declared dead.",
)
@click.option("--trace", is_flag=True, help="Hex dump of every frame to stderr.")
@click.option(
    "--skip-hash-check",
    is_flag=True,
    hidden=True,
    help="Test only: validate even when the device's model hash differs.",
)
def validate(
    board: str,
    ports: tuple[str, ...],
    elf: Path | None,
    model_path: Path,
    data_path: Path,
    limit: int | None,
    outputs: Path | None,
    json_path: Path | None,
    report_dir: Path | None,
    keras_path: Path | None,
    tolerance: int,
    retries: int,
    baud: int | None,
    trace: bool,
    skip_hash_check: bool,
) -> None:
    """Stream test vectors to a board and compare every output byte with the host reference.

    Exit code 0 only when every byte matched (or was within --tolerance), 1 on any mismatch.

    \b
    Examples:
      edge-lstm validate --elf fw/build/firmware.elf --model m.tflite --data test.npz
      edge-lstm validate --board nucleo-f446re --port /dev/ttyACM0 --model m.tflite --data t.npz
    """
    from edge_lstm.validate import open_ports
    from edge_lstm.validate import validate as run_validation
    from quantize.tflite_ir import read_model

    # every path is checked before a board starts or a sample is sent
    if elf is not None and not ports and not elf.is_file():
        raise BadInputError(f"--elf {elf}: no such firmware file; build it first (edge-lstm build)")
    if outputs is not None:
        check_output_file(outputs, "--outputs")
    if json_path is not None and str(json_path) != "-":
        check_output_file(json_path, "--json")
    if report_dir is not None:
        check_output_folder(report_dir, "--report")
    model = read_model(model_path)
    data = load_data(data_path).take(limit)
    check_shape(data, model.input.shape[1], model.input.shape[2])
    float_outputs = None
    if keras_path is not None:
        from quantize.convert import float_predict, load_keras_model

        float_outputs = float_predict(load_keras_model(keras_path), data.x)
    log = (lambda line: click.echo(line, err=True)) if trace else None
    progress = sys.stderr.isatty() or json_path is None
    with open_ports(board, list(ports), elf) as urls:
        report, device_outputs = run_validation(
            model_path,
            data,
            urls,
            tolerance=tolerance,
            float_outputs=float_outputs,
            trace=log,
            progress=progress,
            skip_hash_check=skip_hash_check,
            retries=retries,
            baud=baud or _board_baud(board),
        )
    if outputs is not None:
        save_npz(outputs, y_int8=device_outputs)
    doc = report.to_json()
    if report_dir is not None:
        from edge_lstm.report import write_validation_report

        write_validation_report(report_dir, doc)
    if json_path is not None:
        text = json.dumps(doc, indent=2)
        if str(json_path) == "-":
            click.echo(text)
        else:
            write_atomic(json_path, text + "\n")
    if json_path is None or str(json_path) != "-":
        click.echo(format_report(doc))
    if not report.passed:
        sys.exit(EXIT_MISMATCH)


def _board_baud(board: str) -> int:
    from targets.registry import get_board

    return get_board(board).uart.baud


def format_report(doc: dict) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.2%}"

    cycles = doc["cycles"]
    lines = [
        f"board {doc['board']} ({doc['runtime']} runtime), reference: {doc['reference']}",
        f"samples {doc['samples']}, mismatching samples {doc['mismatched_samples']}, "
        f"mismatching bytes {doc['mismatched_bytes']}, max |diff| {doc['max_abs_lsb']} LSB",
        f"accuracy: device {pct(doc['device_accuracy'])}, host int8 {pct(doc['int8_accuracy'])}, "
        f"float {pct(doc['float_accuracy'])}",
        f"{doc['cycle_unit']} per inference: min {cycles['min']:,}, median {cycles['median']:,}, "
        f"max {cycles['max']:,}",
        f"{doc['samples_per_second']} samples/s, retries {doc['retries']}, "
        f"bad frames {doc['link'].get('bad_frames', 0)}, timeouts {doc['link'].get('timeouts', 0)}",
        "PASS: every output byte matched"
        if doc["passed"] and doc["max_abs_lsb"] == 0
        else ("PASS within tolerance" if doc["passed"] else "FAIL: the device's outputs differ"),
    ]
    return "\n".join(lines)
