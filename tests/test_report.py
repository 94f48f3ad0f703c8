"""Reports: JSON round trip, the numbers in report.md and the table, and what each plot draws."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge_lstm import report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def validation_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "samples": 120,
        "mismatched_samples": 3,
        "mismatched_bytes": 7,
        "max_abs_lsb": 2,
        "tolerance_lsb": 0,
        "device_accuracy": 0.875,
        "float_accuracy": 0.9125,
        "int8_accuracy": 0.9,
        "cycles": {"min": 123_000, "median": 123_456, "max": 130_001},
        "cycle_unit": "instructions",
        "retries": 1,
        "link": {
            "frames_sent": 121,
            "frames_received": 120,
            "retries": 1,
            "timeouts": 1,
            "bad_frames": 0,
            "link_errors": 0,
            "stale_frames": 0,
        },
        "samples_per_second": 41.5,
        "seconds": 2.9,
        "board": "qemu-cortex-m4",
        "runtime": "native",
        "model_sha256": "0123456789abcdef" * 4,
        "ram_bytes": 2_345,
        "devices": 1,
        "reference": "tflm",
        "mismatch_indices": [4, 17, 99],
        "passed": False,
    }
    doc.update(overrides)
    return doc


def run_summary(**overrides: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "board": "qemu-cortex-m4",
        "runtime": "native",
        "validate": validation_doc(),
        "stages": [
            {"name": "quantize", "seconds": 4.25},
            {"name": "export", "seconds": 0.5},
            {"name": "build", "seconds": 3.75},
        ],
        "memory": {
            "flash_bytes": 61_000,
            "ram_bytes": 12_288,
            "text": 20_000,
            "rodata": 40_000,
            "data": 1_000,
            "bss": 7_192,
            "stack": 4_096,
            "weights_bytes": 35_000,
        },
        "model": {
            "path": "work/model.tflite",
            "sha256": "0123456789abcdef" * 4,
            "ops": ["UNIDIRECTIONAL_SEQUENCE_LSTM", "FULLY_CONNECTED", "SOFTMAX"],
            "macs": 61_728,
        },
    }
    summary.update(overrides)
    return summary


def run_arrays(n: int = 60, k: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    y_float = rng.random((n, k)).astype(np.float32)
    y_host = (np.round(y_float * 256) / 256).astype(np.float32)
    return {
        "y_float": y_float,
        "y_int8_host": y_host,
        "y_device": y_host.copy(),
        "y": rng.integers(0, k, n),
    }


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_plausible_png(path: Path) -> None:
    assert path.stat().st_size > 2_000, f"{path.name} is nearly empty"
    width, height = png_size(path)
    assert 200 <= width <= 4_000 and 100 <= height <= 4_000, (path.name, width, height)


# --- validation report ---------------------------------------------------------------------------


def test_validation_report_json_round_trips(tmp_path: Path) -> None:
    doc = validation_doc(extra_note="kept as given")
    paths = report.write_validation_report(tmp_path / "rep", doc)
    assert [p.name for p in paths] == ["report.json", "report.md"]
    assert json.loads((tmp_path / "rep" / "report.json").read_text()) == doc


def test_validation_report_markdown_has_the_numbers(tmp_path: Path) -> None:
    report.write_validation_report(tmp_path, validation_doc())
    md = (tmp_path / "report.md").read_text()
    assert "| mismatching samples | 3 |" in md
    assert "| mismatching bytes | 7 |" in md
    assert "2 LSB (tolerance 0)" in md
    assert "87.50%" in md and "91.25%" in md and "90.00%" in md
    assert "123,000 / 123,456 / 130,001" in md
    assert "instructions per inference" in md
    assert "FAIL" in md
    assert "4, 17, 99" in md
    assert "| link: timeouts | 1 |" in md


def test_validation_report_handles_missing_accuracy_and_numpy_values(tmp_path: Path) -> None:
    doc = validation_doc(
        device_accuracy=None,
        float_accuracy=None,
        int8_accuracy=None,
        mismatched_samples=np.int64(0),
        samples_per_second=float("nan"),
        passed=True,
    )
    report.write_validation_report(tmp_path, doc)
    md = (tmp_path / "report.md").read_text()
    assert "| device accuracy | - |" in md
    assert "PASS" in md
    loaded = json.loads((tmp_path / "report.json").read_text())
    assert loaded["mismatched_samples"] == 0
    assert loaded["samples_per_second"] is None  # strict JSON has no NaN


def test_report_files_are_replaced_without_leftovers(tmp_path: Path) -> None:
    report.write_validation_report(tmp_path, validation_doc())
    report.write_validation_report(tmp_path, validation_doc(mismatched_samples=5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]
    assert json.loads((tmp_path / "report.json").read_text())["mismatched_samples"] == 5


# --- summary table -------------------------------------------------------------------------------


def test_summary_table_rows() -> None:
    text = report.format_summary_table(run_summary())
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "91.25%" in lines["float accuracy"]
    assert "90.00%" in lines["int8 host accuracy"]
    assert "87.50%" in lines["device accuracy"]
    assert "3 / 7" in lines["mismatching samples / bytes"]
    assert "123,456" in lines["instructions per inference (median)"]
    assert "61,728" in lines["MACs per inference"]
    assert "2.00" in lines["instructions per MAC"]  # 123,456 / 61,728
    assert "61,000 B" in lines["flash"] and "35,000 B" in lines["flash"]
    assert "12,288 B" in lines["RAM"]
    assert "4.2 s" in lines["time: quantize"] or "4.3 s" in lines["time: quantize"]
    assert "3.8 s" in lines["time: build"]
    assert "8.5 s" in lines["time: total"]


def test_summary_table_with_nothing_known() -> None:
    summary = {
        "validate": validation_doc(
            device_accuracy=None, float_accuracy=None, int8_accuracy=None, cycles={}
        ),
        "stages": [],
        "memory": {},
        "model": {"macs": None},
    }
    text = report.format_summary_table(summary)
    lines = {line.split("  ")[0]: line.split()[-1] for line in text.splitlines()}
    for row in ("float accuracy", "device accuracy", "flash", "RAM", "MACs per inference"):
        assert lines[row] == "-", text
    assert "per MAC" not in text
    assert report.format_summary_table({})  # an empty summary still prints a table


def test_summary_table_shows_regression_error() -> None:
    doc = validation_doc(device_accuracy=None, device_score={"mae": 0.0123})
    text = report.format_summary_table(run_summary(validate=doc))
    assert "device mean abs error" in text and "0.0123" in text


# --- run report ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """One report with every plot, shared: drawing them all is the slow part of these tests."""
    folder = tmp_path_factory.mktemp("run")
    summary = run_summary()
    return folder, report.write_run_report(folder, summary, run_arrays())


ALL_PLOTS = {
    "outputs.png",
    "confusion.png",
    "activations.png",
    "memory.png",
    "stages.png",
}


def test_run_report_writes_every_plot(full_run: tuple[Path, list[Path]]) -> None:
    folder, paths = full_run
    names = [p.name for p in paths]
    assert names[:2] == ["report.json", "report.md"]
    assert set(names[2:]) == ALL_PLOTS
    for path in paths[2:]:
        assert path.parent == folder
        assert_plausible_png(path)


def test_run_report_json(full_run: tuple[Path, list[Path]]) -> None:
    folder, _ = full_run
    doc = json.loads((folder / "report.json").read_text())
    # the validation keys at the top level, beside the run's own
    for key in ("mismatched_bytes", "device_accuracy", "cycles", "link", "passed"):
        assert doc[key] == validation_doc()[key]
    assert doc["stages"] == run_summary()["stages"]
    assert doc["memory"] == run_summary()["memory"]
    assert doc["validate"] == validation_doc()
    plots = doc["plots"]
    assert set(plots) == ALL_PLOTS
    assert plots["outputs.png"] == ["int8 host vs float", "device vs int8 host"]
    assert plots["confusion.png"] == ["float", "device"]
    assert plots["stages.png"] == ["quantize", "export", "build"]
    assert plots["memory.png"] == ["text", "weights", "rodata (other)", "data", "bss", "stack"]


def test_run_report_markdown(full_run: tuple[Path, list[Path]]) -> None:
    folder, _ = full_run
    md = (folder / "report.md").read_text()
    assert "| mismatching samples / bytes | 3 / 7 (of 120 samples) |" in md
    assert "| instructions per inference (median) | 123,456 |" in md
    assert "| time: build | 3.8 s |" in md
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in md
    for name in ALL_PLOTS:
        assert f"({name})" in md


def test_run_report_leaves_out_plots_without_data(tmp_path: Path) -> None:
    for stale in ALL_PLOTS:
        (tmp_path / stale).write_bytes(PNG_SIGNATURE)
    summary = run_summary(memory={}, stages=[])
    paths = report.write_run_report(tmp_path, summary, None)
    drawn = {p.name for p in paths} - {"report.json", "report.md"}
    assert drawn <= {"activations.png"}  # the only plot that needs no data of the run
    # plots of a previous run in the same folder are gone, not left to mislead
    assert {p.name for p in tmp_path.glob("*.png")} == drawn
    assert set(json.loads((tmp_path / "report.json").read_text())["plots"]) == drawn


# --- plots from known data -----------------------------------------------------------------------


def test_outputs_plot_series_and_bit_exact_device(tmp_path: Path) -> None:
    arrays = run_arrays()
    fig = report.outputs_figure(arrays["y_float"], arrays["y_int8_host"], arrays["y_device"])
    assert report.legend_labels(fig) == ["int8 host vs float", "device vs int8 host"]
    device_panel = fig.axes[1]
    points = device_panel.collections[0].get_offsets()
    assert np.array_equal(points[:, 0], points[:, 1])  # bit-exact: on the diagonal
    assert device_panel.get_title().startswith("device vs int8 host: 0 of 240")

    names = report.plot_outputs(tmp_path / "o.png", None, arrays["y_int8_host"], arrays["y_device"])
    assert names == ["device vs int8 host"]
    assert_plausible_png(tmp_path / "o.png")


def test_confusion_counts(tmp_path: Path) -> None:
    labels = np.array([0, 1, 2, 2, 1])
    eye = np.eye(3, dtype=np.float32)
    y_float = eye[labels]
    y_device = eye[[0, 1, 2, 1, 1]]  # one sample of class 2 taken for class 1
    fig = report.confusion_figure(labels, y_float, y_device)
    assert fig is not None
    float_m = fig.axes[0].images[0].get_array()
    device_m = fig.axes[1].images[0].get_array()
    assert np.array_equal(float_m, np.diag([1, 2, 2]))
    assert device_m[2, 1] == 1 and device_m[2, 2] == 1
    assert report.plot_confusion(tmp_path / "c.png", labels, y_float, y_device) == [
        "float",
        "device",
    ]
    assert_plausible_png(tmp_path / "c.png")


def test_confusion_accepts_whole_float_labels() -> None:
    labels = np.array([0.0, 1.0, 1.0])
    fig = report.confusion_figure(labels, np.eye(2)[[0, 1, 0]], None)
    assert fig is not None
    assert np.array_equal(fig.axes[0].images[0].get_array(), [[1, 0], [1, 1]])


def test_confusion_needs_class_labels(tmp_path: Path) -> None:
    y = np.random.default_rng(0).random((10, 1))
    assert report.plot_confusion(tmp_path / "c.png", np.arange(10) * 0.5, y, y) is None
    assert report.plot_confusion(tmp_path / "c.png", np.zeros(10, dtype=int), y, y) is None
    assert not (tmp_path / "c.png").exists()


def test_activation_error_plot_both_variants(tmp_path: Path) -> None:
    errors = report.activation_errors()
    assert set(errors) == {"tflm", "litert"}
    for per_fn in errors.values():
        for real, err in per_fn.values():
            assert len(real) == 65_536 and real[0] == -8.0
            assert np.abs(err).max() < 32  # a few LSB, not a wrong scale
    # TFLM's table is within about one LSB of float; the exp-based LiteRT variant is not
    assert np.abs(errors["tflm"]["sigmoid"][1]).max() < 2
    names = report.plot_activation_error(tmp_path / "a.png")
    assert names == ["tflm sigmoid", "litert sigmoid", "tflm tanh", "litert tanh"]
    assert_plausible_png(tmp_path / "a.png")


def test_envelope_keeps_extremes() -> None:
    x = np.arange(4096, dtype=np.float64)
    y = np.zeros(4096)
    y[1234], y[3000] = 5.0, -7.0
    _, low, high = report._envelope(x, y, bins=64)
    assert high.max() == 5.0 and low.min() == -7.0 and len(low) == 64


def test_memory_plot_totals_only(tmp_path: Path) -> None:
    names = report.plot_memory(tmp_path / "m.png", {"flash_bytes": 1000, "ram_bytes": 200})
    assert names == ["total"]
    assert_plausible_png(tmp_path / "m.png")
    assert report.plot_memory(tmp_path / "n.png", {"weights_bytes": None}) is None


def test_no_confusion_without_labels(tmp_path: Path) -> None:
    arrays = run_arrays()
    del arrays["y"]
    plots = report.draw_plots(tmp_path, {}, arrays)
    assert "outputs.png" in plots and "confusion.png" not in plots
