"""validate on the default emulated board: real firmware in QEMU, its real pty, pyserial."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from firmware_cache import firmware, firmware_from
from model_zoo import CONFIGS, inputs_int8, tflite_bytes, tflite_path, tflm_outputs
from toolchain import require

from edge_lstm.cli import main
from quantize.tflite_ir import parse_model

pytestmark = pytest.mark.toolchain


@pytest.fixture(autouse=True)
def _tools() -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_a_thousand_samples_match_byte_for_byte(tmp_path: Path) -> None:
    """>= 1,000 samples through the emulated Cortex-M4; golden values from the TFLM runtime."""
    config = CONFIGS["small"]
    x = inputs_int8(config, 1000)
    data = tmp_path / "x.npz"
    np.savez(data, x=x)
    elf = firmware("small")
    report_path = tmp_path / "report.json"
    code, output = _validate(
        "--elf",
        str(elf),
        "--model",
        str(tflite_path("small")),
        "--data",
        str(data),
        "--json",
        str(report_path),
        "--outputs",
        str(tmp_path / "out.npz"),
    )
    assert code == 0, output
    report = json.loads(report_path.read_text())
    print(output)
    assert report["samples"] == 1000
    assert report["mismatched_bytes"] == 0 and report["mismatched_samples"] == 0
    # The device's raw outputs, checked here against TFLM itself (independent of the harness).
    device = np.load(tmp_path / "out.npz")["y_int8"]
    golden = tflm_outputs(tflite_bytes("small"), x)
    assert device.dtype == np.int8
    assert int(np.count_nonzero(device.reshape(golden.shape) != golden)) == 0
    assert report["cycle_unit"] == "instructions"
    assert 0 < report["cycles"]["min"] <= report["cycles"]["median"] <= report["cycles"]["max"]
    for key in (
        "samples",
        "mismatched_samples",
        "mismatched_bytes",
        "max_abs_lsb",
        "device_accuracy",
        "float_accuracy",
        "int8_accuracy",
        "cycles",
        "retries",
    ):
        assert key in report


def test_instruction_counts_are_deterministic_across_runs(tmp_path: Path) -> None:
    x = inputs_int8(CONFIGS["small"], 20)
    np.savez(tmp_path / "x.npz", x=x)
    counts = []
    for run in range(2):
        report = tmp_path / f"r{run}.json"
        code, output = _validate(
            "--elf",
            str(firmware("small")),
            "--model",
            str(tflite_path("small")),
            "--data",
            str(tmp_path / "x.npz"),
            "--json",
            str(report),
        )
        assert code == 0, output
        counts.append(json.loads(report.read_text())["cycles"])
    assert counts[0] == counts[1]


def test_a_one_lsb_weight_change_is_caught(tmp_path: Path) -> None:
    """Firmware built from a model with one weight altered by one LSB must fail validation."""
    original = tflite_bytes("small")
    model = parse_model(original)
    lstm = model.operators[0]
    weight = model.tensor(lstm.inputs[3])  # input-to-cell weights [H, I]
    assert weight.data is not None and weight.dtype == "int8"
    needle = weight.data.tobytes()
    offset = original.find(needle)
    assert offset >= 0 and original.find(needle, offset + 1) < 0
    index = int(np.argmin(np.abs(weight.data.reshape(-1).astype(int))))  # room for +1
    altered = bytearray(original)
    altered[offset + index] = (altered[offset + index] + 1) % 256
    altered_path = tmp_path / "altered.tflite"
    altered_path.write_bytes(bytes(altered))
    assert parse_model(bytes(altered)).tensor(lstm.inputs[3]).data.reshape(-1)[index] == (
        weight.data.reshape(-1)[index] + 1
    )

    x = inputs_int8(CONFIGS["small"], 300)
    np.savez(tmp_path / "x.npz", x=x)
    # The expected damage, derived independently with the TFLM runtime on both models.
    differing = np.any(
        tflm_outputs(bytes(altered), x).reshape(len(x), -1)
        != tflm_outputs(original, x).reshape(len(x), -1),
        axis=1,
    )
    assert differing.sum() > 0

    elf = firmware_from(altered_path, tmp_path / "fw")
    original_path = tmp_path / "original.tflite"
    original_path.write_bytes(original)
    code, output = _validate(
        "--elf", str(elf), "--model", str(original_path), "--data", str(tmp_path / "x.npz")
    )
    assert code == 1 and "runs model" in output  # the hash check comes first

    report = tmp_path / "r.json"
    code, output = _validate(
        "--elf",
        str(elf),
        "--model",
        str(original_path),
        "--data",
        str(tmp_path / "x.npz"),
        "--json",
        str(report),
        "--skip-hash-check",
    )
    assert code == 1, output
    doc = json.loads(report.read_text())
    print(f"one-LSB weight change: {doc['mismatched_samples']} of 300 samples differ")
    assert doc["mismatched_samples"] == int(differing.sum())
    assert sorted(doc["mismatch_indices"]) == [int(i) for i in np.flatnonzero(differing)][:100]
    assert "FAIL" in output
