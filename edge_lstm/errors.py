"""Exit codes and the error types that the CLI turns into them.

Every failure a user can cause or meet is raised as one of these, with a message that says what
is wrong and what to do; the CLI prints it on one line and exits with the code, no traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1  # a device output differs from the reference, or an accuracy check failed
EXIT_BAD_INPUT = 2  # bad input file, unsupported model, usage error
EXIT_MISSING_TOOL = 3  # toolchain, emulator, probe or device missing


class EdgeLstmError(Exception):
    exit_code = EXIT_BAD_INPUT


class BadInputError(EdgeLstmError):
    exit_code = EXIT_BAD_INPUT


class MismatchError(EdgeLstmError):
    exit_code = EXIT_MISMATCH


class MissingToolError(EdgeLstmError):
    exit_code = EXIT_MISSING_TOOL
