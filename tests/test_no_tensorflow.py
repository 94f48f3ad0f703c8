"""`edge-lstm reference` runs on a machine where TensorFlow cannot be imported.

The model is converted with TensorFlow in this process; the command then runs in a child
process whose import system refuses tensorflow, tf_keras and keras, and its outputs must equal
the TFLite Micro runtime's (computed here) byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import model_zoo
import numpy as np

BLOCKER = """
import importlib.abc, sys
class _NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tf_keras", "keras"):
            raise ImportError(f"{name} is blocked: this machine has no TensorFlow")
        return None
sys.meta_path.insert(0, _NoTensorFlow())
"""


def test_reference_command_without_tensorflow(tmp_path: Path) -> None:
    model = model_zoo.tflite_path("small")  # converted with TensorFlow, in this process
    config = model_zoo.CONFIGS["small"]
    x = model_zoo.inputs_int8(config, 40)
    np.savez(tmp_path / "data.npz", x=x)
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    probe = subprocess.run(
        [sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True
    )
    assert probe.returncode != 0 and "blocked" in probe.stderr
    out = tmp_path / "golden.npz"
    script = (
        "import sys; from edge_lstm.cli import main; "
        "sys.argv = ['edge-lstm'] + sys.argv[1:]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "reference", str(model), "--data",
         str(tmp_path / "data.npz"), "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    y = np.load(out)["y_int8"]
    expected = model_zoo.tflm_outputs(model.read_bytes(), x)
    mismatches = int((y != expected).sum())
    print(f"no-TensorFlow reference: {mismatches} mismatches of {y.size} ({len(x)} inputs)")
    assert mismatches == 0
