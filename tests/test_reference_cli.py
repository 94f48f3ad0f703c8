"""`edge-lstm reference` writes what run_reference computes, and refuses bad arguments clearly."""

from __future__ import annotations

from pathlib import Path

import model_zoo
import numpy as np
from click.testing import CliRunner

from edge_lstm.cli import main


def test_cli_float_data_matches_tflm(tmp_path: Path) -> None:
    config = model_zoo.CONFIGS["small"]
    x = model_zoo.inputs_float(config, 30)
    np.savez(tmp_path / "d.npz", x=x)
    model = model_zoo.tflite_path("small")
    out = tmp_path / "y.npz"
    result = CliRunner().invoke(
        main, ["reference", str(model), "--data", str(tmp_path / "d.npz"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with np.load(out) as got:
        y_int8, y = got["y_int8"], got["y"]
    assert y_int8.dtype == np.int8 and y.dtype == np.float32 and y_int8.shape == (30, 10)
    # golden: TFLM on the input quantized by hand (round half away from zero, saturate)
    from quantize.tflite_ir import read_model

    t = read_model(model).input
    scaled = x.astype(np.float64) / float(np.float32(t.scale))
    q = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + t.zero_point, -128, 127)
    expected = model_zoo.tflm_outputs(model.read_bytes(), q.astype(np.int8))
    mismatches = int((y_int8 != expected).sum())
    print(f"cli: {mismatches} mismatches of {y_int8.size}")
    assert mismatches == 0
    # softmax output: scale 1/256, zero point -128
    np.testing.assert_allclose(y, (y_int8.astype(np.float32) + 128) / 256)


def test_cli_litert_option_and_errors(tmp_path: Path) -> None:
    config = model_zoo.CONFIGS["small"]
    np.savez(tmp_path / "d.npz", x=model_zoo.inputs_int8(config, 5))
    model = str(model_zoo.tflite_path("small"))
    runner = CliRunner()
    ok = runner.invoke(
        main,
        ["reference", model, "--data", str(tmp_path / "d.npz"), "-o", str(tmp_path / "y.npz"),
         "--activations", "litert"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    bad_out = runner.invoke(
        main, ["reference", model, "--data", str(tmp_path / "d.npz"), "-o", "y.txt"]
    )
    assert bad_out.exit_code == 2 and ".npz" in bad_out.output
    np.savez(tmp_path / "wrong.npz", x=np.zeros((3, 2, 2), np.float32))
    wrong = runner.invoke(
        main, ["reference", model, "--data", str(tmp_path / "wrong.npz"), "-o", "y.npz"]
    )
    assert wrong.exit_code == 2
    (tmp_path / "junk.tflite").write_bytes(b"not a model at all, really")
    junk = runner.invoke(
        main,
        ["reference", str(tmp_path / "junk.tflite"), "--data", str(tmp_path / "d.npz"),
         "-o", str(tmp_path / "y.npz")],
    )  # fmt: skip
    assert junk.exit_code == 2 and "tflite" in junk.output
