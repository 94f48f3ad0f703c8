"""export --json's memory figures against the built firmware: the ELF is the judge.

The model's constant tables (weights, folded biases, requantization tables) and its static
RAM (state and scratch) are read from the compiled model object with arm-none-eabi-nm; the
export's figures must equal them exactly, and the whole firmware must hold them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from model_zoo import tflite_path
from toolchain import require

from edge_lstm.cli import main

pytestmark = pytest.mark.toolchain


def _symbols(obj: Path) -> list[tuple[str, int, str]]:
    out = subprocess.run(
        ["arm-none-eabi-nm", "-S", str(obj)], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            rows.append((parts[3], int(parts[1], 16), parts[2]))
    return rows


def _cli(*args: str) -> dict:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{") :])


@pytest.mark.parametrize(
    ("name", "weights"), [("small", "int8"), ("stack3", "int8"), ("kws", "int8"), ("kws", "int16")]
)
def test_export_memory_figures_match_the_elf(tmp_path: Path, name: str, weights: str) -> None:
    require("arm-none-eabi-gcc")
    out = tmp_path / "fw"
    exported = _cli(
        "export", str(tflite_path(name)), "-o", str(out), "--weights", weights, "--json"
    )
    assert exported["weight_storage"] == weights
    built = _cli("build", str(out), "--json")
    symbols = [s for obj in (out / "build" / "obj" / "model").glob("*.o") for s in _symbols(obj)]
    # not counted: the kernels' parameter structs, the layer table (el_net_*, el_model_net) and
    # its run state (el_net_run_state)
    tables = sum(
        size
        for sym, size, kind in symbols
        if kind in "rR"
        and not sym.endswith("_params")
        and not sym.startswith(("el_net_", "el_model_net"))
    )
    static_ram = sum(
        size for sym, size, kind in symbols if kind in "bBdD" and not sym.startswith("el_net_")
    )
    print(
        f"{name}: weights {exported['flash_weights_bytes']} = ELF {tables}; model RAM "
        f"{exported['ram_state_bytes'] + exported['ram_scratch_bytes']} = ELF {static_ram}; "
        f"flash estimate {exported['flash_bytes']} vs ELF {built['flash_bytes']}"
    )
    assert exported["flash_weights_bytes"] == tables
    assert exported["ram_state_bytes"] + exported["ram_scratch_bytes"] == static_ram
    assert built["rodata"] >= tables and built["bss"] + built["data"] >= static_ram
    # The export's flash figure is weights plus a code estimate made before compiling (the
    # code size depends on the compiler); it must stay within 3 KB of the built image.
    assert abs(exported["flash_bytes"] - built["flash_bytes"]) <= 3 * 1024
    assert exported["ram_bytes"] >= static_ram


def test_int16_weights_double_the_lstm_weights_only(tmp_path: Path) -> None:
    """int16 storage holds the same LSTM weights sign-extended: the LSTM weight words double
    (2 bytes per padded weight instead of 1), biases and the head stay as they are."""
    narrow = _cli("export", str(tflite_path("kws")), "-o", str(tmp_path / "a"), "--json")
    wide = _cli(
        "export",
        str(tflite_path("kws")),
        "-o",
        str(tmp_path / "b"),
        "--weights",
        "int16",
        "--json",
    )
    for a, b in zip(narrow["layers"], wide["layers"], strict=True):
        if a["op"] != "lstm":
            assert a == b
            continue
        # 4 gates x H units x 4 columns per group x the input and recurrent column groups
        padded = 4 * a["hidden"] * 4 * ((a["input"] + 3) // 4 + (a["hidden"] + 3) // 4)
        assert (a["weight_bits"], b["weight_bits"]) == (8, 16)
        assert b["flash_bytes"] - a["flash_bytes"] == padded  # one more byte per weight


def test_int16_weights_refused_for_tflm(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(tflite_path("small")),
            "--runtime",
            "tflm",
            "--weights",
            "int16",
            "-o",
            str(tmp_path / "fw"),
        ],  # fmt: skip
    )
    assert result.exit_code == 2
    assert "--weights int16 is a native-engine option" in result.output
    assert not (tmp_path / "fw").exists()


@pytest.mark.tf
def test_int16_weights_that_overflow_the_flash_say_what_to_do(tmp_path: Path) -> None:
    """LSTM(256) on 64 features: 327,680 weights, 320 KiB as int8 (fits the 512 KiB of the
    nucleo-f446re), 640 KiB as int16 (does not): the build refuses it, exit 2, and names
    the storage and the option that halves it."""
    require("arm-none-eabi-gcc")
    import model_zoo

    from quantize.convert import convert_keras

    config = model_zoo.ZooConfig("big", 2, 64, (256,), head="softmax", outputs=4, seed=3)
    model = tmp_path / "big.tflite"
    model.write_bytes(
        convert_keras(model_zoo.build_keras(config), model_zoo.calibration_data(config, 8)).tflite
    )
    runner = CliRunner()
    for weights in ("int8", "int16"):
        out = tmp_path / f"fw-{weights}"
        exported = _cli(
            "export", str(model), "--board", "nucleo-f446re", "--weights", weights, "-o",
            str(out), "--json",
        )  # fmt: skip
        assert exported["weight_storage"] == weights
        assert json.loads((out / "edge_lstm.json").read_text())["weight_storage"] == weights
        run = runner.invoke(main, ["build", str(out)])
        if weights == "int8":
            assert run.exit_code == 0, run.output
        else:
            assert run.exit_code == 2, run.output
            assert "does not fit nucleo-f446re" in run.output
            assert "export again with --weights int8" in run.output
