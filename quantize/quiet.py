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


def import_tensorflow() -> None:
    """Import TensorFlow (and both Keras flavours) once, quietly."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    with native_stderr_captured():
        import tensorflow  # noqa: F401


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
