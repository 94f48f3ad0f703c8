"""The C kernel el_gru_s8 on the host: every output byte equal to the numpy integer reference.

Each case writes one C file with a random layer's constants (from quantize.gru_params, as the
C generator will) and its int8 inputs, compiles it with the kernel under -std=c99 -Wall
-Wextra -Werror (and the undefined-behaviour sanitizer where the compiler has it, so a signed
overflow fails the test instead of passing by luck), runs it and compares the bytes it prints
with quantize.gru_reference.recurrent_sequence.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_gru_integer import random_quantized

from firmware_gen.native import gru_packed_weights, gru_scratch_words, gru_short_rq
from quantize.gru_params import GruParams, QuantizedRecurrent, gru_params
from quantize.gru_reference import recurrent_sequence

RUNTIME = Path(__file__).resolve().parent.parent / "firmware_gen" / "runtime"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]

pytestmark = pytest.mark.skipif(CC is None, reason="no host C compiler")


def _ints(values: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in np.asarray(values).ravel()) or "0"


def _rq(mult: np.ndarray, shift: np.ndarray) -> str:
    return ", ".join(f"{{{int(m)}, {int(s)}}}" for m, s in zip(mult, shift, strict=True))


def c_layer(
    k: int, p: GruParams, x: np.ndarray, return_sequences: bool, short: bool = True
) -> tuple[str, str]:
    """Definitions of layer k's constants and inputs, and the code that runs and prints it;
    short=False forces the general requantizations (short_rq 0), as for a layer whose
    accumulators may reach 2^30."""
    n, steps, _ = x.shape
    out_len = steps * p.hidden if return_sequences else p.hidden
    kind = "EL_GRU_KIND_GRU" if p.kind == "gru" else "EL_GRU_KIND_SIMPLE_RNN"
    scratch_words = gru_scratch_words(p.gates, p.input_size, p.hidden)
    w_x = np.array(gru_packed_weights(p.w_x, p.gates, p.hidden))
    w_h = np.array(gru_packed_weights(p.w_h, p.gates, p.hidden))
    short_rq = gru_short_rq(p) if short else 0
    defs = f"""
static const int32_t w_x{k}[] = {{{_ints(w_x)}}};
static const int32_t w_h{k}[] = {{{_ints(w_h)}}};
static const int32_t input_bias{k}[] = {{{_ints(p.input_bias)}}};
static const int32_t recurrent_bias{k}[] = {{{_ints(p.recurrent_bias)}}};
static const el_requant input_rq{k}[] = {{{_rq(p.input_multiplier, p.input_shift)}}};
static const el_requant recurrent_rq{k}[] = {{{_rq(p.recurrent_multiplier, p.recurrent_shift)}}};
static const el_gru_s8_params params{k} = {{
    {kind}, {int(p.reset_after)}, {p.input_size}, {p.hidden}, w_x{k}, w_h{k}, input_bias{k},
    recurrent_bias{k}, input_rq{k}, recurrent_rq{k}, {p.candidate_shift},
    {{{p.hidden_multiplier}, {p.hidden_shift}}}, {p.hidden_zero_point},
    {{{p.output_multiplier}, {p.output_shift}}}, {p.output_zero_point}, {short_rq}}};
static const int8_t x{k}[] = {{{_ints(x)}}};
static int32_t scratch{k}[{scratch_words}];
static int8_t h{k}[{p.hidden}];
static int8_t out{k}[{out_len}];
"""
    run = f"""
    if (el_gru_s8_buffer_size(&params{k}) != (int32_t)sizeof(scratch{k})) {{
        return 2;
    }}
    for (i = 0; i < {n}; i++) {{
        el_gru_s8_reset(&params{k}, h{k});
        if (el_gru_s8(&params{k}, x{k} + i * {steps * p.input_size}, {steps},
                      {int(return_sequences)}, h{k}, out{k}, scratch{k}) != EL_STATUS_SUCCESS) {{
            return 3;
        }}
        fwrite(out{k}, 1, sizeof(out{k}), stdout);
    }}"""
    return defs, run


def c_program(layers: list[tuple[GruParams, np.ndarray, bool]]) -> str:
    """A C program that runs every layer on its inputs and writes the outputs to stdout."""
    # the short requantizations where the layer allows them on even layers, the general
    # ones on odd layers: both forms of el_gru_s8 on every size of CASES
    parts = [c_layer(k, *layer, short=k % 2 == 0) for k, layer in enumerate(layers)]
    defs = "".join(d for d, _ in parts)
    runs = "".join(r for _, r in parts)
    return f"""#include <stdio.h>
#include "el_gru_s8.h"
{defs}
int main(void)
{{
    int i;{runs}
    return 0;
}}
"""


@functools.cache
def _sanitizer_flags(tmp: str) -> tuple[str, ...]:
    """-fsanitize=undefined if this compiler can build and run with it, else nothing."""
    probe = Path(tmp) / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    flags = ("-fsanitize=undefined", "-fno-sanitize-recover=undefined")
    exe = Path(tmp) / "probe"
    ok = subprocess.run([CC, *flags, str(probe), "-o", str(exe)], capture_output=True)
    if ok.returncode == 0 and subprocess.run([str(exe)]).returncode == 0:
        return flags
    return ()


def run_c(layers: list[tuple[GruParams, np.ndarray, bool]], tmp: Path) -> list[np.ndarray]:
    """Compile one program for all layers, run it, split its output per layer."""
    src = tmp / "driver.c"
    src.write_text(c_program(layers))
    exe = tmp / "driver"
    kernel = [str(RUNTIME / "el_gru_s8.c"), str(RUNTIME / "el_sigmoid_tanh.c")]
    cmd = [CC, *FLAGS, *_sanitizer_flags(str(tmp.parent)), f"-I{RUNTIME}", str(src), *kernel,
           "-o", str(exe)]  # fmt: skip
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    data = np.frombuffer(run.stdout, dtype=np.int8)
    outputs = []
    for p, x, return_sequences in layers:
        shape = (len(x), x.shape[1], p.hidden) if return_sequences else (len(x), p.hidden)
        size = int(np.prod(shape))
        outputs.append(data[:size].reshape(shape))
        data = data[size:]
    assert data.size == 0
    return outputs


def _mild(q: QuantizedRecurrent) -> QuantizedRecurrent:
    """The same layer with 10x smaller weights and biases: gates mostly inside their ranges."""
    return QuantizedRecurrent(
        **{**q.__dict__, "w_x_scale": (q.w_x_scale * np.float32(0.1)).astype(np.float32),
           "w_h_scale": (q.w_h_scale * np.float32(0.1)).astype(np.float32),
           "b_x": (q.b_x // 10).astype(np.int32), "b_h": (q.b_h // 10).astype(np.int32)}
    )  # fmt: skip


CASES = [(1, 1, 1), (5, 3, 7), (33, 13, 9), (64, 40, 12), (128, 2, 6)]


@pytest.mark.parametrize("kind,reset_after", [("gru", True), ("gru", False), ("simple_rnn", False)])
def test_c_kernel_equals_reference(kind: str, reset_after: bool, tmp_path: Path) -> None:
    rng = np.random.default_rng(7 + reset_after + 2 * (kind == "gru"))
    layers = []
    for i, (hidden, inputs, steps) in enumerate(CASES):
        q = random_quantized(rng, kind, reset_after, hidden, inputs, steps)
        for layer in (q, _mild(q)):
            x = rng.integers(-128, 128, size=(24, steps, inputs)).astype(np.int8)
            layers.append((gru_params(layer), x, i % 2 == 0))
    outputs = run_c(layers, tmp_path)
    short = sum(gru_short_rq(p) for p, _, _ in layers[::2])
    print(f"{short} of {len(layers[::2])} even layers take the short requantizations")
    assert short > 0
    mismatches = total = 0
    for (p, x, return_sequences), got in zip(layers, outputs, strict=True):
        expected = recurrent_sequence(p, x)
        if not return_sequences:
            expected = expected[:, -1]
        bad = int((got != expected).sum())
        print(f"{kind} ra={reset_after} H{p.hidden} I{p.input_size} T{x.shape[1]} (requantized "
              f"output {p.requantize_output}, {len(np.unique(got))} distinct values): {bad} of "
              f"{got.size} bytes differ")  # fmt: skip
        mismatches += bad
        total += got.size
    print(f"{kind} reset_after={reset_after}: {mismatches} mismatching bytes of {total} "
          f"(sanitizer flags: {_sanitizer_flags(str(tmp_path.parent)) or 'none'})")  # fmt: skip
    assert mismatches == 0
