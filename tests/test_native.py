"""The native C engine against the TFLM runtime: every output byte, on the host and on QEMU.

Each model is generated, compiled with the strict flags a user's firmware build may use, fed
300 sequences (half uniform over the whole int8 range, so saturation happens, plus all-min and
all-max sequences) and compared byte for byte with TFLite Micro, reset before every sequence.
The driver also runs the streaming API (T x el_model_step, then el_model_output) on the same
inputs, which must give the same bytes as el_model_invoke.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import model_zoo
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toolchain import require

from firmware_gen import cgen, native
from quantize.errors import UnsupportedModelError
from quantize.tflite_ir import parse_model, read_model

C_DIR = Path(__file__).parent / "c"
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
ARM_CPUS = ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]


def _inputs(config: model_zoo.ZooConfig, count: int = 300) -> np.ndarray:
    x = model_zoo.inputs_int8(config, count)
    x[0] = 127
    x[1] = -128
    return x


def _sources(out: Path) -> list[str]:
    runtime = [str(out / "runtime" / f) for f in native.RUNTIME_FILES if f.endswith(".c")]
    return [*(str(path) for path in sorted((out / "model").glob("*.c"))), *runtime]


def _build_host(out: Path, flags: list[str], name: str) -> Path:
    exe = out / name
    cmd = [
        "gcc", *STRICT, *flags, f"-I{out / 'model'}", f"-I{out / 'runtime'}", "-o", str(exe),
        *_sources(out), str(C_DIR / "host_driver.c"),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exe


def _run_host(exe: Path, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inputs = exe.parent / "inputs.bin"
    outputs = exe.parent / f"{exe.name}.out"
    x.astype(np.int8).tofile(inputs)
    subprocess.run([str(exe), str(inputs), str(outputs)], check=True, capture_output=True)
    got = np.fromfile(outputs, dtype=np.int8).reshape(len(x), 2, -1)
    return got[:, 0], got[:, 1]


def _check(name: str, got: np.ndarray, ref: np.ndarray) -> None:
    mismatches = int((got.astype(np.int32) != ref.astype(np.int32)).sum())
    print(f"{name}: {mismatches} mismatching bytes of {ref.size}")
    assert mismatches == 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """Generated models, one per zoo configuration and weight storage, made on first use."""
    cache: dict[tuple[str, str], tuple[Path, native.NativeExport]] = {}

    def get(name: str, weights: str = "int8") -> tuple[Path, native.NativeExport]:
        if (name, weights) not in cache:
            out = tmp_path_factory.mktemp(f"native_{name}_{weights}")
            export = native.generate(read_model(model_zoo.tflite_path(name)), out, weights)
            cache[name, weights] = (out, export)
        return cache[name, weights]

    return get


@pytest.fixture(scope="module")
def tflm_reference():
    """TFLM's outputs for the usual inputs of a zoo model, computed once per module."""
    cache: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}

    def get(name: str, count: int = 300) -> tuple[np.ndarray, np.ndarray]:
        if (name, count) not in cache:
            x = _inputs(model_zoo.zoo_config(name), count)
            ref = model_zoo.tflm_outputs(model_zoo.tflite_bytes(name), x).reshape(len(x), -1)
            cache[name, count] = (x, ref)
        return cache[name, count]

    return get


@pytest.mark.parametrize("weights", ["int8", "int16"])
@pytest.mark.parametrize("name", list(model_zoo.CONFIGS))
def test_host_bit_exact_with_tflm(name: str, weights: str, generated, tflm_reference) -> None:
    out, export = generated(name, weights)
    x, ref = tflm_reference(name)
    invoke, stream = _run_host(_build_host(out, ["-O2"], "host"), x)
    _check(f"{name} {weights} invoke", invoke, ref)
    _check(f"{name} {weights} T x step + output", stream, ref)
    assert export.ram_bytes > 0 and export.weights_bytes > 0
    assert export.weight_storage == weights


@pytest.mark.parametrize(
    ("name", "weights"),
    [
        ("small", "int8"),
        ("stack3", "int8"),
        ("seq", "int8"),
        ("odd", "int8"),
        ("odd", "int16"),
        ("stack3", "int16"),
    ],  # fmt: skip
)
def test_host_sanitizers(name: str, weights: str, generated, tflm_reference) -> None:
    out, _ = generated(name, weights)
    x, ref = tflm_reference(name, 40)
    invoke, stream = _run_host(_build_host(out, SANITIZE, "asan"), x)
    _check(f"{name} {weights} asan invoke", invoke, ref)
    _check(f"{name} {weights} asan stream", stream, ref)


def test_short_requantization_forms(tmp_path: Path) -> None:
    """el_mbqm_fast and el_mbqm_pow2 equal el_mbqm over the ranges the LSTM kernel uses."""
    exe = tmp_path / "requant_forms"
    runtime = Path(native.__file__).parent / "runtime"
    cmd = ["gcc", *STRICT, "-O2", "-fsanitize=undefined", "-fno-sanitize-recover=all",
           f"-I{runtime}", "-o", str(exe), str(C_DIR / "requant_forms.c")]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_packed_activation_table(tmp_path: Path) -> None:
    """The sigmoid and tanh on the packed value-and-slope table equal TFLite's interpolation
    on the uint16 table for every int16 input and every scaling the generator emits (the
    DSP-extension form of the interpolation is covered by the Cortex-M4 runs)."""
    from quantize.activations import SIGMOID_TABLE_Q16

    exe = tmp_path / "activations"
    runtime = Path(native.__file__).parent / "runtime"
    table = ",".join(str(int(v)) for v in SIGMOID_TABLE_Q16)
    cmd = ["gcc", *STRICT, "-O2", "-fsanitize=undefined", "-fno-sanitize-recover=all",
           f"-DSIGMOID_REF_TABLE={table}", f"-I{runtime}", "-o", str(exe),
           str(C_DIR / "activations.c"), str(runtime / "el_sigmoid_tanh.c")]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize("name", list(model_zoo.CONFIGS))
def test_zoo_lstms_take_the_shift_only_path(name: str) -> None:
    plan = native.plan(read_model(model_zoo.tflite_path(name)))
    assert all(layer.shift_only == 1 for layer in plan.lstms)


def test_zoo_covers_both_gate_saturation_paths() -> None:
    """Layers proved free of gate saturation (gates_in_range) skip the kernel's int16
    saturations; the zoo, checked byte for byte against TFLM, has layers of both kinds."""
    flags = {
        layer.gates_in_range
        for name in model_zoo.CONFIGS
        for layer in native.plan(read_model(model_zoo.tflite_path(name))).lstms
    }
    assert flags == {0, 1}


@pytest.mark.parametrize("name", ["small", "stack3", "odd"])
def test_host_general_requantization_path(name: str, monkeypatch, tmp_path: Path) -> None:
    """The kernel's general MultiplyByQuantizedMultiplier path (shift_only = 0), which no zoo
    model needs, gives the same bytes: forced by generating the layers without the short
    forms (plain biases)."""
    real_plan = native.plan

    def general_plan(model, weight_storage="int8"):
        p = real_plan(model, weight_storage)
        lstms = [
            dataclasses.replace(
                layer,
                shift_only=0,
                gates_in_range=0,
                bias=layer.bias // (1 + layer.shift_only),
            )
            for layer in p.lstms
        ]
        return dataclasses.replace(p, lstms=lstms)

    monkeypatch.setattr(native, "plan", general_plan)
    native.generate(read_model(model_zoo.tflite_path(name)), tmp_path)
    text = (tmp_path / "model" / "model.c").read_text()
    assert ".shift_only = 0," in text and ".short_rq = 0," in text
    assert ".shift_only = 1," not in text and "el_lstm_short_rq" not in text
    x = _inputs(model_zoo.CONFIGS[name], 60)
    ref = model_zoo.tflm_outputs(model_zoo.tflite_bytes(name), x).reshape(len(x), -1)
    invoke, stream = _run_host(_build_host(tmp_path, SANITIZE, "general"), x)
    _check(f"{name} general invoke", invoke, ref)
    _check(f"{name} general stream", stream, ref)


def test_generated_files(generated) -> None:
    out, export = generated("kws")
    text = export.model_c.read_text()
    header = export.model_h.read_text()
    model = read_model(model_zoo.tflite_path("kws"))
    assert model.sha256 in text and model.sha256 in header
    assert "#ifndef EL_MODEL_CONFIG_H" in header
    assert "EL_NET_STATIC_ASSERT(sizeof(" in text
    assert ".hidden_zero_point = " in text and "const el_net el_model_net = {" in text
    assert re.search(r"#define EL_MODEL_INPUT_SCALE_BITS 0x[0-9A-F]{8}u", header)
    assert "float" not in text and "double" not in text and "malloc" not in text
    for f in native.RUNTIME_FILES:
        assert (out / "runtime" / f).exists()
    for f in cgen.API_FILES:
        assert (out / "model" / f).exists()
    info = export.as_dict()
    assert info["runtime"] == "native" and info["ram_bytes"] == export.ram_bytes


def test_unsupported_op_names_it_and_suggests_tflm() -> None:
    model = read_model(model_zoo.tflite_path("small"))
    ops = list(model.operators)
    ops[-1] = dataclasses.replace(ops[-1], opcode="TANH")
    broken = dataclasses.replace(model, operators=tuple(ops))
    with pytest.raises(UnsupportedModelError, match=r"TANH.*--runtime tflm"):
        native.plan(broken)


def test_pack_rows_byte_order() -> None:
    w = np.arange(1, 6, dtype=np.int8).reshape(1, 5)
    words = native.pack_rows(w).view(np.uint32)
    assert words.tolist() == [[0x04020301, 0x00000005]]


def test_pack_rows_s16_pairs() -> None:
    """int16 storage: (w0, w1), (w2, w3) per column group, low half first, sign-extended."""
    w = np.array([[1, -2, 3, -128, 127]], dtype=np.int8)
    words = native.pack_rows_s16(w).view(np.uint32)
    assert words.tolist() == [[0xFFFE0001, 0xFF800003, 0x0000007F, 0x00000000]]


def test_int16_layout_interleaves_two_words_per_gate() -> None:
    """Both storages hold the same weights: unpacking either layout gives the .tflite's."""
    model = read_model(model_zoo.tflite_path("odd"))
    for weights in native.WEIGHT_STORAGE:
        layer = native.plan(model, weights).lstms[0]
        words = layer.weights.view(np.uint32)
        if weights == "int8":
            b = words.view(np.uint8).reshape(-1, 4)[:, [0, 2, 1, 3]].view(np.int8).reshape(-1)
        else:
            b = words.view(np.int16).reshape(-1)
        groups_x, groups_h = (layer.input_size + 3) // 4, (layer.hidden + 3) // 4
        per_unit = b.reshape(layer.hidden, groups_x + groups_h, 4, 4)  # [unit, group, gate, col]
        unpacked = per_unit.transpose(2, 0, 1, 3).reshape(4, layer.hidden, -1)
        lstm = next(op for op in model.operators if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM")
        for g in range(4):
            wx = model.tensor(lstm.inputs[1 + g]).data
            wh = model.tensor(lstm.inputs[5 + g]).data
            assert np.array_equal(unpacked[g, :, : layer.input_size], wx)
            start = 4 * groups_x
            assert np.array_equal(unpacked[g, :, start : start + layer.hidden], wh)


@pytest.mark.slow
@pytest.mark.tf
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    timesteps=st.integers(1, 6),
    features=st.integers(1, 7),
    hidden=st.lists(st.integers(1, 12), min_size=1, max_size=2),
    head=st.sampled_from(["softmax", "regression", "relu-softmax"]),
    seed=st.integers(0, 1000),
    calib_std=st.sampled_from([0.25, 1.0, 2.0, 8.0]),  # input scales: right, no and left shifts
)
def test_random_small_models(
    tmp_path_factory, timesteps, features, hidden, head, seed, calib_std
) -> None:
    from quantize.convert import convert_keras

    config = model_zoo.ZooConfig(
        "random",
        timesteps,
        features,
        tuple(hidden),
        head=head,
        outputs=3,
        seed=seed,
        calib_std=calib_std,
    )
    data = convert_keras(model_zoo.build_keras(config), model_zoo.calibration_data(config)).tflite
    out = tmp_path_factory.mktemp("native_random")
    native.generate(parse_model(data), out)
    x = _inputs(config, 60)
    ref = model_zoo.tflm_outputs(data, x).reshape(len(x), -1)
    invoke, stream = _run_host(_build_host(out, ["-O2"], "host"), x)
    _check(f"random {config}", invoke, ref)
    _check("random stream", stream, ref)


@pytest.mark.toolchain
@pytest.mark.parametrize("cpu", ARM_CPUS)
def test_arm_compiles(cpu: str, generated, tmp_path: Path) -> None:
    gcc = require("arm-none-eabi-gcc")
    for name in ["stack3", "seq"]:
        out, _ = generated(name)
        for src in _sources(out):
            cmd = [gcc, f"-mcpu={cpu}", "-mthumb", *STRICT, "-O2", f"-I{out / 'model'}",
                   f"-I{out / 'runtime'}", "-c", src, "-o", str(tmp_path / "x.o")]  # fmt: skip
            result = subprocess.run(cmd, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr
    # The LSTM loops' inline assembly must find its registers without optimization too
    # (r7 is then the frame pointer), with and without the DSP path.
    out, _ = generated("seq")
    for dsp in ["", "-DEL_USE_DSP=0"]:
        cmd = [gcc, f"-mcpu={cpu}", "-mthumb", *STRICT, "-O0", *([dsp] if dsp else []),
               f"-I{out / 'runtime'}", "-c", str(out / "runtime" / "el_lstm_s8.c"),
               "-o", str(tmp_path / "x.o")]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def _qemu_m4(out: Path, x: np.ndarray, dsp: int, cpu: str = "cortex-m4") -> tuple[np.ndarray, int]:
    """Runs the inputs on the emulated MPS2 board of ``cpu`` (AN386 Cortex-M4, AN385 M3)."""
    gcc = require("arm-none-eabi-gcc")
    qemu = require("qemu-system-arm")
    rows = ",\n".join("{" + ",".join(str(int(v)) for v in s.reshape(-1)) + "}" for s in x)
    (out / "inputs.h").write_text(
        '#include <stdint.h>\n#include "model.h"\n'
        f"#define EL_TEST_COUNT {len(x)}\n"
        f"static const int8_t el_test_inputs[{len(x)}][EL_MODEL_INPUT_BYTES] = {{\n{rows}\n}};\n"
    )
    elf = out / f"{cpu}_dsp{dsp}.elf"
    mps2 = C_DIR / "mps2"
    cmd = [gcc, f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=soft", *STRICT, "-O2",
           f"-DEL_USE_DSP={dsp}", f"-I{out / 'model'}", f"-I{out / 'runtime'}", f"-I{out}",
           f"-I{mps2}", "-nostartfiles", "--specs=nano.specs", "-T", str(mps2 / "mps2.ld"),
           "-o", str(elf), *_sources(out),
           str(mps2 / "startup.c"), str(mps2 / "main.c")]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    run = subprocess.run(
        [
            qemu,
            "-M",
            "mps2-an385" if cpu == "cortex-m3" else "mps2-an386",
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
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    got = np.stack([np.frombuffer(bytes.fromhex(line), dtype=np.int8) for line in lines[:-1]])
    ticks = int(lines[-1].split()[1])
    return got, ticks * 40  # timer at 25 MHz, 1 instruction = 1 ns under icount shift=0


def _true_macs(name: str) -> int:
    config = model_zoo.CONFIGS[name]
    plan = native.plan(read_model(model_zoo.tflite_path(name)))
    lstm = sum(4 * layer.hidden * (layer.input_size + layer.hidden) for layer in plan.lstms)
    head = sum(op.input_size * op.output_size for op in plan.head if isinstance(op, native._Fc))
    return config.timesteps * lstm + head * (config.timesteps if plan.sequence_output else 1)


@pytest.mark.toolchain
@pytest.mark.parametrize("weights", ["int8", "int16"])
@pytest.mark.parametrize("name", ["imu", "kws"])
def test_qemu_m4_dsp_and_plain_paths(name: str, weights: str, generated, tflm_reference) -> None:
    """The DSP loop and the Armv7-M loop (the M4 built with EL_USE_DSP=0), for both weight
    storages, give TFLM's bytes on the emulated Cortex-M4."""
    out, _ = generated(name, weights)
    x, ref = tflm_reference(name, 12)
    dsp, dsp_instr = _qemu_m4(out, x, 1)
    plain, plain_instr = _qemu_m4(out, x, 0)
    _check(f"{name} {weights} M4 DSP", dsp, ref)
    _check(f"{name} {weights} M4 plain", plain, ref)
    macs = _true_macs(name)
    print(
        f"{name} {weights}: {macs} MACs; DSP {dsp_instr} instructions "
        f"({dsp_instr / macs:.2f}/MAC), plain {plain_instr} ({plain_instr / macs:.2f}/MAC)"
    )
    assert dsp_instr < plain_instr


@pytest.mark.toolchain
@pytest.mark.parametrize("weights", ["int8", "int16"])
@pytest.mark.parametrize("name", ["tiny", "small", "stack2", "stack3", "seq", "odd"])
def test_qemu_m4_units_routine(name: str, weights: str, generated, tflm_reference) -> None:
    """On cores with the DSP extension every unit of a layer on the short forms runs in one
    assembly routine (el_lstm_units_dsp, with and without the gate saturations): the rest of
    the zoo through it, byte for byte against TFLM (imu, kws and wide are run above)."""
    out, _ = generated(name, weights)
    x, ref = tflm_reference(name, 8)
    got, _ = _qemu_m4(out, x, 1)
    _check(f"{name} {weights} M4 units routine", got, ref)


def test_scale_models_select_the_forms_they_are_for() -> None:
    """ "scaled" has input-side gate requantizations without a right shift (the short form with
    right 0) and "raw" a left shift (the short form with the accumulator shifted left): both
    stay on the short forms, and the tests below run both."""
    scaled = native.plan(read_model(model_zoo.tflite_path("scaled"))).lstms[0]
    raw = native.plan(read_model(model_zoo.tflite_path("raw"))).lstms[0]
    assert scaled.shift_only == 1 and any(shift == 0 for _, shift in scaled.input_rq)
    assert raw.shift_only == 1 and any(shift > 0 for _, shift in raw.input_rq)


def test_left_shift_sides_are_written_for_the_kernel() -> None:
    """A left-shift side is (left, multiplier, 0, 0, 0): the kernel shifts the doubled
    accumulator and takes the SMMLAR alone; a right-shift side has left 0. The bound that
    makes it exact: 2 |acc| 2^left < 2^31 for every accumulator the layer can reach."""
    raw = native.plan(read_model(model_zoo.tflite_path("raw"))).lstms[0]
    fields = native.short_rq_fields(raw)
    for g, (m, shift) in enumerate(raw.input_rq):
        side = fields["gate"][g][0]
        if shift > 0:
            assert side == {"left": shift, "multiplier": m, "half": 0, "right": 0, "round_neg": 0}
        else:
            assert side["left"] == 0 and side["right"] == -shift
    assert native.scalar_count(fields) == 55


def test_a_left_shift_that_could_overflow_takes_the_general_path() -> None:
    """The short form's left shift needs 2 |acc| 2^left < 2^31; a layer whose bound is one
    step from that limit keeps the general MultiplyByQuantizedMultiplier."""
    model = read_model(model_zoo.tflite_path("raw"))
    raw = native.plan(model).lstms[0]
    left = max(shift for _, shift in raw.input_rq)
    lstm = next(op for op in model.operators if op.opcode == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    # the bound is |folded bias| + 128 sum |w| >= |bias|: an input gate bias of 2^(30 - left)
    # alone puts 2 |acc| 2^left at 2^31
    bias_t = model.tensor(lstm.inputs[12])
    big = np.full_like(bias_t.data, 1 << (30 - left))
    tensors = list(model.tensors)
    tensors[lstm.inputs[12]] = dataclasses.replace(bias_t, data=big)
    changed = dataclasses.replace(model, tensors=tuple(tensors))
    assert native.plan(changed).lstms[0].shift_only == 0


def test_export_reports_the_requantization_path(tmp_path: Path) -> None:
    """export --json says which path and gate shift form each LSTM layer takes."""
    for name, shifts in (("scaled", "none"), ("raw", "left"), ("small", "right")):
        export = native.generate(read_model(model_zoo.tflite_path(name)), tmp_path / name)
        layer = export.as_dict()["layers"][0]
        assert layer["requantization"] == "short"
        assert layer["gate_shifts"] == shifts


@pytest.mark.parametrize("weights", ["int8", "int16"])
@pytest.mark.parametrize("name", list(model_zoo.SCALE_CONFIGS))
def test_scale_models_host_bit_exact(name: str, weights: str, generated, tflm_reference) -> None:
    """The C path under the sanitizers: every byte equals TFLM's."""
    out, _ = generated(name, weights)
    x, ref = tflm_reference(name, 60)
    invoke, stream = _run_host(_build_host(out, SANITIZE, "asan"), x)
    _check(f"{name} {weights} host invoke", invoke, ref)
    _check(f"{name} {weights} host stream", stream, ref)


@pytest.mark.toolchain
@pytest.mark.parametrize("weights", ["int8", "int16"])
@pytest.mark.parametrize("name", list(model_zoo.SCALE_CONFIGS))
def test_scale_models_qemu_m4(name: str, weights: str, generated, tflm_reference) -> None:
    """The emulated Cortex-M4, with the DSP extension (the units routine's no-shift block for
    "scaled", its left-shift block for "raw") and without (the Armv7-M code): every byte
    equals TFLM's."""
    out, _ = generated(name, weights)
    x, ref = tflm_reference(name, 12)
    for dsp in (1, 0):
        got, _ = _qemu_m4(out, x, dsp)
        _check(f"{name} {weights} M4 dsp={dsp}", got, ref)


@pytest.mark.toolchain
@pytest.mark.parametrize("name", list(model_zoo.SCALE_CONFIGS))
def test_scale_models_qemu_m3(name: str, generated, tflm_reference) -> None:
    """The emulated Cortex-M3 (Armv7-M, no DSP extension): the left-shift and no-shift forms
    in the C unit code give TFLM's bytes."""
    out, _ = generated(name, "int8")
    x, ref = tflm_reference(name, 12)
    got, _ = _qemu_m4(out, x, 0, "cortex-m3")
    _check(f"{name} int8 M3", got, ref)


@pytest.mark.toolchain
@pytest.mark.slow
def test_qemu_m4_instructions_hidden_128(generated) -> None:
    out, _ = generated("wide")
    x = _inputs(model_zoo.CONFIGS["wide"], 3)
    ref = model_zoo.tflm_outputs(model_zoo.tflite_bytes("wide"), x).reshape(len(x), -1)
    got, instr = _qemu_m4(out, x, 1)
    _check("wide M4 DSP", got, ref)
    macs = _true_macs("wide")
    print(f"wide: {macs} MACs, {instr} instructions, {instr / macs:.2f}/MAC")
