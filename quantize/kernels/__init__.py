"""The numpy reference kernels, one module per op family.

Every kernel has the signature of ``quantize.kernels.common.OpFn``: it reads its inputs from the
environment of computed tensors, computes TFLite Micro's integers (or LiteRT's, for the other
activation variants) for all N samples at once, and stores its output. ``quantize.ops`` lists
which kernel runs which opcode.
"""
