"""Data files: the documented layouts load; wrong shapes, dtypes and NaN are refused clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_lstm.data import builtin_dataset, load_data, model_input, write_atomic
from edge_lstm.errors import BadInputError
from quantize.ir import Quantization, Tensor


def test_npz_float_and_int8(tmp_path: Path) -> None:
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    np.savez(tmp_path / "f.npz", x=x, y=np.array([1, 0]))
    data = load_data(tmp_path / "f.npz")
    assert data.x.dtype == np.float32 and data.is_classification
    np.savez(tmp_path / "q.npz", x=x.astype(np.int8), y=np.ones((2, 2), np.float32))
    data = load_data(tmp_path / "q.npz")
    assert data.x.dtype == np.int8 and data.y is not None and data.y.shape == (2, 2)


def test_csv_layout_matches_npz(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    names = [f"x_{t}_{f}" for t in range(2) for f in range(3)]
    # columns deliberately out of order: the header, not the position, decides
    order = list(reversed(range(6)))
    lines = [",".join([names[i] for i in order] + ["y"])]
    for n in range(5):
        flat = x[n].reshape(-1)
        lines.append(",".join([repr(float(flat[i])) for i in order] + [str(y[n])]))
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    data = load_data(tmp_path / "d.csv")
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.y, y)


@pytest.mark.parametrize(
    "arrays, needle",
    [
        ({"x": np.zeros((4, 3), np.float32)}, "expected [N, T, F]"),
        ({"x": np.zeros((4, 3, 2), np.int32)}, "dtype int32"),
        ({"x": np.full((2, 3, 2), np.nan, np.float32)}, "NaN"),
        ({"x": np.zeros((2, 3, 2), np.float32), "y": np.zeros(3)}, "y has 3 rows"),
        ({"x": np.zeros((2, 3, 2), np.float32), "y": np.array([0.5, 1.0])}, "not integer"),
        ({"y": np.zeros(3)}, "no array 'x'"),
    ],
)
def test_bad_npz_is_refused(tmp_path: Path, arrays: dict, needle: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(BadInputError, match=None) as info:
        load_data(tmp_path / "bad.npz")
    assert needle in str(info.value)


def test_bad_files(tmp_path: Path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(BadInputError, match="not a readable"):
        load_data(tmp_path / "junk.npz")
    with pytest.raises(BadInputError, match="does not exist"):
        load_data(tmp_path / "missing.npz")
    (tmp_path / "d.csv").write_text("x_0_0,x_1_1\n1,2\n")
    with pytest.raises(BadInputError, match="lacks column x_0_1"):
        load_data(tmp_path / "d.csv")


def test_model_input_quantizes_float_half_away_and_passes_int8_through() -> None:
    # scale 0.5, zero point 3: real r -> r / 0.5 + 3, halves rounded away from zero
    quant = Quantization(np.array([0.5], np.float32), np.array([3]))
    tensor = Tensor(0, "x", (1, 7, 1), "int8", quant, None)
    x = np.array([0.25, -0.25, 0.75, -0.75, 100.0, -100.0, 0.0], np.float32).reshape(1, 7, 1)
    q = model_input(x, tensor).reshape(-1)
    assert q.dtype == np.int8
    assert q.tolist() == [1 + 3, -1 + 3, 2 + 3, -2 + 3, 127, -128, 3]
    raw = np.array([[[-128], [5], [127]]], dtype=np.int8)
    assert model_input(raw, tensor) is raw  # already quantized: not scaled a second time


def test_model_input_divides_in_float32_like_tflite() -> None:
    # Values measured with TFLite's QUANTIZE kernel (a float-input model converted with this
    # scale and zero point, reference op resolver): in float64, x / scale is just below a half
    # (18.49999944, -15.4999996, -58.49999944) and would round to 33, 0, -43; TFLite divides in
    # float32, where the quotients are the halves themselves, and rounds them away from zero.
    quant = Quantization(np.array([0.04643639177083969], np.float32), np.array([15]))
    tensor = Tensor(0, "x", (1, 3, 1), "int8", quant, None)
    x = np.array([0.8590732, -0.71976405, -2.716529], np.float32).reshape(1, 3, 1)
    assert model_input(x, tensor).reshape(-1).tolist() == [34, -1, -44]


@pytest.mark.parametrize("target", ["folder", "/dev/null", "under-a-file"])
def test_write_atomic_refuses_what_cannot_become_a_file(tmp_path: Path, target: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("keep")
    path = {
        "folder": tmp_path / "folder",
        "/dev/null": Path("/dev/null"),
        "under-a-file": tmp_path / "file" / "out.npz",
    }[target]
    with pytest.raises(BadInputError, match="not a regular file|is a file, not a folder"):
        write_atomic(path, b"data")
    assert Path("/dev/null").is_char_device()
    assert (tmp_path / "file").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]


def test_builtin_digits_split_is_deterministic() -> None:
    train_a, test_a = builtin_dataset("digits", seed=0)
    train_b, test_b = builtin_dataset("digits", seed=0)
    assert train_a.x.shape[1:] == (8, 8) and len(train_a) + len(test_a) == 1797
    np.testing.assert_array_equal(test_a.y, test_b.y)
    assert float(train_a.x.max()) <= 1.0


def test_builtin_vowels_is_the_japanese_vowels_archive() -> None:
    """The UCR/UEA JapaneseVowels problem as sktime ships it: 270 training and 370 test
    utterances of 9 speakers, 12 cepstrum coefficients, 7 to 29 frames (the archive's own
    description); padded at the front to 29 frames."""
    train, test = builtin_dataset("vowels", seed=0)
    assert len(train) + len(test) == 640
    assert train.x.shape[1:] == (29, 12) and train.x.dtype == np.float32
    x = np.concatenate([train.x, test.x])
    y = np.concatenate([train.y, test.y])
    assert sorted(set(y.tolist())) == list(range(9))
    frames = np.abs(x).sum(axis=2) > 0  # a padding frame is all zeros
    lengths = frames.sum(axis=1)
    assert lengths.min() == 7 and lengths.max() == 29
    # the padding is in front: once a sequence starts it runs to the last step
    assert all(frames[i, 29 - n :].all() for i, n in enumerate(lengths))
    # standardized per channel over the real frames
    real = x[frames]
    np.testing.assert_allclose(real.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(real.std(axis=0), 1.0, atol=1e-4)


def test_write_atomic_gives_the_mode_a_plain_write_gives(tmp_path: Path) -> None:
    """The temporary file behind the rename must not leave reports readable by the owner only."""
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = tmp_path / "atomic.txt"
    write_atomic(atomic, "x")
    assert oct(atomic.stat().st_mode & 0o777) == oct(plain.stat().st_mode & 0o777)
