"""`edge-lstm inspect`: keys and values of the summary, derived independently of the code."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from model_zoo import CONFIGS, ZooConfig, tflite_path

from edge_lstm.cli import main
from quantize.tflite_ir import read_model


def expected_counts(config: ZooConfig, dense_bias: list[bool]) -> tuple[int, int, int]:
    """(MACs, parameters, weight bytes) of a zoo model from its Keras dimensions.

    LSTM: 4 gates of [H, I] and [H, H] int8 matrices (4*H*(I+H) MACs per step) and 4 int32
    biases of H; Dense: [out, in] int8 and an int32 bias of out, in*out MACs per row. The
    converter leaves out a Dense bias that is all zeros, so whether each Dense kept its bias
    is the one fact taken from the file.
    """
    t, inputs = config.timesteps, config.features
    macs = params = weight_bytes = 0
    for h in config.hidden:
        macs += t * 4 * h * (inputs + h)
        params += 4 * h * (inputs + h) + 4 * h
        weight_bytes += 4 * h * (inputs + h) + 4 * h * 4
        inputs = h
    if config.head == "relu-softmax":
        dense = [(inputs, 16), (16, config.outputs)]
    else:
        dense = [(inputs, config.outputs)]
    rows = t if config.head == "sequence" else 1
    for (n_in, n_out), has_bias in zip(dense, dense_bias, strict=True):
        macs += rows * n_in * n_out
        params += n_in * n_out + (n_out if has_bias else 0)
        weight_bytes += n_in * n_out + (4 * n_out if has_bias else 0)
    return macs, params, weight_bytes


def run_json(*args: str) -> dict:
    result = CliRunner().invoke(main, ["inspect", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_macs_params_and_weight_bytes(name: str) -> None:
    summary = run_json(str(tflite_path(name)), "--no-host")
    dense_bias = [
        len(op["inputs"]) > 2 and op["inputs"][2] >= 0
        for op in summary["operators"]
        if op["op"] == "FULLY_CONNECTED"
    ]
    macs, params, weight_bytes = expected_counts(CONFIGS[name], dense_bias)
    assert summary["macs"] == macs
    assert summary["params"] == params
    assert summary["weights_bytes"] == weight_bytes


def test_keys_ops_tensors_and_io() -> None:
    path = tflite_path("imu")
    summary = run_json(str(path))
    for key in (
        "ops",
        "op_versions",
        "tensors",
        "macs",
        "params",
        "weights_bytes",
        "arena_bytes",
        "arena",
        "input",
        "output",
    ):
        assert key in summary
    model = read_model(path)
    assert summary["ops"] == [
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE",
        "FULLY_CONNECTED",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    assert summary["op_versions"] == {op.opcode: op.version for op in model.operators}
    assert len(summary["tensors"]) == len(model.tensors)
    for entry, tensor in zip(summary["tensors"], model.tensors, strict=True):
        assert entry["dtype"] == tensor.dtype and entry["shape"] == list(tensor.shape)
    config = CONFIGS["imu"]
    assert summary["input"]["shape"] == [1, config.timesteps, config.features]
    assert summary["input"]["dtype"] == "int8"
    assert summary["input"]["scale"] == pytest.approx(model.input.scale)
    assert summary["input"]["zero_point"] == model.input.zero_point
    # softmax output: int8 at scale 1/256, zero point -128
    assert summary["output"] == {
        "shape": [1, config.outputs],
        "dtype": "int8",
        "scale": 1 / 256,
        "zero_point": -128,
    }
    figures = summary["arena"]
    assert set(figures) == {"host_min", "cortex_m_reference", "cortex_m_cmsis_nn"}
    assert summary["arena_bytes"] == figures["cortex_m_reference"]["bytes"]
    for figure in figures.values():
        assert figure["bytes"] > 0 and figure["derivation"]
    assert figures["host_min"]["bytes"] == figures["host_min"]["predicted"]
    assert figures["cortex_m_reference"]["minimum"] < figures["host_min"]["bytes"]


def test_table_for_people() -> None:
    result = CliRunner().invoke(main, ["inspect", str(tflite_path("small")), "--no-host"])
    assert result.exit_code == 0, result.output
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in result.output
    assert "TFLM tensor arena" in result.output
    assert "Cortex-M, CMSIS-NN kernels" in result.output


@pytest.mark.parametrize("content", [b"", b"not a model at all, just text", b"\0" * 64])
def test_bad_files_exit_2_with_one_line(tmp_path, content: bytes) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "edge_lstm.cli", "inspect", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_truncated_model_exit_2(tmp_path) -> None:
    data = tflite_path("small").read_bytes()
    bad = tmp_path / "cut.tflite"
    bad.write_bytes(data[: len(data) // 2])
    result = subprocess.run(
        [sys.executable, "-m", "edge_lstm.cli", "inspect", str(bad), "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
