"""benchmarks/run.py --quick: the results file it writes, and that its counts repeat exactly."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from toolchain import require

ROOT = Path(__file__).resolve().parent.parent

ROW_KEYS = {
    "model",
    "board",
    "dsp",
    "variant",
    "hidden",
    "timesteps",
    "features",
    "layers",
    "macs_per_inference",
    "instructions",
    "instructions_per_mac",
    "instructions_all_sessions",
    "repeatable",
    "cycle_unit",
    "sizes",
    "flash_bytes",
    "ram_bytes",
    "flash_weights_bytes",
    "flash_code_bytes",
    "ram_state_bytes",
    "ram_scratch_bytes",
    "engine_ram_bytes",
    "stack_reserved_bytes",
    "export_build_s",
    "link_samples_per_s",
}
TOP_KEYS = {
    "command",
    "git_commit",
    "date",
    "gcc",
    "qemu",
    "rows",
    "targets",
    "deterministic",
    "convert_s",
}


@pytest.mark.toolchain
@pytest.mark.slow
def test_quick_benchmark_is_deterministic(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "quick.json").read_text())
    assert TOP_KEYS <= result.keys()
    assert result["deterministic"] is True
    assert "arm-none-eabi-gcc" in result["gcc"] and "QEMU" in result["qemu"]
    (row,) = result["rows"]
    assert ROW_KEYS <= row.keys()
    assert row["board"] == "qemu-cortex-m4" and row["cycle_unit"] == "instructions"
    first, second = row["instructions_all_sessions"]
    assert first == second == row["instructions"] > row["macs_per_inference"] > 0
    assert row["flash_bytes"] > row["flash_weights_bytes"] > 0
    assert row["ram_bytes"] >= row["engine_ram_bytes"] + row["stack_reserved_bytes"]


def _run_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _fake_tree(root: Path, cmsis: bool) -> Path:
    from firmware_gen.tflm import CMSIS_NN_MARKER, TREE_MARKER

    markers = [TREE_MARKER, CMSIS_NN_MARKER] if cmsis else [TREE_MARKER]
    for marker in markers:
        (root / marker).parent.mkdir(parents=True, exist_ok=True)
        (root / marker).write_text("// marker\n")
    return root


def test_tflm_options_are_optional_and_checked(tmp_path: Path) -> None:
    run = _run_module()
    assert run.tflm_trees(None, None) == []  # no tree: no TFLM firmware, nothing changes
    ref = _fake_tree(tmp_path / "ref", cmsis=False)
    cmsis = _fake_tree(tmp_path / "cmsis", cmsis=True)
    trees = run.tflm_trees([ref, cmsis], None)
    assert [(t.path, t.kernels, t.label) for t in trees] == [
        (ref.resolve(), "reference", "tflm-reference"),
        (cmsis.resolve(), "cmsis-nn", "tflm-cmsis-nn"),
    ]
    assert run.tflm_trees([ref], ["cmsis-nn"])[0].kernels == "cmsis-nn"  # given beats detected
    for dirs, kernels in [
        (None, ["reference"]),
        ([tmp_path / "none"], None),
        ([ref, cmsis], ["reference", "cmsis-nn", "reference"]),
        ([ref, ref], None),
    ]:
        with pytest.raises(ValueError):
            run.tflm_trees(dirs, kernels)
    assert run.tflm_board_choice(None, ["qemu-cortex-m3", "qemu-cortex-m4"]) == ["qemu-cortex-m4"]
    assert run.tflm_board_choice(None, ["qemu-cortex-m7"]) == ["qemu-cortex-m7"]
    assert run.tflm_board_choice(["qemu-cortex-m55"], ["qemu-cortex-m4"]) == ["qemu-cortex-m55"]
    with pytest.raises(SystemExit):
        run.main(["--tflm-kernels", "reference"])  # kernels without a tree: usage error
    with pytest.raises(SystemExit):
        run.main(["--tflm-dir", str(tmp_path / "none")])  # not a TFLM tree
    with pytest.raises(SystemExit):  # --tflm-pair without one board per tree: usage error
        run.main(
            ["--tflm-dir", str(ref), str(cmsis), "--tflm-boards", "qemu-cortex-m0", "--tflm-pair"]
        )


def test_tflm_rows_sit_beside_the_native_ones() -> None:
    run = _run_module()
    native = {
        "model": "m",
        "board": "qemu-cortex-m4",
        "variant": "qemu-cortex-m4",
        "macs_per_inference": 1000,
        "instructions": 2000,
        "flash_bytes": 10,
        "ram_bytes": 20,
        "ram_used_bytes": 5,
        "stack_used_bytes": 3,
    }
    nodsp = native | {"variant": "qemu-cortex-m4-nodsp", "instructions": 3000}
    tflm = {"model": "m", "board": "qemu-cortex-m4", "instructions": 9000}
    run.compare_tflm([tflm], [native, nodsp])
    assert tflm["native_instructions"] == 2000 and tflm["ratio_to_native"] == 4.5
    assert tflm["instructions_per_mac"] == 9.0 and tflm["native_flash_bytes"] == 10
