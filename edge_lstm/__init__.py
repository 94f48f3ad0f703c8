"""edge-lstm: Keras LSTMs onto Cortex-M microcontrollers, bit-exact with TFLite Micro."""

__version__ = "0.1.0"
