"""`edge-lstm reference`: golden int8 outputs of a .tflite from the numpy reference."""

from __future__ import annotations

import io
import time
from pathlib import Path

import click
import numpy as np

from edge_lstm.data import check_output_file, check_shape, load_data, model_input, write_atomic
from edge_lstm.errors import BadInputError


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Input sequences (.npz/.csv): float x [N, T, F] (quantized here) or int8 x.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The .npz to write: y_int8 [N, ...] int8 and y (dequantized float32).",
)
@click.option(
    "--activations",
    type=click.Choice(["tflm", "litert", "tflite-runtime"]),
    default="tflm",
    show_default=True,
    help="Whose integer arithmetic to reproduce: TFLite Micro (firmware), the LiteRT interpreter "
    "(ai-edge-litert) or tflite-runtime 2.14.",
)
def reference(model: Path, data_path: Path, output: Path, activations: str) -> None:
    """Run the bit-exact integer reference of MODEL on a data set.

    The outputs equal, byte for byte, what TFLite Micro (or, with --activations litert, the LiteRT
    interpreter; with --activations tflite-runtime, tflite-runtime 2.14) computes with the LSTM
    state reset before every sequence. Float inputs are
    quantized with the model's input scale and zero point (round half away from zero, saturate).

    \b
    Example:
      edge-lstm reference model.tflite --data test.npz -o golden.npz
    """
    from quantize.reference import check_supported, dequantize, run_reference
    from quantize.tflite_ir import read_model

    if output.suffix != ".npz":
        raise BadInputError(f"output {output} must end in .npz")
    check_output_file(output)
    ir = read_model(model)
    check_supported(ir)
    dataset = load_data(data_path)
    in_shape = ir.input.shape
    if len(in_shape) == 3:
        check_shape(dataset, in_shape[1], in_shape[2], "the input data")
    x = model_input(dataset.x, ir.input)
    started = time.monotonic()
    y_int8 = run_reference(ir, x, activations=activations)
    elapsed = time.monotonic() - started
    buffer = io.BytesIO()
    np.savez(buffer, y_int8=y_int8, y=dequantize(y_int8, ir.output))
    write_atomic(output, buffer.getvalue())
    click.echo(
        f"{len(x)} sequences through {model.name} ({activations} arithmetic) in {elapsed:.2f} s "
        f"-> {output} (y_int8 {list(y_int8.shape)} int8, y float32)"
    )
