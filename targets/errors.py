"""Errors raised by the targets package.

targets imports nothing from edge_lstm, so it cannot raise the CLI's error types; each error here
carries a ``kind`` that the command layer maps to an exit code (a missing tool or device is not the
user's input being wrong, and scripts need to tell the two apart).
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["bad_input", "missing_tool", "does_not_fit", "build_failed", "device"]


class TargetError(Exception):
    """Base class: ``kind`` says which exit code the CLI should use."""

    kind: ErrorKind = "bad_input"

    def __init__(self, message: str, kind: ErrorKind | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class BoardFileError(TargetError):
    """A board TOML file is malformed; the message names the file and the field."""

    kind: ErrorKind = "bad_input"


class UnknownBoardError(TargetError):
    kind: ErrorKind = "bad_input"


class MissingToolError(TargetError):
    """A compiler, emulator, flasher, probe or drive is absent; the message says how to get it."""

    kind: ErrorKind = "missing_tool"


class DoesNotFitError(TargetError):
    kind: ErrorKind = "does_not_fit"


class BuildFailedError(TargetError):
    kind: ErrorKind = "build_failed"
