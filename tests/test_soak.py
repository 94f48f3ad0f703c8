"""A short run of the soak (benchmarks/soak.py): one session through the noisy line, with one
cut and a real system_reset of the emulated board, every output byte against the TFLite Micro
runtime, host memory flat. The long run (10,000 samples) is recorded in
benchmarks/results/soak.json; this one keeps the script working."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from toolchain import require

pytestmark = [pytest.mark.toolchain, pytest.mark.slow]

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "soak.py"


def test_a_short_soak_is_bit_exact_with_flat_memory() -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    spec = importlib.util.spec_from_file_location("edge_lstm_soak", SOAK)
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = soak
    spec.loader.exec_module(soak)
    doc = soak.soak(300, model="small", echo=lambda line: None)
    print({k: v for k, v in doc.items() if k != "checkpoints"})
    assert doc["samples"] == 300
    assert doc["mismatched_bytes"] == 0 and doc["mismatched_samples"] == 0
    assert doc["resets_done"] == 1 and doc["faults"]["outages"] == 1
    faults = doc["faults"]
    damaged = faults["dropped"] + faults["duplicated"] + faults["corrupted"]
    assert damaged >= 0.005 * faults["bytes"]
    link = doc["link"]
    assert link["retries"] > 0 and link["bad_frames"] > 0
    # Host memory: the Python heap stays small and RSS does not grow with the samples.
    assert doc["traced_kb_peak"] < 4096
    assert doc["rss_kb_end"] - doc["rss_kb_start"] < 16 * 1024
    assert doc["per_sample_last"]["median_ms"] < 10 * doc["per_sample_first"]["median_ms"]
