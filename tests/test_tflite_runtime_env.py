"""The tflite-runtime extra, in an environment of its own (numpy < 2), against the reference.

tflite-runtime 2.14 (its last release) needs numpy < 2 at run time; the dev environment runs
numpy 2. So this test builds a second venv with `edge-lstm[tflite-runtime]` (no TensorFlow)
and checks there that the reference's "tflite-runtime" variant equals tflite-runtime bit for bit
on all nine zoo models, with the inputs of tests/test_reference.py (300 float sequences 3x wider
than calibration, quantized, plus 300 raw int8 sequences): 0 mismatching bytes on every model.

tflite-runtime 2.14 computes the LSTM, STRIDED_SLICE and SOFTMAX exactly as ai-edge-litert does
(the "litert" variant); only its int8 FULLY_CONNECTED rounds differently (an older ruy: a rounding
doubling high multiply, then a right shift whose ties go up), so the "litert" variant is off by
one on a few FC outputs per model (printed, not asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from model_zoo import CONFIGS, inputs_float, inputs_int8, tflite_path

from edge_lstm.cli import main
from quantize import fixedpoint as fp
from quantize.activations import lstm_activations
from quantize.ops import OPS
from quantize.reference import quantize_input, run_reference
from quantize.tflite_ir import read_model

ROOT = Path(__file__).resolve().parent.parent
# A pip environment, rebuilt whenever pyproject.toml changes; it lives in the user's cache (not
# in the checkout) so that a fresh clone on the same machine does not reinstall it.
ENV_DIR = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    / "edge-lstm-tests"
    / f"venv-tflite-runtime-py{sys.version_info[0]}{sys.version_info[1]}"
)

CHECK = """
import json, sys
import numpy as np
from edge_lstm.engines import litert_outputs
from quantize.reference import run_reference
from quantize.tflite_ir import read_model
import edge_lstm
import tflite_runtime
results = {"numpy": np.__version__, "tflite_runtime": tflite_runtime.__version__,
           "edge_lstm": edge_lstm.__file__}
for path, data in zip(sys.argv[1::2], sys.argv[2::2]):
    x = np.load(data)["x"]
    got = litert_outputs(open(path, "rb").read(), x)
    model = read_model(path)
    results[path] = {}
    for variant in ("tflite-runtime", "litert"):
        want = run_reference(model, x, activations=variant)
        results[path][variant] = int(np.count_nonzero(got.reshape(want.shape) != want))
results["tensorflow_importable"] = __import__("importlib").util.find_spec("tensorflow") is not None
print(json.dumps(results))
"""


def _environment() -> Path:
    python = ENV_DIR / "bin" / "python"
    stamp = ENV_DIR / ".installed"
    want = (ROOT / "pyproject.toml").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != want:
        venv.EnvBuilder(with_pip=True, clear=True).create(ENV_DIR)
        subprocess.run(
            # not editable: the environment must not point into one checkout; the check runs
            # the checkout's own sources through PYTHONPATH
            [str(python), "-m", "pip", "install", "-q", f"{ROOT}[tflite-runtime]"],
            check=True,
        )
        stamp.write_text(want)
    return python


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info >= (3, 12), reason="tflite-runtime has no wheel for 3.12")
def test_reference_tflite_runtime_variant_equals_tflite_runtime(tmp_path: Path) -> None:
    python = _environment()
    args = []
    for name, config in CONFIGS.items():
        path = tflite_path(name)
        x_float = quantize_input(inputs_float(config, 300), read_model(path).input)
        data = tmp_path / f"{name}.npz"
        np.savez(data, x=np.concatenate([x_float, inputs_int8(config, 300)]))
        args += [str(path), str(data)]
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(python), "-c", CHECK, *args], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    print(results)
    assert results["numpy"].startswith("1.")
    assert results["edge_lstm"].startswith(str(ROOT))  # this checkout's code, not a stale copy
    assert results["tensorflow_importable"] is False
    for path in args[0::2]:
        assert results[path]["tflite-runtime"] == 0, (path, results[path])


# --- fast checks of the variant, in the dev environment ---------------------------------------


def _round_half_up(q: Fraction) -> int:
    return (q.numerator * 2 + q.denominator) // (2 * q.denominator)  # floor(q + 1/2)


@given(st.integers(-(2**31), 2**31 - 1), st.integers(2**30, 2**31 - 1), st.integers(-31, 0))
@settings(max_examples=400)
def test_half_up_requantization_is_two_roundings_ties_up(x: int, m: int, shift: int) -> None:
    high = _round_half_up(Fraction(x * m, 2**31))  # the rounding doubling high multiply
    expected = _round_half_up(Fraction(high, 2**-shift))
    got = fp.multiply_by_quantized_multiplier_half_up(np.int64(x), np.int64(m), np.int64(shift))
    assert int(got) == expected


def test_half_up_requantization_ties() -> None:
    # x * m / 2^31 = k / 2 exactly (m = 2^30): with shift -1 every odd x is a tie
    x = np.array([-5, -3, -1, 1, 3, 5])
    m, s = np.int64(2**30), np.int64(-1)
    # first rounding: -2.5 -> -2, -1.5 -> -1, -0.5 -> 0, 0.5 -> 1, 1.5 -> 2, 2.5 -> 3;
    # then halves tie up: -1, -0.5 -> 0, 0, 0.5 -> 1, 1, 1.5 -> 2
    np.testing.assert_array_equal(fp.multiply_by_quantized_multiplier_half_up(x, m, s),
                                  [-1, 0, 0, 1, 1, 2])  # fmt: skip
    # the default (ties away from zero after the high multiply) differs on negative halves only
    np.testing.assert_array_equal(fp.multiply_by_quantized_multiplier(x, m, s),
                                  [-1, -1, 0, 1, 1, 2])  # fmt: skip


def test_tflite_runtime_variant_is_litert_but_for_fully_connected(tmp_path: Path) -> None:
    config = CONFIGS["seq"]  # the hidden sequence goes through a per-step FULLY_CONNECTED
    path = tflite_path("seq")
    model = read_model(path)
    x = inputs_int8(config, 300)
    lit = run_reference(model, x, activations="litert")
    trt = run_reference(model, x, activations="tflite-runtime")
    differ = lit != trt
    assert 0 < differ.sum() < lit.size // 50
    assert np.abs(lit.astype(int) - trt.astype(int)).max() == 1
    # the LSTM itself is identical: compare the hidden sequences
    lstm = next(op for op in model.operators if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    hidden = {}
    for variant in ("litert", "tflite-runtime"):
        env = {model.input.index: x.reshape((len(x), *model.input.shape))}
        OPS[lstm.opcode].reference(model, lstm, env, variant)  # type: ignore[misc]
        hidden[variant] = env[lstm.outputs[0]]
    np.testing.assert_array_equal(hidden["litert"], hidden["tflite-runtime"])
    assert lstm_activations("tflite-runtime") == lstm_activations("litert")
    with pytest.raises(ValueError, match="tflite-runtime"):
        run_reference(model, x, activations="tflite_runtime")
    np.savez(tmp_path / "d.npz", x=x[:5])
    done = CliRunner().invoke(
        main,
        ["reference", str(path), "--data", str(tmp_path / "d.npz"), "-o",
         str(tmp_path / "y.npz"), "--activations", "tflite-runtime"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["y_int8"], trt[:5])
