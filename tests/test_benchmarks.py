"""benchmarks/run.py --quick: the results file it writes, and that its counts repeat exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from toolchain import require

ROOT = Path(__file__).resolve().parent.parent

ROW_KEYS = {
    "model", "board", "dsp", "variant", "hidden", "timesteps", "features", "layers",
    "macs_per_inference", "instructions", "instructions_per_mac", "instructions_all_sessions",
    "repeatable", "cycle_unit", "sizes", "flash_bytes", "ram_bytes", "flash_weights_bytes",
    "flash_code_bytes", "ram_state_bytes", "ram_scratch_bytes", "engine_ram_bytes",
    "stack_reserved_bytes", "export_build_s", "link_samples_per_s",
}
TOP_KEYS = {"command", "git_commit", "date", "gcc", "qemu", "rows", "targets", "deterministic",
            "convert_s"}


@pytest.mark.toolchain
@pytest.mark.slow
def test_quick_benchmark_is_deterministic(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    pytest.importorskip("tf_keras")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=ROOT, check=False,
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
