"""README's first command: set up, train, quantize, export, build, boot, validate, summarize.

Under scripts/test.sh (CI) the repository's .venv exists and the test runs scripts/demo.sh
itself, exactly as a newcomer would; elsewhere it runs the same `edge-lstm demo` from the
current environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from toolchain import require

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.tf
def test_demo_end_to_end(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    args = ["--work", str(tmp_path / "work"), "--report", str(tmp_path / "report"), "--json"]
    if (ROOT / ".venv" / "bin" / "edge-lstm").exists():
        command = [str(ROOT / "scripts" / "demo.sh"), *args]
    else:
        command = [str(Path(sys.executable).parent / "edge-lstm"), "demo", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    validate = summary["validate"]
    print(
        {
            k: validate[k]
            for k in (
                "samples",
                "mismatched_bytes",
                "device_accuracy",
                "int8_accuracy",
                "float_accuracy",
                "cycles",
            )
        }
    )
    assert validate["samples"] == 1797 - round(1797 * 0.8)  # the whole digits test split
    assert validate["mismatched_bytes"] == 0 and validate["mismatched_samples"] == 0
    # bit-exact outputs give the same predictions: device accuracy is the host int8 accuracy
    assert validate["device_accuracy"] == validate["int8_accuracy"]
    assert validate["float_accuracy"] > 0.9
    assert abs(validate["float_accuracy"] - validate["int8_accuracy"]) <= 0.02
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["mismatched_bytes"] == 0
    for name in ("report.md", "outputs.png", "confusion.png", "memory.png", "stages.png"):
        assert (tmp_path / "report" / name).stat().st_size > 1000, name
    assert [s["name"].split()[0] for s in summary["stages"]] == [
        "train",
        "quantize",
        "export",
        "build",
        "boot",
    ]


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.tf
@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_demo_with_gru_and_simple_rnn(tmp_path: Path, cell: str) -> None:
    """The same road with edge-lstm's own cells: trained, quantized, run on the emulated M4."""
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    command = [str(Path(sys.executable).parent / "edge-lstm"), "demo", "--cell", cell]
    command += ["--hidden", "16", "--epochs", "10", "--work", str(tmp_path / "w"), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    validate = summary["validate"]
    print(cell, {k: validate[k] for k in ("samples", "mismatched_bytes", "device_accuracy")})
    assert validate["samples"] == 1797 - round(1797 * 0.8)
    assert validate["mismatched_bytes"] == 0 and validate["mismatched_samples"] == 0
    assert validate["device_accuracy"] == validate["int8_accuracy"]
    # digits with 16 units and 10 epochs: float ~0.9; int8 within 2 points (the GRU/SimpleRNN
    # error bounds of docs/integer_gru.md are a few steps of h, far below a class margin)
    assert validate["float_accuracy"] > 0.8
    assert abs(validate["float_accuracy"] - validate["int8_accuracy"]) <= 0.02
