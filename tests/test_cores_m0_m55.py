"""The LSTM's Armv6-M routine (Cortex-M0, el_lstm_units_armv6m.c) and Helium dot products
(Cortex-M55, el_lstm_units_mve.c) on the emulated boards, through validate over the UART.

300 sequences per model (all-max, all-min, then half uniform over the int8 range, half near
zero) go to the firmware; validate compares every output byte with the numpy reference, and the
test compares them again with the TFLite Micro runtime, which does not pass through edge-lstm's
code. The models cover every column-group count the two routines treat apart: Helium reads four
groups per VLD4 and gathers a tail of one to three (imu: 2 input groups, 8 recurrent; odd: 4
and 9; raw: 1 and 3), and both sum scalings (imu, odd: the short forms' doubled sums; raw: the
general path's undoubled ones). About 7 s per test, mostly the build and the UART exchange.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from firmware_cache import firmware
from model_zoo import inputs_int8, tflite_bytes, tflite_path, tflm_outputs, zoo_config
from toolchain import require

from edge_lstm.data import load_data
from edge_lstm.validate import validate
from targets.qemu import QemuBoard
from targets.registry import get_board

pytestmark = pytest.mark.toolchain

MODELS = ["imu", "odd", "raw"]
#: the symbol each board's firmware must link for its path to have run
ROUTINE = {
    "qemu-cortex-m0": "el_lstm_gates_dot_armv6m",
    "qemu-cortex-m55": "el_lstm_unit_dots_mve",
}


def _symbols(elf: Path) -> set[str]:
    out = subprocess.run(
        [require("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@pytest.mark.parametrize("board_name", sorted(ROUTINE))
@pytest.mark.parametrize("name", MODELS)
def test_validate_300_sequences_bit_exact(name: str, board_name: str, tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    x = inputs_int8(zoo_config(name), 300)
    x[0] = 127
    x[1] = -128
    np.savez(tmp_path / "x.npz", x=x)
    elf = firmware(name, board_name)
    assert ROUTINE[board_name] in _symbols(elf)
    with QemuBoard(elf, get_board(board_name)) as runner:
        report, outputs = validate(
            tflite_path(name), load_data(tmp_path / "x.npz"), [runner.port], progress=False
        )
    golden = tflm_outputs(tflite_bytes(name), x).reshape(len(x), -1)
    mismatches = int(np.count_nonzero(outputs.reshape(golden.shape) != golden))
    print(f"{name} {board_name}: {mismatches} of {golden.size} bytes differ from TFLM")
    assert report.samples == 300
    assert report.mismatched_bytes == 0
    assert mismatches == 0
