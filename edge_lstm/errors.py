"""The error types and exit codes of the command line, as ``edge_lstm`` code imports them.

They are defined once, in the neutral module ``edge_lstm_errors`` (which quantize, firmware_gen
and targets import too, see its docstring); this module re-exports them so that ``edge_lstm``
code keeps one import path.
"""

from __future__ import annotations

from edge_lstm_errors import (
    EXIT_BAD_INPUT,
    EXIT_MISMATCH,
    EXIT_MISSING_TOOL,
    EXIT_OK,
    TF_INSTALL_HINT,
    BadInputError,
    EdgeLstmError,
    MismatchError,
    MissingToolError,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_MISMATCH",
    "EXIT_MISSING_TOOL",
    "EXIT_OK",
    "TF_INSTALL_HINT",
    "BadInputError",
    "EdgeLstmError",
    "MismatchError",
    "MissingToolError",
]
