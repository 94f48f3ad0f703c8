"""Front ends and heads around the LSTM: converted through quantize, bit-exact with TFLite Micro.

For every architecture of tests/arch_zoo.py (Conv1D and pooling front ends, BatchNormalization,
Normalization, Bidirectional LSTMs, pooling and per-step heads, sigmoid/tanh heads) the
conversion must hold one fused LSTM per direction and no WHILE, and the numpy reference must
give TFLite Micro's bytes on 300 inputs, saturating ones included. TFLM is the independent
golden: the test's TFLM call does not go through the code under test (model_zoo.tflm_outputs).
"""

from __future__ import annotations

import numpy as np
import pytest
from arch_zoo import ARCHS, arch_tflite_path, inputs_int8
from model_zoo import tflm_outputs

from quantize.reference import run_reference
from quantize.tflite_ir import read_model

pytestmark = pytest.mark.tf


@pytest.mark.parametrize("name", list(ARCHS))
def test_architecture_converts_to_fused_ops(name: str) -> None:
    arch = ARCHS[name]
    model = read_model(arch_tflite_path(name))
    ops = model.opcodes
    print(name, ops)
    assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == arch.lstm_ops
    assert "WHILE" not in ops and not any(op.startswith("CUSTOM") for op in ops)
    assert arch.expect_ops <= set(ops), sorted(arch.expect_ops - set(ops))
    assert model.input.dtype == "int8" and model.output.dtype == "int8"
    assert model.input.shape == (1, arch.timesteps, arch.features)


@pytest.mark.parametrize("name", list(ARCHS))
def test_architecture_reference_equals_tflm(name: str) -> None:
    arch = ARCHS[name]
    path = arch_tflite_path(name)
    x = inputs_int8(arch, 300)
    want = tflm_outputs(path.read_bytes(), x)
    got = run_reference(read_model(path), x)
    mismatches = int(np.count_nonzero(got.reshape(want.shape) != want))
    print(f"{name}: {mismatches} mismatching bytes of {want.size} vs TFLM ({len(x)} inputs)")
    assert mismatches == 0
