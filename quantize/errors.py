"""Errors of the quantize package, each carrying the CLI exit code it maps to.

The package must not import edge_lstm (imports run one way), so it declares its own error
types; the CLI turns any exception with an ``exit_code`` class attribute into a one-line message.
"""

from __future__ import annotations


class QuantizeError(Exception):
    exit_code = 2


class UnsupportedModelError(QuantizeError):
    """The Keras model uses a layer or option that edge-lstm cannot turn into fused int8 ops."""


class BadModelFileError(QuantizeError):
    """A .tflite (or Keras) file that cannot be read: truncated, random or structurally broken."""


class BadDataError(QuantizeError):
    """A data file with the wrong shape, dtype, or non-finite values."""


class ConversionError(QuantizeError):
    """The TFLite converter failed or produced ops that edge-lstm does not accept."""
