"""The `edge-lstm` command line: a thin click layer over the library modules.

Commands live one per module in ``edge_lstm.commands`` and are imported only when invoked, so
that `edge-lstm --help` and the TensorFlow-free commands start fast and never import TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import NoReturn

import click

from edge_lstm import __version__
from edge_lstm.errors import EXIT_BAD_INPUT, EdgeLstmError

# command name -> "module:attribute" of its click.Command
COMMANDS: dict[str, str] = {
    "train": "edge_lstm.commands.train:train",
    "quantize": "edge_lstm.commands.quantize:quantize",
    "inspect": "edge_lstm.commands.inspect:inspect",
    "reference": "edge_lstm.commands.reference:reference",
    "export": "edge_lstm.commands.export:export",
    "boards": "edge_lstm.commands.boards:boards",
    "build": "edge_lstm.commands.build:build",
    "flash": "edge_lstm.commands.flash:flash",
    "validate": "edge_lstm.commands.validate:validate",
    "run": "edge_lstm.commands.run:run",
    "demo": "edge_lstm.commands.demo:demo",
    "compare-cells": "edge_lstm.commands.compare:compare_cells_command",
    "ports": "edge_lstm.commands.ports:ports",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _module_exists(COMMANDS[name])]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _module_exists(target):
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        """The one place where errors become exit codes: every package raises subclasses of
        EdgeLstmError, which carry their code. Anything else is a bug and keeps its traceback,
        except an OSError on a named path (a folder that cannot be created, a disk that is full):
        that names the path the user gave, so it is bad input, not a bug.
        """
        try:
            return super().invoke(ctx)
        except EdgeLstmError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            if exc.filename is None:
                raise
            _fail(f"{exc.filename}: {exc.strerror or exc}", EXIT_BAD_INPUT)


def _fail(message: str, code: int) -> NoReturn:
    """``error: <first line>`` on stderr; further lines (a compiler's output) follow indented."""
    first, *rest = (message.strip() or "failed").splitlines()
    click.echo(f"error: {first}", err=True)
    for line in rest:
        click.echo(f"  {line}", err=True)
    sys.exit(code)


def _module_exists(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="edge-lstm")
def main() -> None:
    """Put a Keras LSTM on a Cortex-M: quantize, export, build, flash, validate.

    \b
    Exit codes: 0 ok, 1 mismatch or accuracy failure, 2 bad input or usage,
    3 missing tool or device.

    \b
    Example:
      edge-lstm demo
    """


if __name__ == "__main__":
    main()
