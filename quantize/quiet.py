"""Keep TensorFlow's native start-up and converter chatter off the user's terminal.

TensorFlow 2.21 logs through absl from C++ before any Python setting applies (oneDNN notices,
"no CUDA drivers", converter statistics), so the only reliable switch is the file descriptor:
stderr is pointed at a temporary file while TensorFlow loads or converts, and the captured text
is replayed only when something fails.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

from quantize.errors import TF_INSTALL_HINT, MissingToolError


def import_tensorflow() -> None:
    """Import TensorFlow once, quietly.

    A base install has no TensorFlow (only train and quantize need it), so its absence is a
    missing optional package with an install command (exit 3), not a traceback.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    try:
        with native_stderr_captured():
            import tensorflow  # noqa: F401
    except ImportError as exc:
        # a plain absence needs no detail; a broken install names what failed to load
        detail = "" if exc.name == "tensorflow" else f" ({exc})"
        raise MissingToolError(
            f"TensorFlow cannot be imported{detail}; training and converting Keras models "
            f"need it: {TF_INSTALL_HINT}"
        ) from None


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Redirect fd 2 for the duration; on an exception, write what was captured back."""
    if os.environ.get("EDGE_LSTM_VERBOSE"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep quiet
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            if text.strip():
                sys.stderr.write(text[-4000:])
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
