"""The native engine on the architectures people train around an LSTM (tests/arch_zoo.py):
Conv1D and pooling front ends, BatchNormalization, Normalization, Bidirectional LSTMs (concat,
sum, stacked), global pooling, per-step heads, tanh/sigmoid heads.

Every one is exported to the native runtime (the whole-sequence graph, runtime/el_graph.c,
except lstm-td, which streams), compiled with the strict flags a user's build may use and
compared with TFLite Micro (the `tflite-micro` runtime on the host, the independent golden) and
with the numpy reference on 300 inputs (saturating ones and the all-min / all-max sequences
included), every output byte, through el_model_invoke() and through T el_model_step() calls then
el_model_output(). On the emulated Cortex-M4 the firmware built by `export` + `build`, with the
DSP extension and with -DEL_USE_DSP=0, is checked through `validate` over the UART.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from arch_zoo import ARCHS, arch_tflite_path, inputs_int8
from click.testing import CliRunner
from firmware_cache import FIRMWARE_DIR
from model_zoo import tflm_outputs
from toolchain import require

from edge_lstm.cli import main
from firmware_gen import native
from quantize.reference import run_reference
from quantize.tflite_ir import read_model

C_DIR = Path(__file__).parent / "c"
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
#: the architectures that stream (a recurrent stack with a per-step head); the others need
#: the whole sequence
STREAMING = {"lstm-td"}


def _inputs(name: str, count: int = 300) -> np.ndarray:
    x = inputs_int8(ARCHS[name], count)
    x[0] = 127
    x[1] = -128
    return x


@functools.cache
def _golden(name: str, count: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and TFLM's outputs for them (through the tflite-micro runtime only)."""
    x = _inputs(name, count)
    return x, tflm_outputs(arch_tflite_path(name).read_bytes(), x).reshape(len(x), -1)


@functools.cache
def _generated(name: str) -> tuple[Path, native.NativeExport]:
    out = FIRMWARE_DIR.parent / "native-archs" / FIRMWARE_DIR.name / name
    export = native.generate(read_model(arch_tflite_path(name)), out)
    return out, export


def _build_host(out: Path, flags: list[str], exe_name: str, driver: str) -> Path:
    exe = out / exe_name
    sources = [str(p) for p in sorted((out / "model").glob("*.c"))]
    sources += [str(out / "runtime" / f) for f in native.runtime_files() if f.endswith(".c")]
    cmd = ["gcc", *STRICT, *flags, f"-I{out / 'model'}", f"-I{out / 'runtime'}", "-o", str(exe),
           *sources, str(C_DIR / driver)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return exe


def _run_host(exe: Path, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inputs, outputs = exe.parent / f"{exe.name}.in", exe.parent / f"{exe.name}.out"
    x.astype(np.int8).tofile(inputs)
    subprocess.run([str(exe), str(inputs), str(outputs)], check=True, capture_output=True)
    got = np.fromfile(outputs, dtype=np.int8).reshape(len(x), 2, -1)
    return got[:, 0], got[:, 1]


def _mismatches(what: str, got: np.ndarray, want: np.ndarray) -> int:
    count = int(np.count_nonzero(got.reshape(want.shape).astype(np.int32) != want))
    print(f"{what}: {count} mismatching bytes of {want.size}")
    return count


@pytest.mark.parametrize("name", list(ARCHS))
def test_host_engine_equals_reference_and_tflm(name: str) -> None:
    out, export = _generated(name)
    x, want = _golden(name)
    ref = run_reference(read_model(arch_tflite_path(name)), x).reshape(want.shape)
    invoke, stream = _run_host(_build_host(out, ["-O2"], "host", "host_driver.c"), x)
    assert _mismatches(f"{name} reference vs TFLM", ref, want) == 0
    assert _mismatches(f"{name} native invoke vs TFLM", invoke, want) == 0
    assert _mismatches(f"{name} native T steps + output vs TFLM", stream, want) == 0
    assert export.execution == ("streaming" if name in STREAMING else "whole_sequence")
    assert export.macs > 0 and export.weights_bytes > 0


@pytest.mark.parametrize("name", ["bilstm-stack", "conv-pool-lstm", "norm-lstm-tanh-sigmoid"])
def test_host_engine_under_sanitizers(name: str) -> None:
    """Every arena offset and kernel bound under ASan/UBSan: a tensor written past its planned
    bytes, or a read of a tensor whose bytes were reused, changes bytes or trips the checks."""
    out, _ = _generated(name)
    x, want = _golden(name, 40)
    invoke, stream = _run_host(_build_host(out, SANITIZE, "asan", "host_driver.c"), x)
    assert _mismatches(f"{name} asan invoke", invoke, want) == 0
    assert _mismatches(f"{name} asan stream", stream, want) == 0


def test_whole_sequence_streaming_contract() -> None:
    """el_model_output() before all steps returns -3, a step past them -2 (el_graph.h)."""
    out, _ = _generated("bilstm-concat")
    exe = _build_host(out, ["-O1"], "contract", "whole_sequence_contract.c")
    seq = exe.parent / "one.bin"
    _inputs("bilstm-concat", 3)[2].astype(np.int8).tofile(seq)
    result = subprocess.run([str(exe), str(seq)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout


@pytest.mark.parametrize("name", [n for n in ARCHS if n not in STREAMING])
def test_arena_plan_keeps_every_input_until_it_is_read(name: str) -> None:
    """The planner's arena, replayed byte by byte: when an operator runs, every byte of each of
    its inputs was last written by the operator that produced that tensor (or is the model
    input), so no tensor sharing the bytes overwrote it in between; offsets are word aligned
    and everything fits the arena."""
    model = read_model(arch_tflite_path(name))
    gp = native.plan_graph(model)

    def holder(t: int) -> int:
        return gp.views.get(t, (t, 0))[0]

    def span(g: native._GraphOp | None, t: int) -> range:
        size = model.tensor(t).nbytes
        if g is not None and g.lstm is not None and not g.fields["return_sequences"]:
            size = g.lstm.hidden
        return range(gp.buffers[t], gp.buffers[t] + size)

    writer = np.full(gp.arena_bytes, -2)
    x = model.inputs[0]
    writer[span(None, x).start : span(None, x).stop] = -1
    producer = {holder(x): -1}
    for k, g in enumerate(gp.ops):
        for t in g.inputs:
            r = span(None, t)
            assert r.stop <= gp.arena_bytes
            stale = int(np.count_nonzero(writer[r.start : r.stop] != producer[holder(t)]))
            assert stale == 0, f"{name} {g.name}: {stale} bytes of tensor {t} overwritten"
        r = span(g, g.output)
        assert r.start % 4 == 0 and r.stop <= gp.arena_bytes
        writer[r.start : r.stop] = k
        producer[g.output] = k
    out = range(gp.output_offset, gp.output_offset + gp.output_bytes)
    assert int(np.count_nonzero(writer[out.start : out.stop] != len(gp.ops) - 1)) == 0
    total = sum(model.tensor(g.output).nbytes for g in gp.ops) + model.input.nbytes
    print(f"{name}: arena {gp.arena_bytes} bytes for {total} bytes of tensors")
    assert gp.arena_bytes <= total + 4 * len(gp.ops)


@pytest.mark.parametrize("name", ["bilstm-sum", "conv-s2-bn-lstm"])
def test_export_json_says_whole_sequence(name: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["export", str(arch_tflite_path(name)), "--board", "qemu-cortex-m4", "-o",
         str(tmp_path / "fw"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    details = info.get("details", info)
    assert details["execution"] == "whole_sequence" and details["streaming"] is False
    assert (
        details["macs_per_inference"]
        == native.generate(read_model(arch_tflite_path(name)), tmp_path / "again").macs
    )
    text = runner.invoke(
        main,
        ["export", str(arch_tflite_path(name)), "--board", "qemu-cortex-m4", "-o",
         str(tmp_path / "fw2")],
    )  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "whole sequence" in text.output


@functools.cache
def _firmware(name: str, dsp: int) -> Path:
    """export + build of one architecture for the emulated Cortex-M4, once per test session."""
    from edge_lstm.export import export_project
    from targets.build import build_project

    out = FIRMWARE_DIR / f"arch-{name}-m4-dsp{dsp}"
    exported = export_project(arch_tflite_path(name), "qemu-cortex-m4", out, force=True)
    opt = None if dsp else "-O2 -DEL_USE_DSP=0"
    return build_project(exported.out_dir, opt=opt).elf


def _validate_on_m4(name: str, dsp: int, count: int, tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    require("qemu-system-arm")
    from edge_lstm.data import load_data
    from edge_lstm.validate import validate
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    x, want = _golden(name, count)
    np.savez(tmp_path / "x.npz", x=x)
    with QemuBoard(_firmware(name, dsp), get_board("qemu-cortex-m4")) as board:
        report, outputs = validate(
            arch_tflite_path(name), load_data(tmp_path / "x.npz"), [board.port], progress=False
        )
    print(f"{name} M4 dsp={dsp}: validate {report.mismatched_bytes} mismatching bytes")
    assert report.samples == count and report.mismatched_bytes == 0
    assert _mismatches(f"{name} M4 dsp={dsp} vs TFLM", outputs, want) == 0


@pytest.mark.toolchain
@pytest.mark.parametrize("name", ["bilstm-concat", "conv-pool-lstm", "norm-lstm-tanh-sigmoid"])
@pytest.mark.parametrize("dsp", [1, 0])
def test_qemu_m4_validate(name: str, dsp: int, tmp_path: Path) -> None:
    """Firmware from `export` + `build` on the emulated Cortex-M4, with the DSP path and with
    -DEL_USE_DSP=0, through `validate` over the UART: every byte equals TFLM's."""
    _validate_on_m4(name, dsp, 200, tmp_path)


@pytest.mark.toolchain
@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["conv-s2-bn-lstm", "bilstm-sum", "bilstm-stack", "lstm-gap", "lstm-gmp", "lstm-td"]
)
@pytest.mark.parametrize("dsp", [1, 0])
def test_qemu_m4_validate_all(name: str, dsp: int, tmp_path: Path) -> None:
    """The other architectures the same way, on 100 inputs (their kernels are the ones above;
    the host tests compare all 300)."""
    _validate_on_m4(name, dsp, 100, tmp_path)
