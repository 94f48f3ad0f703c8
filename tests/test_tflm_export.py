"""The TFLM export: the array is the model byte for byte, the resolver is exactly the model's
ops, the arena is the derived figure, and the generated headers carry what the app needs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from model_zoo import CONFIGS, tflite_path
from toolchain import require

from edge_lstm import __version__
from firmware_gen.tflm import RESOLVER_METHODS, generate
from quantize import arena
from quantize.tflite_ir import read_model

DUMP_MAIN = r"""
#include <cstdio>
#include "model_data.h"
int main(int argc, char **argv) {
    (void)argc;
    if (reinterpret_cast<unsigned long>(g_model_data) % 16 != 0) return 3;
    FILE *f = std::fopen(argv[1], "wb");
    if (!f) return 1;
    size_t n = std::fwrite(g_model_data, 1, g_model_data_len, f);
    std::fclose(f);
    return n == g_model_data_len ? 0 : 2;
}
"""


@pytest.mark.parametrize("name", ["tiny", "stack3"])
def test_model_array_reproduces_the_tflite(tmp_path: Path, name: str) -> None:
    gxx = require("g++")
    path = tflite_path(name)
    generate(path, tmp_path)
    model_dir = tmp_path / "model"
    (tmp_path / "dump.cc").write_text(DUMP_MAIN)
    exe = tmp_path / "dump"
    subprocess.run(
        [
            gxx,
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{model_dir}",
            str(tmp_path / "dump.cc"),
            str(model_dir / "model_data.cc"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    out = tmp_path / "back.tflite"
    subprocess.run([str(exe), str(out)], check=True)
    assert out.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_resolver_registers_exactly_the_models_ops(tmp_path: Path, name: str) -> None:
    path = tflite_path(name)
    result = generate(path, tmp_path)
    text = (tmp_path / "model" / "op_resolver.h").read_text()
    registered = re.findall(r"resolver\.(Add\w+)\(\)", text)
    model_ops = list(dict.fromkeys(read_model(path).opcodes))
    assert registered == [RESOLVER_METHODS[op] for op in model_ops]
    assert len(set(registered)) == len(registered)
    count = int(re.search(r"#define EL_TFLM_OP_COUNT (\d+)", text).group(1))
    assert count == len(model_ops) == len(result.ops)
    assert "MicroMutableOpResolver<EL_TFLM_OP_COUNT>" in text


@pytest.mark.parametrize("kernels", ["reference", "cmsis-nn"])
def test_arena_header_holds_the_derived_figure(tmp_path: Path, kernels: str) -> None:
    path = tflite_path("kws")
    result = generate(path, tmp_path, kernels=kernels)
    text = (tmp_path / "model" / "arena.h").read_text()
    figure = arena.cortex_m_figure(read_model(path), kernels)  # type: ignore[arg-type]
    defined = int(re.search(r"#define EL_TFLM_ARENA_BYTES (\d+)u", text).group(1))
    assert defined == figure.bytes == result.arena_bytes
    assert f'"{kernels}"' in text
    assert "replay" in text  # the derivation travels with the number


def test_cmsis_nn_arena_is_larger(tmp_path: Path) -> None:
    path = tflite_path("stack2")
    ref = generate(path, tmp_path / "ref", kernels="reference")
    cmsis = generate(path, tmp_path / "cmsis", kernels="cmsis-nn")
    assert cmsis.arena_bytes > ref.arena_bytes


def test_banners_and_include_guards(tmp_path: Path) -> None:
    path = tflite_path("small")
    result = generate(path, tmp_path)
    for name in result.files:
        if name.endswith((".h", ".cc")):
            text = (tmp_path / "model" / name).read_text()
            assert f"edge-lstm {__version__}" in text, name
            assert result.model_sha256 in text, name
            if name.endswith(".h"):
                guard = re.search(r"#ifndef (EL_\w+_H)\n#define \1\n", text)
                assert guard is not None, name


def test_model_header_matches_the_model(tmp_path: Path) -> None:
    gcc = require("gcc")
    path = tflite_path("seq")
    generate(path, tmp_path)
    model = read_model(path)
    config = CONFIGS["seq"]
    check = tmp_path / "check.c"
    check.write_text(
        '#include "model.h"\n'
        f'_Static_assert(EL_MODEL_TIMESTEPS == {config.timesteps}, "T");\n'
        f'_Static_assert(EL_MODEL_FEATURES == {config.features}, "F");\n'
        f'_Static_assert(EL_MODEL_OUTPUT_BYTES == {config.timesteps * config.outputs}, "out");\n'
        '_Static_assert(EL_MODEL_SEQUENCE_OUTPUT == 1, "seq");\n'
        f'_Static_assert(EL_MODEL_INPUT_ZERO_POINT == {model.input.zero_point}, "zp");\n'
        "int el_model_init(void);\nint main(void) { return 0; }\n"
    )
    subprocess.run(
        [
            gcc,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            f"-I{tmp_path / 'model'}",
            "-fsyntax-only",
            str(check),
        ],
        check=True,
    )
    source = (tmp_path / "model" / "model_tflm.cc").read_text()
    assert 'el_model_runtime[] = "tflm"' in source
    assert "el_model_sha256[65] = EL_MODEL_SHA256;" in source
    config = (tmp_path / "model" / "model_config.h").read_text()
    assert f'#define EL_MODEL_SHA256 "{model.sha256}"' in config
    for function in (
        "el_model_init",
        "el_model_reset",
        "el_model_invoke",
        "el_model_step",
        "el_model_output",
        "el_model_ram_bytes",
    ):
        assert f"{function}(" in source


def test_unknown_kernel_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tflite_path("tiny"), tmp_path, kernels="ethos-u")
