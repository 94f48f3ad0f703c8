"""The front-end and pooling kernels (el_conv_s8, el_depthwise_conv_s8, el_max_pool_s8,
el_avg_pool_s8, el_mean_s8, el_reduce_max_s8) give every byte the numpy reference and TFLite
Micro give.

Each case is one IR operator turned into C data by firmware_gen.native_ops (the same arrays and
designated initializers the engine's generator writes), compiled with the kernel files under
-std=c99 -Wall -Wextra -Werror -pedantic into one test program per group of cases, fed int8
inputs and compared byte for byte:

- the real operators of the converted models (tests/arch_zoo.py and the kernel models of
  tests/test_kernels_tflm.py), 300 inputs each, against the reference and against the tensors
  the TFLite Micro runtime leaves (kPreserveAllTensors), the golden values that do not pass
  through edge-lstm's code;
- random parameter sets (strides, dilations, SAME/VALID padding, depth multipliers, groups, odd
  channel counts, fused activation clamps, per-tensor and per-channel scales, reductions over
  any axes) built as IR operators here, against the reference kernels;
- the same cases on the emulated Cortex-M4, with the DSP path (SMLAD) and without it.

Each program also reports the kernel's *_buffer_size(), which must equal NativeOp.scratch_bytes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from arch_zoo import ARCHS as ARCH_ARCHS
from arch_zoo import arch_tflite_path
from arch_zoo import inputs_int8 as arch_inputs
from test_kernels_tflm import MODELS as KERNEL_MODELS
from test_kernels_tflm import inputs as kernel_inputs
from test_kernels_tflm import reference_tensors, tflm_tensors
from test_kernels_tflm import tflite_bytes as kernel_tflite_bytes
from toolchain import require

from firmware_gen import native_ops
from firmware_gen.native_ops import NativeOp, native_op
from quantize.errors import UnsupportedModelError
from quantize.ir import Model, Operator, Quantization, Tensor
from quantize.kernels.common import Env
from quantize.op_params import ACT_NONE, ACT_RELU, ACT_RELU6, ACT_RELU_N1_TO_1
from quantize.ops import OPS
from quantize.tflite_ir import parse_model

RUNTIME = Path(__file__).resolve().parent.parent / "firmware_gen" / "runtime"
MPS2 = Path(__file__).resolve().parent / "c" / "mps2"
CC = shutil.which("gcc") or shutil.which("cc")
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
KERNELS = sorted(str(RUNTIME / f) for f in native_ops.KERNEL_FILES if f.endswith(".c"))
SAMPLES = 300
TARGET_OPS = set(native_ops.NATIVE_OPCODES)

# converted models holding the six ops: architectures of tests/arch_zoo.py, kernel test models
ARCH_MODELS = ("conv-pool-lstm", "conv-s2-bn-lstm", "lstm-gap", "lstm-gmp")
KERNEL_TEST_MODELS = (
    "conv_pool", "conv_same_gap", "conv_dilated_gmp", "conv_causal_avgpool",
    "depthwise_separable", "strided", "per_tensor", "normalized", "activations", "fused",
    "lstm_gap", "bilstm_sequences",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One operator, its kernel data and the int8 inputs to run it on ([N, input bytes])."""

    label: str
    op: NativeOp
    x: np.ndarray
    expected: np.ndarray  # [N, output bytes] from the reference
    tflm: np.ndarray | None = None  # [N, output bytes] from the TFLM runtime


# --- the test program ----------------------------------------------------------------------


def _ints(values: np.ndarray) -> str:
    return ",".join(str(int(v)) for v in values.reshape(-1))


def c_source(cases: list[Case], embed_inputs: bool) -> str:
    """One program running every case: on the host inputs come from stdin and outputs go to
    stdout (buffers allocated at their exact size, so the sanitizers see any overrun); on the
    MPS2 board the inputs are const arrays and each output is a line of hex on the UART."""
    headers = sorted({c.op.header for c in cases})
    parts = ["#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"]
    parts += [f'#include "{h}"\n' for h in headers]
    rows = []
    for k, c in enumerate(cases):
        n = f"c{k}"
        parts.append(f"/* {c.label} */\n")
        parts += [a.definition() for a in c.op.arrays]
        parts.append(c.op.params_definition(f"{n}_params"))
        parts.append(
            f"static el_status {n}_run(const int8_t *x, int8_t *y, int32_t *s)\n"
            f"{{\n    return {c.op.kernel}(&{n}_params, x, y, s);\n}}\n"
            f"static int32_t {n}_size(void)\n"
            f"{{\n    return {c.op.kernel}_buffer_size(&{n}_params);\n}}\n"
        )
        if embed_inputs:
            parts.append(f"static const int8_t {n}_x[{c.x.size}] = {{{_ints(c.x)}}};\n")
        rows.append(
            f"    {{{n}_run, {n}_size, {c.op.input_bytes}, {c.op.output_bytes}, {len(c.x)}, "
            f"{f'{n}_x' if embed_inputs else '0'}}},\n"
        )
    parts.append(
        "typedef struct {\n"
        "    el_status (*run)(const int8_t *, int8_t *, int32_t *);\n"
        "    int32_t (*size)(void);\n"
        "    int32_t in_bytes;\n    int32_t out_bytes;\n    int32_t count;\n"
        "    const int8_t *x;\n"
        "} el_case;\n"
        f"static const el_case cases[{len(cases)}] = {{\n{''.join(rows)}}};\n"
    )
    if embed_inputs:
        max_out = max(c.op.output_bytes for c in cases)
        max_scratch = max(c.op.scratch_bytes for c in cases) // 4 + 1
        parts.append(f"""
#include "mps2.h"
int main(void)
{{
    static int8_t out[{max_out}];
    static int32_t scratch[{max_scratch}];
    int32_t k;
    int32_t i;
    int32_t j;
    for (k = 0; k < {len(cases)}; k++) {{
        const el_case *c = &cases[k];
        mps2_puts("SIZE ");
        mps2_put_u32((uint32_t)c->size());
        mps2_putc('\\n');
        for (i = 0; i < c->count; i++) {{
            const uint32_t t0 = MPS2_TIMER0_VALUE;
            const el_status status = c->run(c->x + i * c->in_bytes, out, scratch);
            const uint32_t t1 = MPS2_TIMER0_VALUE;
            if (status != EL_STATUS_SUCCESS) {{
                return 3;
            }}
            if (i == 0) {{
                mps2_puts("TICKS ");
                mps2_put_u32(t0 - t1);
                mps2_putc('\\n');
            }}
            for (j = 0; j < c->out_bytes; j++) {{
                mps2_put_hex8((uint8_t)out[j]);
            }}
            mps2_putc('\\n');
        }}
    }}
    return 0;
}}
""")
    else:
        parts.append(f"""
int main(void)
{{
    int32_t k;
    int32_t i;
    for (k = 0; k < {len(cases)}; k++) {{
        const el_case *c = &cases[k];
        const int32_t size = c->size();
        int8_t *x = malloc((size_t)c->in_bytes);
        int8_t *y = malloc((size_t)c->out_bytes);
        int32_t *s = size > 0 ? malloc((size_t)size) : 0;
        fprintf(stderr, "SIZE %ld\\n", (long)size);
        if (x == 0 || y == 0 || (size > 0 && s == 0)) {{
            return 2;
        }}
        for (i = 0; i < c->count; i++) {{
            if (fread(x, 1, (size_t)c->in_bytes, stdin) != (size_t)c->in_bytes) {{
                return 4;
            }}
            if (c->run(x, y, s) != EL_STATUS_SUCCESS) {{
                return 3;
            }}
            fwrite(y, 1, (size_t)c->out_bytes, stdout);
        }}
        free(x);
        free(y);
        free(s);
    }}
    return 0;
}}
""")
    return "".join(parts)


def run_host(cases: list[Case], tmp: Path, flags: list[str]) -> list[np.ndarray]:
    """Outputs [N, output bytes] of every case, from the program built with the host gcc."""
    if CC is None:
        require("gcc")  # fails in CI (scripts/setup.sh installs gcc), skips elsewhere
    src = tmp / "ops_test.c"
    src.write_text(c_source(cases, embed_inputs=False))
    exe = tmp / f"ops_test_{hashlib.sha256(' '.join(flags).encode()).hexdigest()[:8]}"
    build = subprocess.run(
        [CC, *STRICT, *flags, f"-I{RUNTIME}", "-o", str(exe), str(src), *KERNELS],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    stdin = b"".join(np.ascontiguousarray(c.x, dtype=np.int8).tobytes() for c in cases)
    run = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    sizes = [int(line.split()[1]) for line in run.stderr.decode().splitlines() if "SIZE" in line]
    _check_sizes(cases, sizes)
    data = np.frombuffer(run.stdout, dtype=np.int8)
    outputs, at = [], 0
    for c in cases:
        n = len(c.x) * c.op.output_bytes
        outputs.append(data[at : at + n].reshape(len(c.x), c.op.output_bytes))
        at += n
    assert at == data.size, "the program wrote more bytes than the cases produce"
    return outputs


def run_qemu_m4(cases: list[Case], tmp: Path, dsp: int) -> tuple[list[np.ndarray], list[int]]:
    """Outputs of every case on the emulated Cortex-M4 (mps2-an386), and the instructions of
    each case's first run (QEMU -icount shift=0: one timer tick is 40 instructions)."""
    gcc = require("arm-none-eabi-gcc")
    qemu = require("qemu-system-arm")
    src = tmp / f"ops_m4_{dsp}.c"
    src.write_text(c_source(cases, embed_inputs=True))
    elf = tmp / f"ops_m4_dsp{dsp}.elf"
    cmd = [gcc, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", *STRICT, "-O2",
           f"-DEL_USE_DSP={dsp}", f"-I{RUNTIME}", f"-I{MPS2}", "-nostartfiles",
           "--specs=nano.specs", "-T", str(MPS2 / "mps2.ld"), "-o", str(elf), str(src),
           *KERNELS, str(MPS2 / "startup.c")]  # fmt: skip
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run(
        [
            qemu,
            "-M",
            "mps2-an386",
            "-display",
            "none",
            "-monitor",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
            "-serial",
            "stdio",
            "-kernel",
            str(elf),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-500:] + run.stderr
    lines = run.stdout.splitlines()
    sizes = [int(line.split()[1]) for line in lines if line.startswith("SIZE")]
    ticks = [int(line.split()[1]) * 40 for line in lines if line.startswith("TICKS")]
    rows = [line for line in lines if not line.startswith(("SIZE", "TICKS"))]
    _check_sizes(cases, sizes)
    outputs, at = [], 0
    for c in cases:
        block = rows[at : at + len(c.x)]
        at += len(c.x)
        outputs.append(np.stack([np.frombuffer(bytes.fromhex(r), dtype=np.int8) for r in block]))
    return outputs, ticks


def _check_sizes(cases: list[Case], sizes: list[int]) -> None:
    assert len(sizes) == len(cases)
    wrong = [
        (c.label, s, c.op.scratch_bytes)
        for c, s in zip(cases, sizes, strict=True)
        if s != c.op.scratch_bytes
    ]
    assert not wrong, f"*_buffer_size() != NativeOp.scratch_bytes (label, C, Python): {wrong}"


def _mismatches(cases: list[Case], outputs: list[np.ndarray], golden: str) -> dict[str, int]:
    """Mismatching output bytes per case (every byte compared), only the cases with any."""
    bad = {}
    for c, got in zip(cases, outputs, strict=True):
        want = c.expected if golden == "reference" else c.tflm
        assert want is not None
        count = int(np.count_nonzero(got != want.reshape(got.shape)))
        if count:
            bad[c.label] = count
    return bad


# --- the real operators of converted models ------------------------------------------------


def _model_cases(label: str, prefix: str, data: bytes, x: np.ndarray) -> list[Case]:
    model = parse_model(data)
    ops = [op for op in model.operators if op.opcode in TARGET_OPS]
    env = reference_tensors(model, x)
    tflm = tflm_tensors(data, x, sorted({op.outputs[0] for op in ops}))
    cases = []
    for op in ops:
        nop = native_op(model, op, f"{prefix}_op{op.index}")
        cases.append(
            Case(
                f"{label} op {op.index} {op.opcode}",
                nop,
                env[op.inputs[0]].reshape(len(x), -1).astype(np.int8),
                env[op.outputs[0]].reshape(len(x), -1),
                tflm[op.outputs[0]].reshape(len(x), -1).astype(np.int8),
            )
        )
    return cases


@pytest.fixture(scope="module")
def real_cases() -> list[Case]:
    cases: list[Case] = []
    for m, name in enumerate(ARCH_MODELS):
        data = arch_tflite_path(name).read_bytes()
        cases += _model_cases(f"arch {name}", f"el_a{m}", data, arch_inputs(ARCH_ARCHS[name]))
    for m, name in enumerate(KERNEL_TEST_MODELS):
        data = kernel_tflite_bytes(name)
        x = kernel_inputs(KERNEL_MODELS[name], parse_model(data), SAMPLES)
        cases += _model_cases(f"kernels {name}", f"el_k{m}", data, x)
    return cases


def test_real_ops_cover_every_kernel(real_cases: list[Case]) -> None:
    kernels = {c.op.kernel for c in real_cases}
    assert kernels == {f"el_{k}_s8" for k in (
        "conv", "depthwise_conv", "max_pool", "avg_pool", "mean", "reduce_max")}  # fmt: skip
    assert all(len(c.x) >= SAMPLES for c in real_cases)


def test_reference_equals_tflm_on_the_real_ops(real_cases: list[Case]) -> None:
    """The golden values agree before the C is compared with them."""
    bad = {
        c.label: int(np.count_nonzero(c.expected != c.tflm))
        for c in real_cases
        if np.any(c.expected != c.tflm)
    }
    assert not bad, f"reference != TFLM (mismatching bytes): {bad}"


def test_real_ops_host_bit_exact(real_cases: list[Case], tmp_path: Path) -> None:
    outputs = run_host(real_cases, tmp_path, ["-O2"])
    assert _mismatches(real_cases, outputs, "tflm") == {}
    assert _mismatches(real_cases, outputs, "reference") == {}


def test_real_ops_host_sanitizers(real_cases: list[Case], tmp_path: Path) -> None:
    """ASan and UBSan: no read or write outside the exact-size buffers, no signed overflow."""
    few = [Case(c.label, c.op, c.x[:40], c.expected[:40]) for c in real_cases]
    outputs = run_host(few, tmp_path, SANITIZE)
    assert _mismatches(few, outputs, "reference") == {}


# --- random parameter sets -------------------------------------------------------------------


class _Graph:
    """A one-operator IR model built by hand: tensors, then the operator."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []

    def tensor(
        self,
        shape: tuple[int, ...],
        dtype: str = "int8",
        scale: np.ndarray | float | None = None,
        zero_point: int = 0,
        axis: int = 0,
        data: np.ndarray | None = None,
    ) -> int:
        quant = None
        if scale is not None:
            s = np.atleast_1d(np.asarray(scale, dtype=np.float32))
            quant = Quantization(s, np.full(s.shape, zero_point, dtype=np.int64), axis)
        index = len(self.tensors)
        self.tensors.append(Tensor(index, f"t{index}", shape, dtype, quant, data))
        return index

    def model(self, opcode: str, inputs: list[int], output: int, options: dict) -> Model:
        op = Operator(0, opcode, 1, tuple(inputs), (output,), options)
        return Model(tuple(self.tensors), (op,), (inputs[0],), (output,), "0" * 64, 0)


def _out_size(padding: int, size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """TFLite's output size and padding before (the derivation written again, independently)."""
    span = (k - 1) * dilation + 1
    out = -(-size // stride) if padding == 0 else (size - span) // stride + 1
    pad = max(((out - 1) * stride + span - size) // 2, 0)
    return out, pad


def _activation(rng: np.random.Generator) -> int:
    return int(rng.choice([ACT_NONE, ACT_RELU, ACT_RELU6, ACT_RELU_N1_TO_1]))


def _random_input(rng: np.random.Generator, count: int, shape: tuple[int, ...]) -> np.ndarray:
    """Half over the whole int8 range, half near a random centre (so clamps and zero points
    matter), plus the two extremes as whole samples."""
    wide = rng.integers(-128, 128, size=(count // 2, *shape))
    centre = rng.integers(-60, 60)
    narrow = np.clip(rng.normal(centre, 25, size=(count - count // 2, *shape)), -128, 127)
    x = np.concatenate([wide, narrow.round()]).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


def _conv_model(rng: np.random.Generator, depthwise: bool) -> Model | None:
    h = int(rng.choice([1, 1, 2, 3, 5]))
    w = int(rng.integers(1, 14))
    kh = int(rng.integers(1, min(h, 3) + 1))
    kw = int(rng.integers(1, 6))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    padding = int(rng.integers(0, 2))
    (oh, _), (ow, _) = (
        _out_size(padding, h, kh, stride[0], dilation[0]),
        _out_size(padding, w, kw, stride[1], dilation[1]),
    )
    if oh < 1 or ow < 1:
        return None
    c = int(rng.integers(1, 8))
    if depthwise:
        mult = int(rng.integers(1, 4))
        out_c, w_shape, axis = c * mult, (1, kh, kw, c * mult), 3
        options = {"depthMultiplier": mult}
        k = kh * kw
    else:
        groups = int(rng.choice([1, 1, 1, 2])) if c % 2 == 0 else 1
        out_c = int(rng.integers(1, 10)) * groups
        w_shape, axis = (out_c, kh, kw, c // groups), 0
        options = {}
        k = kh * kw * c // groups
    g = _Graph()
    s_in = float(rng.uniform(0.005, 0.1))
    per_channel = bool(rng.random() < 0.7)
    s_w = rng.uniform(0.002, 0.03, size=out_c if per_channel else 1)
    s_out = s_in * float(np.mean(s_w)) * 180 * np.sqrt(k) * float(rng.uniform(0.2, 3))
    x = g.tensor((1, h, w, c), scale=s_in, zero_point=int(rng.integers(-100, 100)))
    weights = rng.integers(-128, 128, size=w_shape).astype(np.int8)
    wt = g.tensor(w_shape, scale=s_w, axis=axis, data=weights)
    bias = rng.integers(-30000, 30000, size=out_c).astype(np.int32)
    bt = g.tensor((out_c,), "int32", scale=s_in * s_w, data=bias)
    y = g.tensor((1, oh, ow, out_c), scale=s_out, zero_point=int(rng.integers(-60, 60)))
    options |= {
        "padding": padding,
        "strideH": stride[0],
        "strideW": stride[1],
        "dilationHFactor": dilation[0],
        "dilationWFactor": dilation[1],
        "fusedActivationFunction": _activation(rng),
    }
    opcode = "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"
    return g.model(opcode, [x, wt, bt], y, options)


def _pool_model(rng: np.random.Generator, opcode: str) -> Model | None:
    h = int(rng.choice([1, 1, 2, 4]))
    w = int(rng.integers(1, 16))
    fh, fw = int(rng.integers(1, min(h, 3) + 1)), int(rng.integers(1, 5))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    padding = int(rng.integers(0, 2))
    (oh, _), (ow, _) = (
        _out_size(padding, h, fh, stride[0], 1),
        _out_size(padding, w, fw, stride[1], 1),
    )
    if oh < 1 or ow < 1:
        return None
    c = int(rng.integers(1, 8))
    g = _Graph()
    scale, zp = float(rng.uniform(0.01, 0.2)), int(rng.integers(-80, 80))
    x = g.tensor((1, h, w, c), scale=scale, zero_point=zp)
    y = g.tensor((1, oh, ow, c), scale=scale, zero_point=zp)
    options = {
        "padding": padding,
        "strideH": stride[0],
        "strideW": stride[1],
        "filterHeight": fh,
        "filterWidth": fw,
        "fusedActivationFunction": _activation(rng),
    }
    return g.model(opcode, [x], y, options)


def _reduce_model(rng: np.random.Generator, opcode: str) -> Model:
    rank = int(rng.integers(2, 5))
    shape = (1, *(int(d) for d in rng.integers(1, 7, size=rank - 1)))
    count = int(rng.integers(1, rank + 1))
    axes = sorted(int(a) for a in rng.choice(rank, size=count, replace=False))
    keep = bool(rng.random() < 0.5)
    out_shape = tuple(1 if a in axes else d for a, d in enumerate(shape))
    if not keep:
        out_shape = tuple(d for a, d in enumerate(shape) if a not in axes) or (1,)
    g = _Graph()
    s_in, zp = float(rng.uniform(0.01, 0.2)), int(rng.integers(-100, 100))
    if opcode == "MEAN":
        s_out = s_in * float(rng.choice([1.0, rng.uniform(0.1, 4.0)]))
        zp_out = int(rng.integers(-100, 100))
    else:
        s_out, zp_out = s_in, zp
    x = g.tensor(shape, scale=s_in, zero_point=zp)
    negative = [a - rank if rng.random() < 0.3 else a for a in axes]  # -1 is the last axis
    at = g.tensor((len(axes),), "int32", data=np.array(negative, dtype=np.int32))
    y = g.tensor(out_shape, scale=s_out, zero_point=zp_out)
    return g.model(opcode, [x, at], y, {"keepDims": keep})


def _reference(model: Model, x: np.ndarray) -> np.ndarray:
    op = model.operators[0]
    env: Env = {op.inputs[0]: x.reshape((len(x), *model.tensor(op.inputs[0]).shape))}
    kernel = OPS[op.opcode].reference
    assert kernel is not None
    kernel(model, op, env, "tflm")
    return env[op.outputs[0]].reshape(len(x), -1).astype(np.int8)


RANDOM_COUNTS = {
    "CONV_2D": 30,
    "DEPTHWISE_CONV_2D": 20,
    "MAX_POOL_2D": 12,
    "AVERAGE_POOL_2D": 12,
    "MEAN": 14,
    "REDUCE_MAX": 10,
}


def random_cases(seed: int, samples: int = 64, scale: float = 1.0) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    for opcode, wanted in RANDOM_COUNTS.items():
        made = 0
        while made < max(1, int(wanted * scale)):
            if opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                model = _conv_model(rng, opcode == "DEPTHWISE_CONV_2D")
            elif opcode in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
                model = _pool_model(rng, opcode)
            else:
                model = _reduce_model(rng, opcode)
            if model is None:
                continue
            op = model.operators[0]
            nop = native_op(model, op, f"el_r{len(cases)}")
            x = _random_input(rng, samples, model.tensor(op.inputs[0]).shape[1:])
            label = f"random {opcode} {made}: {model.tensor(op.inputs[0]).shape} {op.options}"
            cases.append(Case(label, nop, x.reshape(samples, -1), _reference(model, x)))
            made += 1
    return cases


def test_random_parameter_sets_host_bit_exact(tmp_path: Path) -> None:
    cases = random_cases(seed=7)
    # the draws reach what they are for: odd channel counts, groups, depth multipliers, both
    # paddings, strides and dilations above 1, outputs at both clamp ends
    convs = [c for c in cases if c.op.kernel == "el_conv_s8"]
    assert any(c.op.fields["input_c"] % 2 for c in convs)
    assert any(c.op.fields["filter_c"] != c.op.fields["input_c"] for c in convs)
    assert any(
        c.op.fields["depth_multiplier"] > 1 for c in cases if "depth_multiplier" in c.op.fields
    )
    assert any(c.op.fields["pad_w"] > 0 for c in convs)
    assert any(c.op.fields["dilation_w"] > 1 for c in convs)
    assert any(c.op.fields["stride_w"] > 1 for c in convs)
    every = np.concatenate([c.expected.reshape(-1) for c in convs])
    assert (every == -128).any() and (every == 127).any()
    outputs = run_host(cases, tmp_path, ["-O2"])
    assert _mismatches(cases, outputs, "reference") == {}


def test_random_parameter_sets_host_sanitizers(tmp_path: Path) -> None:
    cases = random_cases(seed=8, samples=16)
    outputs = run_host(cases, tmp_path, SANITIZE)
    assert _mismatches(cases, outputs, "reference") == {}


# --- the emulated Cortex-M4: the DSP path and the plain path --------------------------------


@pytest.mark.toolchain
@pytest.mark.slow
def test_qemu_m4_dsp_and_plain_paths(real_cases: list[Case], tmp_path: Path) -> None:
    """The convolutions' SMLAD path (EL_USE_DSP=1) and plain path give the reference's bytes;
    the other kernels ride along to show they build and run on the core too."""
    conv_kernels = ("el_conv_s8", "el_depthwise_conv_s8")
    convs = [
        Case(c.label, c.op, c.x[:60], c.expected[:60])
        for c in real_cases
        if c.op.kernel in conv_kernels
    ]
    others = [
        Case(c.label, c.op, c.x[:20], c.expected[:20])
        for c in real_cases
        if c.op.kernel not in conv_kernels
    ]
    cases = convs + others[:: max(1, len(others) // 6)]
    cases += random_cases(seed=9, samples=12, scale=0.5)
    for dsp in (1, 0):
        outputs, _ = run_qemu_m4(cases, tmp_path, dsp)
        assert _mismatches(cases, outputs, "reference") == {}, f"EL_USE_DSP={dsp}"


@pytest.mark.toolchain
@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m55"])
def test_kernels_compile_for_arm(cpu: str, tmp_path: Path) -> None:
    gcc = require("arm-none-eabi-gcc")
    for dsp in ([], ["-DEL_USE_DSP=0"]):
        for src in KERNELS:
            cmd = [gcc, f"-mcpu={cpu}", "-mthumb", *STRICT, "-O2", *dsp, f"-I{RUNTIME}", "-c",
                   src, "-o", str(tmp_path / "k.o")]  # fmt: skip
            result = subprocess.run(cmd, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr


# --- what native_op refuses -----------------------------------------------------------------


def test_unsupported_opcode_names_the_op() -> None:
    g = _Graph()
    x = g.tensor((1, 4), scale=0.1)
    y = g.tensor((1, 4), scale=0.1)
    model = g.model("TANH", [x], y, {})
    with pytest.raises(UnsupportedModelError, match=r"operator 0 \(TANH\).*--runtime tflm"):
        native_op(model, model.operators[0], "el_l0")


def test_batch_above_one_is_refused() -> None:
    g = _Graph()
    x = g.tensor((2, 1, 8, 3), scale=0.1)
    y = g.tensor((2, 1, 4, 3), scale=0.1)
    options = {"padding": 1, "strideH": 1, "strideW": 2, "filterHeight": 1, "filterWidth": 2}
    model = g.model("MAX_POOL_2D", [x], y, options)
    with pytest.raises(UnsupportedModelError, match=r"MAX_POOL_2D.*\[2, 1, 8, 3\]"):
        native_op(model, model.operators[0], "el_l0")


def test_rank_above_four_is_refused() -> None:
    g = _Graph()
    x = g.tensor((1, 2, 2, 2, 2), scale=0.1)
    axes = g.tensor((1,), "int32", data=np.array([1], dtype=np.int32))
    y = g.tensor((1, 2, 2, 2), scale=0.1)
    model = g.model("REDUCE_MAX", [x, axes], y, {"keepDims": False})
    with pytest.raises(UnsupportedModelError, match=r"REDUCE_MAX.*rank 5"):
        native_op(model, model.operators[0], "el_l0")


def test_float_conv_is_refused() -> None:
    g = _Graph()
    x = g.tensor((1, 1, 8, 3), "float32")
    w = g.tensor((2, 1, 3, 3), "float32", data=np.zeros((2, 1, 3, 3), np.float32))
    y = g.tensor((1, 1, 6, 2), "float32")
    model = g.model("CONV_2D", [x, w], y, {"padding": 1})
    with pytest.raises(UnsupportedModelError, match=r"CONV_2D.*input is float32"):
        native_op(model, model.operators[0], "el_l0")


def test_symbols_are_prefixed_by_the_name(real_cases: list[Case]) -> None:
    conv = next(c for c in real_cases if c.op.kernel == "el_conv_s8")
    assert all(a.name.startswith("el_a0_op") for a in conv.op.arrays)
    assert conv.op.fields["weights"] == conv.op.arrays[0].name
    # flash: packed weights (ceil(K/4) words per output channel), bias, 8-byte requantizations
    f = conv.op.fields
    k = int(f["filter_h"]) * int(f["filter_w"]) * int(f["filter_c"])  # type: ignore[call-overload]
    out_c = int(f["output_c"])  # type: ignore[call-overload]
    assert conv.op.flash_bytes == out_c * (4 * -(-k // 4) + 4 + 8)


def instruction_table(samples: int = 4) -> str:
    """Instructions of one call of each real operator on the emulated Cortex-M4, with the DSP
    path and without, as a markdown table (figures to 40 instructions: the timer's tick)."""
    import tempfile

    cases: list[Case] = []
    for m, name in enumerate(ARCH_MODELS):
        data = arch_tflite_path(name).read_bytes()
        x = arch_inputs(ARCH_ARCHS[name], samples)
        cases += _model_cases(f"arch {name}", f"el_a{m}", data, x)
    for m, name in enumerate(("strided", "depthwise_separable", "conv_causal_avgpool")):
        data = kernel_tflite_bytes(name)
        x = kernel_inputs(KERNEL_MODELS[name], parse_model(data), samples)
        cases += _model_cases(f"kernels {name}", f"el_k{m}", data, x)
    tmp = Path(tempfile.mkdtemp())
    ticks = {}
    for dsp in (1, 0):
        outputs, ticks[dsp] = run_qemu_m4(cases, tmp, dsp)
        assert _mismatches(cases, outputs, "tflm") == {}
    lines = [
        "| operator | input -> output | MACs | instructions, DSP | without DSP |",
        "|---|---|---|---|---|",
    ]
    for c, a, b in zip(cases, ticks[1], ticks[0], strict=True):
        shapes = f"{list(c.op.input_shape)} -> {list(c.op.output_shape)}"
        lines.append(f"| {c.label} | {shapes} | {c.op.macs} | {a} | {b} |")
    return "\n".join(lines)


if __name__ == "__main__":
    # python tests/test_native_ops.py: the instruction table of docs/native_engine.md
    print(instruction_table())
