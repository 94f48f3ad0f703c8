"""`edge-lstm quantize`: Keras model + calibration data -> int8 .tflite with fused LSTMs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np

from edge_lstm.commands.options import calib_option
from edge_lstm.data import check_output_file, load_data, model_input, write_atomic
from edge_lstm.errors import BadInputError
from edge_lstm.metrics import agreement, dequantize, score


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@calib_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The int8 .tflite to write.",
)
@click.option(
    "--samples",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="Calibration samples used by the converter.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def quantize(model: Path, calib_path: Path, output: Path, samples: int, as_json: bool) -> None:
    """Convert a Keras LSTM model to a full-integer int8 .tflite.

    Every LSTM layer becomes one fused UNIDIRECTIONAL_SEQUENCE_LSTM op (Keras 3 models are
    rebuilt as tf_keras models behind the scenes). Prints float vs int8 accuracy (labels) or
    mean abs error (regression targets) on the calibration data.

    \b
    Example:
      edge-lstm quantize model.keras --calib train.npz -o model.tflite
    """
    from quantize.convert import convert_keras, float_predict, load_keras_model
    from quantize.tflite_ir import parse_model

    if output.suffix != ".tflite":
        raise BadInputError(f"output {output} must end in .tflite")
    check_output_file(output)
    started = time.monotonic()
    calib = load_data(calib_path)
    if calib.x.dtype != np.float32:
        raise BadInputError(
            f"{calib_path}: calibration x is {calib.x.dtype}; calibration needs the float inputs"
        )
    keras_model = load_keras_model(model)
    result = convert_keras(keras_model, calib.x, samples=samples)
    ir = parse_model(result.tflite, source=str(output))

    x_int8 = model_input(calib.x, ir.input)
    y_int8 = _int8_outputs(result.tflite, x_int8)
    y_int8_float = dequantize(y_int8, ir.output.scale, ir.output.zero_point)
    y_float = float_predict(keras_model, calib.x)
    write_atomic(output, result.tflite)

    summary = {
        "output": str(output),
        "size_bytes": len(result.tflite),
        "sha256": ir.sha256,
        "ops": ir.opcodes,
        "rebuild_max_abs_diff": result.rebuild_max_abs_diff,
        "samples": len(calib),
        "float": score(y_float, calib.y),
        "int8": score(y_int8_float, calib.y),
        "float_int8_max_abs_diff": float(np.max(np.abs(y_float - y_int8_float))),
        "seconds": round(time.monotonic() - started, 2),
    }
    if calib.is_classification or calib.y is None:
        summary["float_int8_agreement"] = agreement(y_float, y_int8_float)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"wrote {output} ({len(result.tflite):,} bytes, sha256 {ir.sha256[:16]}...)")
    click.echo(f"ops: {', '.join(ir.opcodes)}")
    click.echo(f"tf_keras rebuild vs original: max abs diff {result.rebuild_max_abs_diff:.3g}")
    for key in ("accuracy", "mae"):
        if key in summary["float"]:
            click.echo(
                f"{key} on {len(calib)} samples: float {summary['float'][key]:.4f}, "
                f"int8 {summary['int8'][key]:.4f}"
            )
    if "float_int8_agreement" in summary:
        click.echo(f"float/int8 agreement: {summary['float_int8_agreement']:.2%}")
    click.echo(f"float/int8 max abs output difference: {summary['float_int8_max_abs_diff']:.4g}")


def _int8_outputs(tflite: bytes, x_int8: np.ndarray) -> np.ndarray:
    """int8 outputs from the bit-exact reference (TFLM's arithmetic, state reset per sample)."""
    from edge_lstm.engines import reference_outputs

    return reference_outputs(tflite, x_int8)
