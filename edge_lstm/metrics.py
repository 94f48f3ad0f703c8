"""Accuracy and error figures shared by quantize, validate, run and demo."""

from __future__ import annotations

import numpy as np


def dequantize(y_int8: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return ((y_int8.astype(np.float32) - zero_point) * scale).astype(np.float32)


def _last_step(y: np.ndarray) -> np.ndarray:
    """Sequence outputs [N, T, K] are scored on their last step, like a forecast."""
    return y[:, -1, :] if y.ndim == 3 else y.reshape(len(y), -1)


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(_last_step(outputs), axis=-1) == labels))


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of samples where two output sets pick the same class."""
    return float(np.mean(np.argmax(_last_step(a), axis=-1) == np.argmax(_last_step(b), axis=-1)))


def mean_abs_error(outputs: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean(np.abs(_last_step(outputs) - targets.reshape(len(targets), -1))))


def score(outputs: np.ndarray, y: np.ndarray | None) -> dict[str, float]:
    """Accuracy for labels, mean abs error for regression targets, nothing without y."""
    if y is None:
        return {}
    if y.ndim == 1:
        return {"accuracy": accuracy(outputs, y)}
    return {"mae": mean_abs_error(outputs, y)}
