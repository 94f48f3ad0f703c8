"""Data files and built-in datasets: the one place that turns a user's file into arrays.

Formats (docs/data.md):
- ``.npz`` with ``x`` [N, T, F] (float32: quantized here with the model's input scale and zero
  point; int8: already quantized, used as is) and optional ``y``: [N] integer labels or [N, K]
  float targets.
- ``.csv`` with a header row: feature columns ``x_<t>_<f>`` (every t < T, f < F), optional target
  columns ``y`` (integer label) or ``y_<k>`` (float targets); one sample per row.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_lstm.errors import TF_INSTALL_HINT, BadInputError, MissingToolError

BUILTIN_DATASETS = ("digits", "vowels", "sine")


@dataclass
class Dataset:
    x: np.ndarray  # [N, T, F] float32 or int8
    y: np.ndarray | None  # [N] int64 labels, [N, K] float32 targets, or None
    source: str

    @property
    def is_classification(self) -> bool:
        return self.y is not None and self.y.ndim == 1

    def __len__(self) -> int:
        return len(self.x)

    def take(self, limit: int | None) -> Dataset:
        if limit is None:
            return self
        y = None if self.y is None else self.y[:limit]
        return Dataset(self.x[:limit], y, self.source)


def load_data(path: str | Path) -> Dataset:
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"data file {path} does not exist")
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.suffix == ".csv":
        return _load_csv(path)
    raise BadInputError(f"{path}: unknown data format; give an .npz or .csv file (docs/data.md)")


def _load_npz(path: Path) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as exc:
        raise BadInputError(f"{path} is not a readable .npz file ({type(exc).__name__})") from None
    if "x" not in arrays:
        raise BadInputError(f"{path} has no array 'x' (found: {', '.join(arrays) or 'none'})")
    return validate(arrays["x"], arrays.get("y"), str(path))


def _load_csv(path: Path) -> Dataset:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadInputError(f"{path} is not a readable .csv file ({type(exc).__name__})") from None
    if len(rows) < 2:
        raise BadInputError(f"{path} needs a header row and at least one sample row")
    header = [name.strip() for name in rows[0]]
    x_cols: dict[tuple[int, int], int] = {}
    y_label: int | None = None
    y_cols: dict[int, int] = {}
    for col, name in enumerate(header):
        if m := re.fullmatch(r"x_(\d+)_(\d+)", name):
            x_cols[(int(m[1]), int(m[2]))] = col
        elif name == "y":
            y_label = col
        elif m := re.fullmatch(r"y_(\d+)", name):
            y_cols[int(m[1])] = col
        else:
            raise BadInputError(
                f"{path}: column '{name}' is not x_<t>_<f>, y or y_<k> (docs/data.md)"
            )
    if not x_cols:
        raise BadInputError(f"{path} has no x_<t>_<f> columns")
    steps = max(t for t, _ in x_cols) + 1
    features = max(f for _, f in x_cols) + 1
    missing = [(t, f) for t in range(steps) for f in range(features) if (t, f) not in x_cols]
    if missing:
        t, f = missing[0]
        raise BadInputError(f"{path} lacks column x_{t}_{f} ({len(missing)} columns missing)")
    try:
        table = np.array([[float(v) for v in row] for row in rows[1:] if row], dtype=np.float64)
    except ValueError as exc:
        raise BadInputError(f"{path}: a value is not a number ({exc})") from None
    if table.shape[1] != len(header):
        raise BadInputError(f"{path}: rows have {table.shape[1]} values, header {len(header)}")
    order = [x_cols[(t, f)] for t in range(steps) for f in range(features)]
    x = table[:, order].reshape(len(table), steps, features).astype(np.float32)
    y: np.ndarray | None = None
    if y_label is not None:
        y = table[:, y_label]
    elif y_cols:
        y = table[:, [y_cols[k] for k in sorted(y_cols)]].astype(np.float32)
    return validate(x, y, str(path))


def validate(x: np.ndarray, y: np.ndarray | None, source: str) -> Dataset:
    if x.ndim != 3:
        raise BadInputError(f"{source}: x has shape {list(x.shape)}; expected [N, T, F]")
    if len(x) == 0:
        raise BadInputError(f"{source}: x has no samples")
    if x.dtype == np.int8:
        pass
    elif np.issubdtype(x.dtype, np.floating):
        if not np.all(np.isfinite(x)):
            bad = int(np.sum(~np.isfinite(x)))
            raise BadInputError(f"{source}: x contains {bad} NaN/Inf values; clean the data")
        x = x.astype(np.float32)
    else:
        raise BadInputError(
            f"{source}: x has dtype {x.dtype}; give float32 (quantized by edge-lstm) or int8"
        )
    if y is not None:
        if len(y) != len(x):
            raise BadInputError(f"{source}: y has {len(y)} rows but x has {len(x)} samples")
        if y.ndim == 1:
            if np.issubdtype(y.dtype, np.floating):
                if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                    raise BadInputError(
                        f"{source}: y is 1-D but not integer labels; give regression targets "
                        "as [N, K]"
                    )
            y = y.astype(np.int64)
        elif y.ndim == 2:
            y = y.astype(np.float32)
            if not np.all(np.isfinite(y)):
                raise BadInputError(f"{source}: y contains NaN/Inf")
        else:
            raise BadInputError(f"{source}: y has shape {list(y.shape)}; expected [N] or [N, K]")
    return Dataset(x, y, source)


def model_input(x: np.ndarray, tensor: Any) -> np.ndarray:
    """The int8 inputs of a model: int8 data as it is, float data through the reference's
    quantization (``quantize.reference.quantize_input``, the one definition every caller uses,
    so the host reference, validation and the reports never quantize differently).
    """
    if x.dtype == np.int8:
        return x
    from quantize.reference import quantize_input

    return quantize_input(x, tensor)


def check_shape(dataset: Dataset, timesteps: int, features: int, what: str = "data") -> None:
    if dataset.x.shape[1:] != (timesteps, features):
        raise BadInputError(
            f"{dataset.source}: {what} has shape {list(dataset.x.shape)}; the model needs "
            f"[N, {timesteps}, {features}]"
        )


def builtin_dataset(name: str, seed: int = 0) -> tuple[Dataset, Dataset]:
    """(train, test) of a dataset that ships with a package or is generated: nothing downloads."""
    if name == "digits":
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise MissingToolError(
                f"the digits dataset comes with scikit-learn, which is not installed: "
                f"{TF_INSTALL_HINT}"
            ) from None

        digits = load_digits()
        x = (digits.images / 16.0).astype(np.float32)  # [N, 8, 8]: rows as time steps
        y = digits.target.astype(np.int64)
    elif name == "vowels":
        x, y = _japanese_vowels()
    elif name == "sine":
        x, y = _sine_forecast(seed)
    else:
        raise BadInputError(
            f"unknown dataset '{name}'; built-in: {', '.join(BUILTIN_DATASETS)}, or give a path"
        )
    order = np.random.default_rng(seed).permutation(len(x))
    split = int(round(len(x) * 0.8))
    train, test = order[:split], order[split:]
    return (
        Dataset(x[train], y[train], f"{name}:train"),
        Dataset(x[test], y[test], f"{name}:test"),
    )


#: The UCR/UEA archive's JapaneseVowels (speaker recognition, 9 speakers, 12 LPC cepstrum
#: coefficients per frame, 7 to 29 frames), as the sktime package ships it.
VOWELS_FILES = ("JapaneseVowels_TRAIN.ts", "JapaneseVowels_TEST.ts")
VOWELS_STEPS = 29


def _japanese_vowels() -> tuple[np.ndarray, np.ndarray]:
    """[640, 29, 12] float32 and labels 0-8: a multichannel sequence task of the kind the
    toolkit is for, from files that a package ships (read here without importing sktime,
    whose import is slow). Channels are standardized (the cepstra span different ranges, as
    sensor axes do) and short utterances are padded with zeros at the front, so that the
    recurrent state ends on real frames."""
    import importlib.util

    spec = importlib.util.find_spec("sktime")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise MissingToolError(
            "the vowels dataset comes with the sktime package, which is not installed: "
            f"{TF_INSTALL_HINT}"
        )
    root = Path(folders[0]) / "datasets" / "data" / "JapaneseVowels"
    sequences: list[np.ndarray] = []
    labels: list[int] = []
    for name in VOWELS_FILES:
        path = root / name
        if not path.is_file():
            raise MissingToolError(f"{path} is missing: reinstall sktime ({TF_INSTALL_HINT})")
        in_data = False
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower() == "@data"
                continue
            *channels, label = line.split(":")
            rows = [np.array(c.split(","), dtype=np.float64) for c in channels]
            sequences.append(np.stack(rows, axis=1))  # [t, 12]
            labels.append(int(label) - 1)
    frames = np.concatenate(sequences)
    mean, std = frames.mean(axis=0), frames.std(axis=0)
    x = np.zeros((len(sequences), VOWELS_STEPS, frames.shape[1]), dtype=np.float32)
    for i, seq in enumerate(sequences):
        x[i, VOWELS_STEPS - len(seq) :] = (seq - mean) / std
    return x, np.asarray(labels, dtype=np.int64)


def _sine_forecast(seed: int, count: int = 1500, steps: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Noisy two-tone signals; the target is the next sample (a one-step forecast)."""
    rng = np.random.default_rng(seed + 1)
    t = np.arange(steps + 1, dtype=np.float64)
    freq = rng.uniform(0.05, 0.25, size=(count, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(count, 2))
    amp = rng.uniform(0.3, 1.0, size=(count, 2))
    signal = (amp[:, :1] * np.sin(2 * np.pi * freq[:, :1] * t + phase[:, :1])) + (
        amp[:, 1:] * np.sin(2 * np.pi * freq[:, 1:] * t + phase[:, 1:])
    )
    signal += rng.normal(0, 0.02, size=signal.shape)
    x = signal[:, :steps, None].astype(np.float32)
    y = signal[:, steps:].astype(np.float32)
    return x, y


def check_output_file(path: str | Path, what: str = "-o") -> Path:
    """Refuse, before any work, an output path that cannot become a regular file.

    A folder or a device (/dev/null) at the path, or a file where a parent folder should be,
    would otherwise fail only at the end, or (a device, as root) be replaced by a file.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise BadInputError(f"{what} {path} exists and is not a regular file; give a file path")
    parent = next((p for p in path.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise BadInputError(f"{what} {path}: {parent} is a file, not a folder")
    return path


def check_output_folder(path: str | Path, what: str) -> Path:
    """Refuse, before any work, a folder path that is a file or lies under one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{what} {path} exists and is not a folder; give a folder path")
    parent = next((p for p in path.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise BadInputError(f"{what} {path}: {parent} is a file, not a folder")
    return path


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    """Write an .npz atomically: a crash never leaves a half-written file behind."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomic(path, buffer.getvalue())


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write a file through a temporary file and a rename: never half-written, never a device
    replaced; a path that cannot be written is bad input, named with the reason."""
    path = check_output_file(path, "output")
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.fchmod(fd, _new_file_mode())  # mkstemp makes 0600; the user expects what open() gives
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
