"""GRU and SimpleRNN at the edges of their sizes, and on every emulated core: every output byte of
the host C engine (300 inputs) and of the firmware in QEMU (100 of them) equal to the numpy
reference.

The golden is quantize/gru_reference.py (TFLite Micro has no GRU), which tests/test_gru_integer.py
checks against a scalar implementation written from docs/integer_gru.md and against float Keras.
The models here add to those of tests/test_gru_custom.py (GRU reset_after True and False,
SimpleRNN, stacked, mixed with LSTM, both orders) the sizes the kernel's packing and loops turn
on: hidden 1 (three padded rows per block), features 1 (a single column group, padded), T 1;
hidden 128 with 40 features and reset_after False (the r x h pass over 32 column groups); T 128
with a SimpleRNN calibrated on a narrow range (spread 0.05; the test inputs span the whole int8
range, about 4.6 calibration spreads).

The boards are the plain C path (Cortex-M0), the Armv7-M assembly (Cortex-M3), the DSP
assembly (Cortex-M4) and an Armv8.1-M core (Cortex-M55), 100 of the inputs on each. Each
firmware is built once; the board runs take about a minute in all (marked slow).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import model_zoo
import numpy as np
import pytest
from model_zoo import CACHE_DIR, raw_int8_inputs
from test_gru_custom import converted
from test_native import SANITIZE, _build_host, _run_host
from toolchain import require

from firmware_gen import native
from quantize.reference import run_reference
from quantize.tflite_ir import parse_model

pytestmark = pytest.mark.tf

# name -> (T, features, calibration spread, layers: (class, units, keyword arguments))
EDGE_MODELS: dict[str, tuple[int, int, float, list[tuple[str, int, dict[str, Any]]]]] = {
    "gru-h1-f1-t1": (1, 1, 1.0, [("GRU", 1, {})]),
    "gru-h128-f40-t4-ra0": (4, 40, 1.0, [("GRU", 128, {"reset_after": False}), ("Dense", 4, {})]),
    "rnn-h33-f3-t128-narrow": (128, 3, 0.05, [("SimpleRNN", 33, {})]),
}
# the models of tests/test_gru_custom.py run here on the boards as well
CUSTOM_ON_BOARDS = ["gru-lstm", "lstm-gru"]
COUNT = 300

# on the boards, the first BOARD_COUNT inputs (the saturating ones among them): each is a serial
# round trip, and every byte of all COUNT is compared on the host engine above
BOARD_COUNT = 100

# board variants: (board, extra compiler flags). A Cortex-M4 built with -DEL_USE_DSP=0 selects
# the Armv7-M assembly that the Cortex-M3 runs (the same preprocessor branch), so the M3 is
# its board here.
BOARDS = {
    "qemu-cortex-m0": "",
    "qemu-cortex-m3": "",
    "qemu-cortex-m4": "",
    "qemu-cortex-m55": "",
}


def edge_model(name: str) -> bytes:
    """The converted model, from tests/models when committed, else converted and cached."""
    from quantize.custom_recurrent import convert_with_custom_recurrent

    steps, features, spread, layers = EDGE_MODELS[name]
    key = hashlib.sha256(json.dumps(EDGE_MODELS[name], sort_keys=True).encode()).hexdigest()[:12]

    def make() -> bytes:
        import tf_keras as k

        k.utils.set_random_seed(0)
        model = k.Sequential(
            [k.Input(shape=(steps, features))]
            + [getattr(k.layers, cls)(units, **kw) for cls, units, kw in layers]
        )
        rng = np.random.default_rng(0)
        calib = (spread * rng.standard_normal((100, steps, features))).astype(np.float32)
        return convert_with_custom_recurrent(model, calib)

    return model_zoo.cached_model("gru-boards", f"{name}-{key}.tflite", make).read_bytes()


def model_bytes(name: str) -> bytes:
    return edge_model(name) if name in EDGE_MODELS else converted(name)


def model_and_inputs(name: str) -> tuple[bytes, np.ndarray, np.ndarray]:
    data = model_bytes(name)
    model = parse_model(data)
    x = raw_int8_inputs((COUNT, *model.input.shape[1:]), 13)  # type: ignore[arg-type]
    x[0], x[1] = 127, -128
    return data, x, run_reference(model, x).reshape(COUNT, -1)


@pytest.mark.parametrize("name", list(EDGE_MODELS))
def test_host_engine_equals_reference(name: str, tmp_path: Path) -> None:
    require("gcc")
    data, x, want = model_and_inputs(name)
    native.generate(parse_model(data), tmp_path)
    for flags, tag in (([], "strict"), (SANITIZE, "sanitizers")):
        invoked, streamed = _run_host(_build_host(tmp_path, flags, f"{name}-{tag}"), x)
        for what, got in (("invoke", invoked), ("step", streamed)):
            mismatches = int(np.count_nonzero(got.reshape(want.shape) != want))
            print(f"{name} {tag} {what}: {mismatches} mismatching bytes of {want.size}")
            assert mismatches == 0


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.parametrize("variant", list(BOARDS))
@pytest.mark.parametrize("name", list(EDGE_MODELS) + CUSTOM_ON_BOARDS)
def test_emulated_boards_equal_reference(name: str, variant: str) -> None:
    from edge_lstm.export import export_project
    from edge_lstm.harness.device import Device
    from targets.build import build_project
    from targets.project import OPT
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    board_name = variant.removesuffix("-nodsp")
    data, x, want = model_and_inputs(name)
    x, want = x[:BOARD_COUNT], want[:BOARD_COUNT]
    folder = CACHE_DIR / "gru-boards"
    model_path = folder / f"{name}.tflite"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(data)
    exported = export_project(model_path, board_name, folder / f"{name}-{variant}")
    elf = build_project(exported.out_dir, opt=f"{OPT} {BOARDS[variant]}".strip()).elf
    with QemuBoard(elf, get_board(board_name)) as runner, Device(runner.port) as device:
        device.hello()
        outputs, counts = zip(*(device.infer(sample) for sample in x), strict=True)
    got = np.stack(outputs).reshape(want.shape)
    mismatches = int(np.count_nonzero(got != want))
    print(f"{name} on {variant}: {mismatches} mismatching bytes of {want.size}, "
          f"{counts[2]} instructions per inference")  # fmt: skip
    assert mismatches == 0
