"""The TFLM arena derivation against the real host runtime and against hand-derived plans.

The golden is the tflite-micro host runtime: with the host structure sizes, the replay must
predict its smallest working arena to the byte (it works there, fails one byte below) for the
LSTM zoo, for every architecture of tests/arch_zoo.py (Conv1D front ends, pooling, Bidirectional
LSTMs, pooling and sigmoid/tanh heads) and for the tests/test_kernels_tflm.py models that bring
the remaining ops; together they exercise every op the replay covers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from arch_zoo import ARCHS, arch_tflite_path
from model_zoo import CONFIGS, tflite_path
from test_kernels_tflm import tflite_bytes as kernel_tflite_bytes

from quantize import arena
from quantize.inspect import host_minimum, host_probe
from quantize.ir import Model, Operator
from quantize.tflite_ir import parse_model, read_model

# test_kernels_tflm models that bring ops the architectures do not have (QUANTIZE, DEQUANTIZE,
# RELU, RELU6, PAD, AVERAGE_POOL_2D, DEPTHWISE_CONV_2D with per-channel and per-tensor weights)
KERNEL_MODELS = (
    "activations",
    "branches",
    "conv_causal_avgpool",
    "depthwise_separable",
    "float_output",
    "per_tensor",
    "strided",
)
FRONT_ENDS_AND_HEADS = (*sorted(ARCHS), *KERNEL_MODELS)


def _path(name: str, tmp_path: Path) -> Path:
    """The .tflite of a zoo, architecture or kernel-test model (converted on first use)."""
    if name in CONFIGS:
        return tflite_path(name)
    if name in ARCHS:
        return arch_tflite_path(name)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(kernel_tflite_bytes(name))
    return path


def test_greedy_plan_matches_a_hand_layout() -> None:
    # a (32 B, live 0-1) and b (48 B, live 1-2) overlap at time 1; c (16 B, live 2-3) does not
    # overlap a. Largest first: b at 0, a above b at 48, c must avoid b (live at 2) -> 48.
    plan = arena.greedy_plan([(32, 0, 1), (48, 1, 2), (16, 2, 3)])
    offsets = [buffer[3] for buffer in plan.buffers]
    assert offsets == [48, 0, 48]
    assert plan.peak_bytes == 80


def test_greedy_plan_reuses_memory_of_dead_buffers() -> None:
    plan = arena.greedy_plan([(64, 0, 1), (64, 2, 3), (64, 4, 5)])
    assert plan.peak_bytes == 64


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_replay_predicts_the_host_runtime_minimum_exactly(name: str) -> None:
    path = tflite_path(name)
    predicted = arena.host_replay_minimum(read_model(path))
    assert host_probe(path, predicted) is not None, f"{name}: fails at the predicted {predicted}"
    assert host_probe(path, predicted - 1) is None, f"{name}: also works at {predicted - 1}"


@pytest.mark.parametrize("name", FRONT_ENDS_AND_HEADS)
def test_replay_predicts_the_host_minimum_of_front_ends_and_heads(
    name: str, tmp_path: Path
) -> None:
    path = _path(name, tmp_path)
    predicted = arena.host_replay_minimum(read_model(path))
    assert host_probe(path, predicted) is not None, f"{name}: fails at the predicted {predicted}"
    assert host_probe(path, predicted - 1) is None, f"{name}: also works at {predicted - 1}"


def test_the_host_checked_models_exercise_every_op_the_replay_covers(tmp_path: Path) -> None:
    seen: set[str] = set()
    for name in (*sorted(CONFIGS), *FRONT_ENDS_AND_HEADS):
        seen |= set(read_model(_path(name, tmp_path)).opcodes)
    assert set(arena.SUPPORTED_OPS) - seen == set()


@pytest.mark.parametrize(
    "name", ["small", "stack3", "conv-pool-lstm", "bilstm-concat", "activations"]
)
def test_host_min_works_and_16_bytes_less_does_not(name: str, tmp_path: Path) -> None:
    path = _path(name, tmp_path)
    found = host_minimum(path, read_model(path))
    assert found.bytes == found.predicted
    assert host_probe(path, found.bytes) is not None
    assert host_probe(path, found.bytes - 16) is None


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_cortex_m_figures_keep_the_measured_relations(name: str) -> None:
    model = read_model(tflite_path(name))
    host = arena.host_replay_minimum(model)
    reference = arena.cortex_m_figure(model, "reference")
    cmsis = arena.cortex_m_figure(model, "cmsis-nn")
    # 32-bit pointers make every structure smaller than on the 64-bit host
    assert reference.minimum < host
    # CMSIS-NN keeps 8 int32[H] kernel sums per LSTM layer on top of the reference needs
    kernel_sums = sum(8 * 4 * h for h in CONFIGS[name].hidden)
    assert cmsis.minimum - reference.minimum >= kernel_sums
    for figure in (reference, cmsis):
        assert figure.bytes % 16 == 0
        assert figure.bytes - figure.minimum >= max(
            arena.MARGIN_MIN_BYTES, figure.minimum * arena.MARGIN_FRACTION
        )
        assert arena.fits(model, figure.minimum, arena.SIZES_CORTEX_M, kernels=figure.kernels)
        assert not arena.fits(
            model, figure.minimum - 1, arena.SIZES_CORTEX_M, kernels=figure.kernels
        )


def test_state_tensors_are_persistent_and_counted() -> None:
    # stack2: two layers, h int8 [1, H] and c int16 [1, H], each 16-byte aligned in the tail
    model = read_model(tflite_path("stack2"))
    minimum = arena.minimum_arena(model, arena.SIZES_CORTEX_M)
    replayed = arena.replay(model, minimum, arena.SIZES_CORTEX_M)
    expected = sum(-(-h // 16) * 16 + -(-2 * h // 16) * 16 for h in CONFIGS["stack2"].hidden)
    assert replayed.variable_bytes == expected


def test_unsupported_ops_are_refused_not_guessed() -> None:
    from dataclasses import replace

    model = read_model(tflite_path("tiny"))
    odd = replace(model, operators=(replace(model.operators[0], opcode="GATHER"),))
    with pytest.raises(Exception, match="cannot derive a TFLM arena size"):
        arena.cortex_m_figure(odd)


@pytest.mark.parametrize("name", FRONT_ENDS_AND_HEADS)
def test_cortex_m_figures_of_front_ends_and_heads(name: str, tmp_path: Path) -> None:
    model = read_model(_path(name, tmp_path))
    host = arena.host_replay_minimum(model)
    reference = arena.cortex_m_figure(model, "reference")
    cmsis = arena.cortex_m_figure(model, "cmsis-nn")
    assert reference.minimum < host  # 32-bit pointers: every structure is smaller
    # CMSIS-NN: larger FC/softmax op data, LSTM kernel sums, conv and pooling scratch buffers
    assert cmsis.minimum > reference.minimum
    for figure in (reference, cmsis):
        assert arena.fits(model, figure.minimum, arena.SIZES_CORTEX_M, kernels=figure.kernels)
        assert not arena.fits(
            model, figure.minimum - 1, arena.SIZES_CORTEX_M, kernels=figure.kernels
        )


def _scratch(model: Model, op: Operator, **build: bool) -> list[int]:
    steps = arena.prepare_steps(model, op, "cmsis-nn", **build)
    return [value for step, value in steps if step == "scratch"]


def test_cmsis_nn_conv_scratch_follows_arm_convolve_wrapper_s8_get_buffer_size() -> None:
    model = read_model(arch_tflite_path("conv-pool-lstm"))
    conv = next(op for op in model.operators if op.opcode == "CONV_2D")
    assert model.tensors[conv.inputs[1]].shape == (8, 1, 3, 6)  # Conv1D(8, 3) on 6 features
    # DSP (and no-DSP): two int16 im2col rows of 3 * 6 = 18 columns, rounded up to 20
    assert _scratch(model, conv) == [2 * 20 * 2]
    # Helium: 6 channels at stride 1 are not a multiple of 4, so the general case: four int8
    # im2col buffers of 18 columns rounded up to 32
    assert _scratch(model, conv, mve=True) == [4 * 32]
    steps = arena.prepare_steps(model, conv, "reference")
    assert [s for s in steps if s[0] != "temp"] == [("persistent", 32), ("persistent", 32)]
    assert sum(s[0] == "temp" for s in steps) == 7  # output, input, filter; then with the bias


def test_cmsis_nn_depthwise_and_avgpool_scratch_depend_on_the_core() -> None:
    model = parse_model(kernel_tflite_bytes("depthwise_separable"))
    dw_mult, dw_sep = (op for op in model.operators if op.opcode == "DEPTHWISE_CONV_2D")
    pointwise = next(op for op in model.operators if op.opcode == "CONV_2D")
    pool = next(op for op in model.operators if op.opcode == "AVERAGE_POOL_2D")
    # depth_multiplier 2: input and output channels differ, no optimized kernel, no buffer
    assert _scratch(model, dw_mult) == _scratch(model, dw_mult, mve=True) == []
    # SeparableConv1D's depthwise part, 8 channels, 3 taps (not 3x3): int16 im2col on DSP,
    # nothing without DSP, CH_IN_BLOCK_MVE (124) * 4 * taps on Helium
    assert _scratch(model, dw_sep) == [8 * 3 * 2]
    assert _scratch(model, dw_sep, dsp=False) == []
    assert _scratch(model, dw_sep, mve=True) == [4 * 124 * 3]
    assert _scratch(model, pointwise) == []  # 1x1 convolution: no buffer with GCC
    assert _scratch(model, pool) == [6 * 4]  # int32 sum per channel on DSP
    assert _scratch(model, pool, dsp=False) == _scratch(model, pool, mve=True) == []
