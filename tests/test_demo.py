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


def _recurrent_macs(cell: str, steps: int, features: int, hidden: int) -> int:
    """Gate dot products per step (input and recurrent weights), written from the cell
    equations: LSTM 4 gates, GRU 3, SimpleRNN 1."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    return steps * gates * hidden * (features + hidden)


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.tf
def test_demo_compares_gru_and_simple_rnn(tmp_path: Path) -> None:
    """`demo --cell gru --cell rnn`: edge-lstm's own cells, each trained, quantized and run on
    the emulated M4 over the whole digits test split, then compared in one report."""
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    command = [str(Path(sys.executable).parent / "edge-lstm"), "demo", "--cell", "gru"]
    command += ["--cell", "rnn", "--hidden", "16", "--epochs", "10"]
    command += ["--work", str(tmp_path / "w"), "--report", str(tmp_path / "cmp"), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout[done.stdout.index("{") :])
    assert [row["cell"] for row in doc["rows"]] == ["gru", "rnn"]
    for row in doc["rows"]:
        print(row)
        assert row["samples"] == 1797 - round(1797 * 0.8)
        assert row["mismatched_bytes"] == 0
        assert row["device_accuracy"] == row["int8_accuracy"]
        # digits with 16 units and 10 epochs: float ~0.9; int8 within 2 points (the GRU and
        # SimpleRNN error bounds of docs/integer_gru.md are a few steps of h, far below a
        # class margin)
        assert row["float_accuracy"] > 0.8
        assert abs(row["float_accuracy"] - row["int8_accuracy"]) <= 0.02
        # the recurrent layer plus Dense(16 -> 10)
        assert row["macs"] == _recurrent_macs(row["cell"], 8, 8, 16) + 16 * 10
        assert row["instructions_per_inference"] > row["macs"]
        assert 0 < row["ram_used_bytes"] < row["flash_bytes"]
    gru, rnn = doc["rows"]
    assert rnn["macs"] < gru["macs"] and rnn["weights_bytes"] < gru["weights_bytes"]
    table = (tmp_path / "cmp" / "cell_comparison.md").read_text()
    assert "| GRU(16) |" in table and "| SimpleRNN(16) |" in table
    assert (tmp_path / "cmp" / "cell_comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "cmp" / "cell_comparison.json").read_text()) == doc
