"""The TFLM arena derivation against the real host runtime and against hand-derived plans."""

from __future__ import annotations

import pytest
from model_zoo import CONFIGS, tflite_path

from quantize import arena
from quantize.inspect import host_minimum, host_probe
from quantize.tflite_ir import read_model


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


@pytest.mark.parametrize("name", ["small", "stack3"])
def test_host_min_works_and_16_bytes_less_does_not(name: str) -> None:
    path = tflite_path(name)
    found = host_minimum(path, read_model(path))
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
    odd = replace(model, operators=(replace(model.operators[0], opcode="CONV_2D"),))
    with pytest.raises(Exception, match="cannot derive a TFLM arena size"):
        arena.cortex_m_figure(odd)
