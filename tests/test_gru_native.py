"""GRU and SimpleRNN in the native C engine: every output byte equal to the numpy reference.

TFLite Micro has no GRU, so the golden here is the reference of quantize/gru_reference.py, which
tests/test_gru_integer.py checks against a scalar integer implementation written from
docs/integer_gru.md and against float Keras. The models are those of tests/test_gru_custom.py
(GRU with reset_after True and False, SimpleRNN, stacked, mixed with LSTM, sequence output);
each runs on the host under the strict flags and the sanitizers (whole sequences and the
streaming step() API), and on the emulated Cortex-M0, M3, M4 and M55 through the UART (300
inputs). tests/test_gru_boards.py adds the edge sizes and the Cortex-M4 built without DSP.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from firmware_cache import firmware_from
from model_zoo import CACHE_DIR, raw_int8_inputs
from test_gru_custom import MODELS, converted
from test_native import SANITIZE, _build_host, _run_host
from toolchain import require

from firmware_gen import native
from quantize.reference import run_reference
from quantize.tflite_ir import parse_model

pytestmark = pytest.mark.tf


def _model_and_inputs(name: str, count: int = 300) -> tuple[bytes, np.ndarray, np.ndarray]:
    data = converted(name)
    model = parse_model(data)
    x = raw_int8_inputs((count, *model.input.shape[1:]), 11)  # type: ignore[arg-type]
    x[0], x[1] = 127, -128
    return data, x, run_reference(model, x).reshape(count, -1)


@pytest.mark.parametrize("name", list(MODELS))
def test_host_engine_equals_reference(name: str, tmp_path: Path) -> None:
    require("gcc")
    data, x, want = _model_and_inputs(name)
    native.generate(parse_model(data), tmp_path)
    for flags, tag in (([], "strict"), (SANITIZE, "sanitizers")):
        invoked, streamed = _run_host(_build_host(tmp_path, flags, f"{name}-{tag}"), x)
        for what, got in (("invoke", invoked), ("step", streamed)):
            mismatches = int(np.count_nonzero(got.reshape(want.shape) != want))
            print(f"{name} {tag} {what}: {mismatches} mismatching bytes of {want.size}")
            assert mismatches == 0


@pytest.mark.toolchain
@pytest.mark.parametrize(
    "board_name", ["qemu-cortex-m0", "qemu-cortex-m3", "qemu-cortex-m4", "qemu-cortex-m55"]
)
def test_emulated_boards_equal_reference(board_name: str) -> None:
    from edge_lstm.harness.device import Device
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    name = "gru-rnn-dense"  # GRU (reset_after) -> SimpleRNN -> Dense x 2
    data, x, want = _model_and_inputs(name)
    model_path = CACHE_DIR / "gru-native" / f"{name}.tflite"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(data)
    elf = firmware_from(model_path, CACHE_DIR / "gru-native" / f"{name}-{board_name}", board_name)
    board = get_board(board_name)
    with QemuBoard(elf, board) as runner, Device(runner.port) as device:
        device.hello()
        outputs, counts = zip(*(device.infer(sample) for sample in x), strict=True)
        again = [device.infer(x[i])[1] for i in range(4)]
    got = np.stack(outputs).reshape(want.shape)
    mismatches = int(np.count_nonzero(got != want))
    print(f"{name} on {board_name}: {mismatches} mismatching bytes of {want.size}, "
          f"{counts[0]} instructions per inference")  # fmt: skip
    assert mismatches == 0
    assert list(counts[:4]) == again  # exact, repeatable instruction counts
