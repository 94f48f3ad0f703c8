"""Errors raised by the targets package.

They derive from the one base in ``edge_lstm_errors`` (a module that imports nothing, so targets
still imports no other edge-lstm package); each carries its exit code, which the CLI uses as it
is. A missing tool or device (exit 3) is not the user's input being wrong (exit 2), and scripts
need to tell the two apart.
"""

from __future__ import annotations

from edge_lstm_errors import BadInputError, MissingToolError

__all__ = [
    "BoardFileError",
    "BuildFailedError",
    "DoesNotFitError",
    "ManifestError",
    "MissingToolError",
    "TargetError",
    "UnknownBoardError",
]


class TargetError(BadInputError):
    """A board, firmware folder or flash request that cannot be carried out as given: exit 2."""


class BoardFileError(TargetError):
    """A board TOML file is malformed; the message names the file and the field."""


class UnknownBoardError(TargetError):
    """A board name that the registry does not know; the message lists the known ones."""


class ManifestError(TargetError):
    """A firmware folder's edge_lstm.json is missing, unreadable, or lacks what is needed."""


class DoesNotFitError(TargetError):
    """The firmware image is larger than the board's flash or RAM."""


class BuildFailedError(TargetError):
    """make failed; the message carries the end of the compiler's output."""
