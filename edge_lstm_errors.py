"""The one error base of every edge-lstm package, and the exit codes the CLI turns errors into.

Every failure a user can cause or meet (bad input, a missing tool or device, a device that
computes something else) is raised as a subclass of ``EdgeLstmError`` whose ``exit_code`` says
which; ``edge_lstm.cli`` prints the message as one ``error:`` line and exits with that code, no
traceback, and nothing else in the code translates errors.

Why a top-level module of its own: imports run one way (``edge_lstm -> quantize, firmware_gen,
targets``; ``firmware_gen -> quantize``), and ``quantize`` and ``targets`` import none of the
other packages. A base class in ``edge_lstm`` would be out of their reach, and one in
``quantize`` would make ``targets`` depend on the converter's package. This module imports
nothing, so every package can import it without creating a cycle or a new dependency between
the packages; each package keeps its own ``errors`` module with the specific types it raises.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1  # a device output differs from the reference, or an accuracy check failed
EXIT_BAD_INPUT = 2  # bad input file, unsupported model, unknown board or option, does not fit
EXIT_MISSING_TOOL = 3  # toolchain, emulator, probe, device or optional Python package missing

# What a base install without TensorFlow prints for train, quantize and demo.
TF_INSTALL_HINT = 'pip install "edge-lstm[tf]"'


class EdgeLstmError(Exception):
    """Base class: the message says what is wrong and what to do; ``exit_code`` which kind."""

    exit_code = EXIT_BAD_INPUT


class BadInputError(EdgeLstmError):
    """The user's input (file, option, board, folder) is wrong: exit 2."""

    exit_code = EXIT_BAD_INPUT


class MismatchError(EdgeLstmError):
    """The device computed something else than the host reference: exit 1."""

    exit_code = EXIT_MISMATCH


class MissingToolError(EdgeLstmError):
    """A tool, device or optional package is absent; the message says how to get it: exit 3."""

    exit_code = EXIT_MISSING_TOOL
