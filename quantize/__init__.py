"""Keras -> int8 .tflite with fused LSTMs, the TensorFlow-free IR, and the bit-exact reference."""
