"""Errors of the quantize package.

They derive from the one base in ``edge_lstm_errors`` (a module that imports nothing, so
quantize still imports no other edge-lstm package) and carry the exit code the CLI uses.
"""

from __future__ import annotations

from edge_lstm_errors import TF_INSTALL_HINT, BadInputError, MissingToolError

__all__ = [
    "BadDataError",
    "BadModelFileError",
    "ConversionError",
    "MissingToolError",
    "QuantizeError",
    "TF_INSTALL_HINT",
    "UnsupportedModelError",
]


class QuantizeError(BadInputError):
    """A model or data set that quantize cannot take as given: exit 2."""


class UnsupportedModelError(QuantizeError):
    """The Keras model uses a layer or option that edge-lstm cannot turn into fused int8 ops."""


class BadModelFileError(QuantizeError):
    """A .tflite (or Keras) file that cannot be read: truncated, random or structurally broken."""


class BadDataError(QuantizeError):
    """A data file with the wrong shape, dtype, or non-finite values."""


class ConversionError(QuantizeError):
    """The TFLite converter failed or produced ops that edge-lstm does not accept."""
