"""Building a TFLM export: the generated Makefile pulls in model/tflm.mk and compiles the TFLM
tree the user points at with the TFLM flags, while the C parts keep their strict C99 flags.

Most tests here only need make: they run `make -n` (print the commands, run none) against a
stand-in tree that has the files a TFLM tree has, so they run in CI. The one test that compiles
real TFLM sources and validates the firmware in QEMU needs a TFLM tree (EDGE_LSTM_TFLM_DIR).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from model_zoo import CONFIGS, inputs_int8, tflite_bytes, tflite_path, tflm_outputs
from toolchain import require

from edge_lstm.export import export_project
from firmware_gen.tflm import CMSIS_NN_MARKER, KERNEL_HELPERS, KERNEL_SOURCES
from quantize import arena
from quantize.tflite_ir import read_model

KERNELS = "tensorflow/lite/micro/kernels"
CORE = (
    "tensorflow/lite/micro/micro_interpreter.cc",
    "tensorflow/lite/micro/micro_allocator.cc",
    "tensorflow/lite/core/c/common.cc",
    "tensorflow/lite/kernels/internal/common.cc",
)


def _tree(root: Path, cmsis: bool = False) -> Path:
    """A stand-in TFLM tree: empty files where create_tflm_tree.py puts sources."""
    stems = {stem for stems in KERNEL_SOURCES.values() for stem in stems} | set(KERNEL_HELPERS)
    files = [*CORE, *(f"{KERNELS}/{stem}.cc" for stem in stems)]
    if cmsis:
        replaced = ("unidirectional_sequence_lstm", "fully_connected", "softmax")
        files = [f for f in files if Path(f).stem not in replaced or "/kernels/" not in f]
        files += [f"{KERNELS}/cmsis_nn/{stem}.cc" for stem in replaced]
        files += ["third_party/cmsis_nn/Source/FullyConnectedFunctions/arm_fully_connected_s8.c"]
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return root


def _export(
    tmp_path: Path, tree: Path | None, kernels: str = "reference", name: str = "small"
) -> Path:
    out = tmp_path / f"fw-{kernels}"
    export_project(
        tflite_path(name),
        "qemu-cortex-m4",
        out,
        runtime="tflm",
        tflm_kernels=kernels,
        tflm_dir=tree,
    )
    return out


def _dry_run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("make"), "-n", "-C", str(project), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _commands(log: str, needle: str) -> list[str]:
    return [line for line in log.splitlines() if needle in line]


def test_makefile_includes_tflm_mk_and_builds_the_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    project = _export(tmp_path, tree)
    assert "include model/tflm.mk" in (project / "Makefile").read_text()
    mk = (project / "model" / "tflm.mk").read_text()
    assert f"TFLM_DIR ?= {tree.resolve()}" in mk
    for flag in (
        "-std=c++17",
        "-fno-rtti",
        "-fno-exceptions",
        "-fno-threadsafe-statics",
        "-DTF_LITE_STATIC_MEMORY",
    ):
        assert flag in mk, flag
    result = _dry_run(project)
    assert result.returncode == 0, result.stderr
    log = result.stdout
    # The TFLM library: arm-none-eabi-g++ with the TFLM flags, the interpreter and exactly the
    # kernels of the model's ops (small: LSTM, strided slice, fully connected, softmax).
    library = _commands(log, f"{tree.resolve()}/")
    compiled = {line.split(" -c ")[1].split()[0] for line in library if " -c " in line}
    assert {str(tree.resolve() / f) for f in CORE} <= compiled
    ops = dict.fromkeys(read_model(tflite_path("small")).opcodes)
    wanted = {stem for op in ops for stem in KERNEL_SOURCES[op]} | set(KERNEL_HELPERS)
    kernels = {Path(f).stem for f in compiled if f"/{KERNELS}/" in f}
    assert kernels == wanted
    for line in library:
        if " -c " in line:
            assert line.startswith("arm-none-eabi-g++ "), line
            assert "-mcpu=cortex-m4" in line and "-DTF_LITE_STATIC_MEMORY" in line, line
            assert "-Werror" not in line, line  # TFLM's own warnings are not ours to fail on
    # The glue: C++ with the same TFLM defines as the library (TfLiteTensor's layout).
    (glue,) = _commands(log, "-c model/model_tflm.cc")
    assert glue.startswith("arm-none-eabi-g++ ") and "-DTF_LITE_STATIC_MEMORY" in glue
    assert "-fno-exceptions" in glue and "-fno-rtti" in glue
    # The C parts keep their flags.
    (app,) = _commands(log, "-c app/el_app.c")
    assert app.startswith("arm-none-eabi-gcc ") and "-std=c99" in app and "-Werror" in app
    (link,) = _commands(log, "-o build/firmware.elf")
    assert "build/libtflm.a" in link and "-Wl,--gc-sections" in link


def test_cmsis_nn_export_builds_the_cmsis_nn_kernels(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree", cmsis=True)
    project = _export(tmp_path, tree, kernels="cmsis-nn")
    result = _dry_run(project)
    assert result.returncode == 0, result.stderr
    log = result.stdout
    assert _commands(log, f"-c {tree.resolve()}/{CMSIS_NN_MARKER}")
    (c_source,) = _commands(log, "arm_fully_connected_s8.c")
    assert c_source.startswith("arm-none-eabi-gcc ") and "-DCMSIS_NN" in c_source
    (glue,) = _commands(log, "-c model/model_tflm.cc")
    assert "-DCMSIS_NN" in glue and "third_party/cmsis_nn/Include" in glue


@pytest.mark.parametrize("kernels", ["reference", "cmsis-nn"])
def test_a_tree_of_the_other_kernel_set_is_refused(tmp_path: Path, kernels: str) -> None:
    """The arena in model/arena.h is derived for one kernel set; the tree must hold that set."""
    tree = _tree(tmp_path / "tree", cmsis=kernels == "reference")
    result = _dry_run(_export(tmp_path, tree, kernels=kernels))
    assert result.returncode != 0
    assert (
        "has no CMSIS-NN kernels" if kernels == "cmsis-nn" else "holds CMSIS-NN kernels"
    ) in result.stderr


def test_a_checkout_is_not_a_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "checkout")
    makefile = tree / "tensorflow/lite/micro/tools/make/Makefile"
    makefile.parent.mkdir(parents=True)
    makefile.write_text("")
    result = _dry_run(_export(tmp_path, tree))
    assert result.returncode != 0 and "create_tflm_tree.py" in result.stderr


def test_export_without_tflm_dir_writes_the_model_and_names_what_to_set(tmp_path: Path) -> None:
    """Without --tflm-dir the export still writes everything of the model (array, resolver,
    derived arena, glue, tflm.mk); building then needs the tree, and make says so."""
    project = _export(tmp_path, None)
    model_dir = project / "model"
    for name in (
        "model_data.cc",
        "model_data.h",
        "op_resolver.h",
        "arena.h",
        "model.h",
        "model_tflm.cc",
        "tflm.mk",
    ):
        assert (model_dir / name).is_file(), name
    figure = arena.cortex_m_figure(read_model(tflite_path("small")), "reference")
    assert f"#define EL_TFLM_ARENA_BYTES {figure.bytes}u" in (model_dir / "arena.h").read_text()
    result = _dry_run(project)
    assert result.returncode != 0
    assert "TFLM_DIR is not set" in result.stderr and "--tflm-dir" in result.stderr
    tree = _tree(tmp_path / "tree")
    assert _dry_run(project, f"TFLM_DIR={tree}").returncode == 0


def test_arena_override_reaches_the_glue_only(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    result = _dry_run(_export(tmp_path, tree), "TFLM_ARENA_BYTES=1234")
    assert result.returncode == 0, result.stderr
    (glue,) = _commands(result.stdout, "-c model/model_tflm.cc")
    assert "-DEL_TFLM_ARENA_BYTES=1234u" in glue
    library = _commands(result.stdout, f"-c {tree.resolve()}/")
    assert library and not any("EL_TFLM_ARENA_BYTES" in line for line in library)


@pytest.mark.toolchain
@pytest.mark.slow
def test_tflm_firmware_builds_and_validates_in_qemu(tmp_path: Path) -> None:
    """Compile a TFLM tree into the firmware, run it in QEMU, compare with the TFLM host runtime;
    then check that the derived arena minimum is the board's real minimum, to the byte.

    The tree is the user's (docs/tflm.md: TFLM's create_tflm_tree.py); edge-lstm neither
    vendors nor downloads TFLM, so CI, which has no tree, skips this test rather than fail:
    the CI-runnable tests above check the Makefile side with a stand-in tree, and this one is
    for a machine with a real tree. The tree's kernel set (reference, or CMSIS-NN when made
    with OPTIMIZED_KERNEL_DIR=cmsis_nn) decides the export's --kernels.
    """
    tree_env = os.environ.get("EDGE_LSTM_TFLM_DIR", "")
    if not tree_env:
        pytest.skip(
            "set EDGE_LSTM_TFLM_DIR to a TFLM tree made by TFLM's create_tflm_tree.py "
            "(docs/tflm.md) to build and validate the TFLM firmware"
        )
    tree = Path(tree_env)
    require("make")
    require("arm-none-eabi-g++")
    require("qemu-system-arm")
    from edge_lstm.data import load_data
    from edge_lstm.harness.device import Device, DeviceError
    from edge_lstm.validate import validate
    from targets.build import build_project
    from targets.qemu import QemuBoard
    from targets.registry import get_board

    kernels = "cmsis-nn" if (tree / CMSIS_NN_MARKER).is_file() else "reference"
    project = _export(tmp_path, tree, kernels=kernels)
    built = build_project(project)
    assert built.elf.is_file()
    x = inputs_int8(CONFIGS["small"], 40)
    np.savez(tmp_path / "x.npz", x=x)
    with QemuBoard(built.elf, get_board("qemu-cortex-m4")) as board:
        report, _ = validate(
            tflite_path("small"), load_data(tmp_path / "x.npz"), [board.port], progress=False
        )
    assert report.runtime == "tflm" and report.reference == "tflm-host-runtime"
    assert report.samples == 40 and report.mismatched_bytes == 0

    # The derived minimum is the real one on the Cortex-M: the interpreter initialises and
    # infers with exactly that arena and refuses it one byte smaller (AllocateTensors, -3).
    figure = arena.cortex_m_figure(read_model(tflite_path("small")), kernels)  # type: ignore[arg-type]
    golden = tflm_outputs(tflite_bytes("small"), x[:1]).reshape(-1)
    for size, works in ((figure.minimum, True), (figure.minimum - 1, False)):
        subprocess.run(
            [require("make"), "-C", str(project), f"TFLM_ARENA_BYTES={size}"],
            check=True,
            capture_output=True,
        )
        with (
            QemuBoard(built.elf, get_board("qemu-cortex-m4")) as board,
            Device(board.port) as device,
        ):
            device.hello()
            if works:
                output, _ = device.infer(x[0])
                assert np.array_equal(output.reshape(-1), golden), size
            else:
                with pytest.raises(DeviceError) as refused:
                    device.infer(x[0])
                assert refused.value.reply.aux == -3, size
