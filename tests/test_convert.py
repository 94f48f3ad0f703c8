"""Keras -> int8 .tflite: fused LSTMs from both Keras flavours, refusals, real accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from edge_lstm.cli import main
from quantize.tflite_ir import read_model

pytestmark = pytest.mark.tf

T, F = 6, 3


def _calib(path: Path, n: int = 32, y: np.ndarray | None = None) -> Path:
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((n, T, F)).astype(np.float32)}
    if y is not None:
        arrays["y"] = y
    np.savez(path, **arrays)
    return path


def _quantize(tmp_path: Path, model_path: Path, calib: Path) -> tuple[int, str, Path]:
    out = tmp_path / "out.tflite"
    result = CliRunner().invoke(
        main, ["quantize", str(model_path), "--calib", str(calib), "-o", str(out), "--json"]
    )
    return result.exit_code, result.output, out


def test_keras3_and_tf_keras_give_the_same_fused_ops(tmp_path: Path) -> None:
    import keras
    import tf_keras

    expected = [
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE",
        "FULLY_CONNECTED",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    calib = _calib(tmp_path / "calib.npz")
    for flavour, lib, suffix in (("keras3", keras, ".keras"), ("tf_keras", tf_keras, ".h5")):
        model = lib.Sequential(
            [
                lib.Input(shape=(T, F)),
                lib.layers.LSTM(8, return_sequences=True),
                lib.layers.LSTM(5),
                lib.layers.Dropout(0.2),
                lib.layers.Dense(7, activation="relu"),
                lib.layers.Dense(3, activation="softmax"),
            ]
        )
        path = tmp_path / f"{flavour}{suffix}"
        model.save(path)
        code, output, out = _quantize(tmp_path, path, calib)
        assert code == 0, output
        summary = json.loads(output[output.index("{") :])
        assert summary["ops"] == expected, flavour
        assert summary["rebuild_max_abs_diff"] < 1e-5
        ir = read_model(out)
        assert ir.opcodes == expected
        assert ir.input.dtype == "int8" and ir.output.dtype == "int8"
        assert ir.input.shape == (1, T, F)


def _keras3_model(tmp_path: Path, layers: list, name: str = "m.keras") -> Path:
    import keras

    model = keras.Sequential([keras.Input(shape=(T, F)), *layers])
    path = tmp_path / name
    model.save(path)
    return path


def _unsupported_cases():
    import keras

    L = keras.layers
    return {
        "bidirectional_gru": ([L.Bidirectional(L.GRU(4)), L.Dense(2)], "a wrapped GRU"),
        "go_backwards": ([L.LSTM(4, go_backwards=True), L.Dense(2)], "go_backwards=True"),
        "activation": ([L.LSTM(4, activation="relu"), L.Dense(2)], "activation='relu'"),
        "recurrent_activation": (
            [L.LSTM(4, recurrent_activation="hard_sigmoid"), L.Dense(2)],
            "recurrent_activation='hard_sigmoid'",
        ),
        "masking": ([L.Masking(), L.LSTM(4), L.Dense(2)], "Masking"),
        "conv_groups": ([L.Conv1D(3, 3, groups=3), L.LSTM(4), L.Dense(2)], "groups=3"),
        "conv_activation": (
            [L.Conv1D(4, 3, activation="elu"), L.LSTM(4), L.Dense(2)],
            "activation='elu'",
        ),
        "dense_activation": ([L.LSTM(4), L.Dense(2, activation="elu")], "activation='elu'"),
        "time_distributed_conv": (
            [L.LSTM(4, return_sequences=True), L.TimeDistributed(L.Reshape((4, 1)))],
            "a wrapped Reshape",
        ),
        "no_lstm": ([L.Flatten(), L.Dense(2)], "no LSTM layer"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "bidirectional_gru",
        "go_backwards",
        "activation",
        "recurrent_activation",
        "masking",
        "conv_groups",
        "conv_activation",
        "dense_activation",
        "time_distributed_conv",
        "no_lstm",
    ],
)
def test_unsupported_models_are_refused_by_name(tmp_path: Path, case: str) -> None:
    layers, needle = _unsupported_cases()[case]
    path = _keras3_model(tmp_path, layers)
    code, output, out = _quantize(tmp_path, path, _calib(tmp_path / "c.npz"))
    assert code == 2, output
    assert needle in output
    assert "Traceback" not in output
    assert output.strip().startswith("error:") and output.count("\n") == 1
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tflite")]


def test_stateful_and_variable_length_are_refused(tmp_path: Path) -> None:
    import tf_keras

    stateful = tf_keras.Sequential(
        [tf_keras.Input(shape=(T, F), batch_size=1), tf_keras.layers.LSTM(4, stateful=True)]
    )
    path = tmp_path / "stateful.h5"
    stateful.save(path)
    code, output, out = _quantize(tmp_path, path, _calib(tmp_path / "c.npz"))
    assert code == 2 and "stateful=True" in output and not out.exists()

    import keras

    variable = keras.Sequential([keras.Input(shape=(None, F)), keras.layers.LSTM(4)])
    path = tmp_path / "variable.keras"
    variable.save(path)
    code, output, out = _quantize(tmp_path, path, _calib(tmp_path / "c.npz"))
    assert code == 2 and "variable time length" in output and not out.exists()


def test_bad_calibration_data_is_refused(tmp_path: Path) -> None:
    import keras

    path = _keras3_model(tmp_path, [keras.layers.LSTM(4), keras.layers.Dense(2)])
    wrong_shape = tmp_path / "shape.npz"
    np.savez(wrong_shape, x=np.zeros((4, T + 1, F), np.float32))
    code, output, _ = _quantize(tmp_path, path, wrong_shape)
    assert code == 2 and f"[N, {T}, {F}]" in output

    nan = tmp_path / "nan.npz"
    x = np.zeros((4, T, F), np.float32)
    x[1, 2, 0] = np.nan
    np.savez(nan, x=x)
    code, output, _ = _quantize(tmp_path, path, nan)
    assert code == 2 and "NaN" in output


@pytest.mark.slow
@pytest.mark.parametrize(
    "arch",
    [
        "lstm",
        pytest.param("conv-lstm", marks=pytest.mark.slow),
        pytest.param("bilstm", marks=pytest.mark.slow),
    ],
)
def test_digits_int8_accuracy_within_one_point_of_float(tmp_path: Path, arch: str) -> None:
    """A real dataset that a package ships: scikit-learn's digits as 8 steps x 8 features,
    with the plain LSTM, a Conv1D -> MaxPooling1D -> LSTM and a Bidirectional(LSTM) model."""
    from edge_lstm.data import load_data, model_input
    from edge_lstm.engines import tflm_outputs
    from edge_lstm.metrics import accuracy
    from edge_lstm.train import train

    result = train(
        "digits", tmp_path / "digits.keras", hidden=32, epochs=12, progress=False, arch=arch
    )
    code, output, out = _quantize(tmp_path, result.model_path, result.train_path)
    assert code == 0, output
    test = load_data(result.test_path)
    ir = read_model(out)
    y_int8 = tflm_outputs(out.read_bytes(), model_input(test.x, ir.input))
    import keras

    y_float = keras.models.load_model(result.model_path).predict(test.x, verbose=0)
    float_acc, int8_acc = accuracy(y_float, test.y), accuracy(y_int8, test.y)
    print(f"digits {arch} test split: float {float_acc:.4f}, int8 (TFLM) {int8_acc:.4f}")
    assert float_acc > 0.9
    assert abs(float_acc - int8_acc) <= 0.01


@pytest.mark.parametrize(
    ("layers", "custom_op"),
    [
        (lambda L: [L.GRU(5, return_sequences=True), L.LSTM(4), L.Dense(2)], "CUSTOM:EL_GRU"),
        (lambda L: [L.SimpleRNN(5), L.Dense(2, activation="softmax")], "CUSTOM:EL_SIMPLE_RNN"),
    ],
    ids=["gru-lstm", "simple-rnn"],
)
def test_gru_and_simple_rnn_quantize_through_the_cli(
    tmp_path: Path, layers: object, custom_op: str
) -> None:
    """The CLI's quantize routes GRU/SimpleRNN models to edge-lstm's own cells; the int8 model
    tracks the float model (the arithmetic itself is checked in tests/test_gru_*.py)."""
    import keras

    path = _keras3_model(tmp_path, layers(keras.layers))  # type: ignore[operator]
    code, output, out = _quantize(tmp_path, path, _calib(tmp_path / "c.npz", n=64))
    assert code == 0, output
    ops = read_model(out).opcodes
    assert ops[0] == custom_op
    assert "WHILE" not in ops
    summary = json.loads(output[output.index("{") :])
    assert summary["ops"] == ops
    # float vs int8 on the calibration data. The outputs of these untrained models span about
    # +-1; int8 steps of the calibrated output range are ~0.01, and the recurrent cells add a
    # few steps of error (docs/integer_gru.md bounds them), so 0.1 is a loose bound that a wrong
    # scale, a swapped gate or a state not carried between steps breaks by far
    assert summary["float_int8_max_abs_diff"] < 0.1


@pytest.mark.parametrize(
    ("layer", "needle"),
    [
        ("GRU(4, go_backwards=True)", "go_backwards=True"),
        ("GRU(4, activation='relu')", "activation='relu'"),
        ("SimpleRNN(4, stateful=False, unroll=True)", "unroll=True"),
        ("GRU(4, recurrent_activation='hard_sigmoid')", "recurrent_activation='hard_sigmoid'"),
    ],
)
def test_unsupported_gru_options_are_refused_by_name(
    tmp_path: Path, layer: str, needle: str
) -> None:
    import keras

    L = keras.layers  # noqa: N806, F841 (used by eval)
    path = _keras3_model(tmp_path, [eval(f"L.{layer}"), L.Dense(2)])
    code, output, out = _quantize(tmp_path, path, _calib(tmp_path / "c.npz"))
    assert code == 2, output
    assert needle in output and "Traceback" not in output
    assert not out.exists()
