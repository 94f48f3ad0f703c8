"""`edge-lstm export`: a .tflite model -> a firmware folder for a board."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from edge_lstm.commands.options import board_option, json_flag, weights_option
from edge_lstm.export import LIBRARY_LAYOUTS, RUNTIMES, TFLM_KERNELS, export_project
from edge_lstm.project_formats import FORMATS

BUILD_HINTS = {
    "cmake": "cmake -S {dir} -B {dir}/build-cmake && cmake --build {dir}/build-cmake",
    "platformio": "pio run -d {dir}",
    "arduino": "copy {dir} into your Arduino libraries folder (or Sketch > Include Library > "
    "Add .ZIP Library: {dir}/{library}.zip), open one of its examples",
    "cmake-lib": "add_subdirectory({dir}) in your CMakeLists.txt, then "
    "target_link_libraries(your_app PRIVATE {library}); {dir}/README.md has the API",
    "zephyr": "list(APPEND ZEPHYR_EXTRA_MODULES {dir}) before find_package(Zephyr), "
    "CONFIG_{symbol}=y in prj.conf",
    "platformio-lib": "copy {dir} into your project's lib/ folder, #include <{library}.h>",
}


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@board_option
@click.option(
    "--runtime",
    type=click.Choice(RUNTIMES),
    default="native",
    show_default=True,
    help="native: the generated C engine; tflm: TFLite Micro arrays and glue.",
)
@click.option(
    "--kernels",
    type=click.Choice(TFLM_KERNELS),
    default="reference",
    show_default=True,
    help="TFLM kernel set the arena size is derived for.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The firmware folder to write.",
)
@click.option(
    "--tflm-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=lambda: os.environ.get("EDGE_LSTM_TFLM_DIR"),
    help="A TFLite Micro source tree (docs/tflm.md) the tflm firmware is built against "
    "($EDGE_LSTM_TFLM_DIR).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="make",
    show_default=True,
    help="make: a Makefile folder; cmake: the same plus CMakeLists.txt and a toolchain file; "
    "platformio: a PlatformIO project; arduino: an Arduino library with example sketches (and "
    "its .zip); cmake-lib, zephyr, platformio-lib: the model alone as a library of your own "
    "firmware (no app, no board code, --board not needed).",
)
@click.option(
    "--name",
    "c_name",
    default="el_model",
    show_default=True,
    help="The model's C name: header NAME.h, functions NAME_init/NAME_invoke/NAME_step..., "
    "macros NAME_INPUT_BYTES...; models with different names link into one image.",
)
@weights_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace -o even when it is a non-empty folder that edge-lstm did not write.",
)
@json_flag
def export(
    model: Path,
    board: str,
    runtime: str,
    kernels: str,
    tflm_dir: Path | None,
    output: Path,
    fmt: str,
    weight_storage: str,
    c_name: str,
    force: bool,
    as_json: bool,
) -> None:
    """Write a self-contained firmware folder for MODEL on BOARD, or MODEL as a library.

    The folder builds with `make -C DIR` (or `edge-lstm build DIR`) and holds the model code,
    the C runtime, the serial-protocol app and the board support. --format cmake adds a
    CMakeLists.txt, --format platformio writes a PlatformIO project (`pio run`), --format arduino
    an Arduino library (and its .zip) whose examples serve the protocol over Serial, run the
    model on a buffer and feed it one sample at a time. --format cmake-lib, zephyr and
    platformio-lib write the model alone as a library of your firmware: include/NAME.h, the
    model, the shared engine, host examples and a README (docs/integration.md).

    An existing -o is replaced when it is an earlier export (its build/ goes with it) or empty;
    any other folder only with --force.

    \b
    Example:
      edge-lstm export model.tflite --board qemu-cortex-m4 -o fw
      edge-lstm export model.tflite --board nucleo-f446re --format platformio -o pio
      edge-lstm export wake.tflite --format cmake-lib --name wake -o libs/wake
    """
    result = export_project(
        model,
        board,
        output,
        runtime=runtime,
        tflm_kernels=kernels,
        tflm_dir=None if tflm_dir is None else Path(tflm_dir),
        fmt=fmt,
        weight_storage=weight_storage,
        force=force,
        name=c_name,
    )
    if result.replaced_build:
        click.echo(
            f"replaced the earlier export in {result.out_dir}, with its build/: "
            f"build again (edge-lstm build {result.out_dir})",
            err=True,
        )
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    library = result.details.get("library", "")
    if result.format == "arduino":
        click.echo(f"wrote {result.out_dir} (Arduino library, {result.runtime} runtime)")
    elif result.format in LIBRARY_LAYOUTS:
        click.echo(
            f"wrote {result.out_dir} ({result.format} library {library}, header {library}.h)"
        )
    elif result.format == "make":
        click.echo(f"wrote {result.out_dir} ({result.runtime} runtime, board {result.board})")
    else:
        click.echo(
            f"wrote {result.out_dir} ({result.runtime} runtime, board {result.board}, "
            f"{result.format} project)"
        )
    if result.details.get("execution") == "whole_sequence":
        c_name = result.details.get("name", "el_model")
        click.echo(
            f"the model needs whole sequences (a whole-sequence graph): {c_name}_step() "
            f"buffers the steps and {c_name}_output() answers once all of them are in"
        )
    if result.format != "make":
        hint = BUILD_HINTS[result.format].format(
            dir=result.out_dir, library=library, symbol=f"EDGE_LSTM_{library.upper()}"
        )
        click.echo(f"{'use' if result.format in LIBRARY_LAYOUTS else 'build'} it: {hint}")
    # make and cmake folders keep the Makefile, which `edge-lstm build` sizes exactly.
    exact = (
        f"edge-lstm build {result.out_dir}"
        if result.format in ("make", "cmake")
        else "the size report of its build"
    )
    click.echo(
        f"estimated flash {result.flash_bytes:,} B, RAM {result.ram_bytes:,} B "
        f"(exact figures: {exact})"
    )
