"""The TFLite Micro export: a .tflite as a C array plus the glue that serves the app's model API.

The firmware app (el_app.c) talks to the model only through el_model.h (el_model_init, invoke,
step, output, ...). For the TFLM runtime that API is implemented on tflite::MicroInterpreter by
runtime/tflm/model_tflm.cc, the same file for every model, so a TFLM firmware answers the same
serial protocol as a native one and the same validation runs against both. What TFLM itself
needs is generated per model: the model bytes (16-byte aligned, as TFLM reads flatbuffer fields
in place), a resolver registering exactly the model's ops (every unused kernel would cost
flash), the arena size derived for the chosen kernel set (quantize.arena), never a guess, and
model_config.h, the figures the glue and the app read.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from firmware_gen import include_dir
from firmware_gen.cgen import ModelFigures, copy_api, model_config_header, tool_version
from quantize import arena
from quantize.errors import UnsupportedModelError
from quantize.ir import Model
from quantize.ops import OPS
from quantize.tflite_ir import parse_model

# Builtin op -> MicroMutableOpResolver method, and -> the kernel sources under
# tensorflow/lite/micro/kernels/ that implement it (file stems; a CMSIS-NN tree has some of them
# under kernels/cmsis_nn/ instead). Building only these and the interpreter keeps a TFLM build to
# about 60 files instead of about 200. Both come from the op table.
RESOLVER_METHODS: dict[str, str] = {
    row.opcode: row.tflm_resolver for row in OPS.values() if row.tflm_resolver is not None
}
KERNEL_SOURCES: dict[str, tuple[str, ...]] = {
    row.opcode: row.tflm_sources for row in OPS.values() if row.tflm_resolver is not None
}
#: Kernel helpers every kernel uses.
KERNEL_HELPERS = ("kernel_util", "micro_tensor_utils")

# edge-lstm's own recurrent ops (CUSTOM:EL_GRU, CUSTOM:EL_SIMPLE_RNN) have no TFLM kernel: the
# export ships one (runtime/tflm/el_gru_tflm.cc) that runs the native engine's C step function,
# registered with AddCustom under the op's custom code. Custom code -> registration function.
CUSTOM_REGISTRATIONS: dict[str, str] = {
    "CUSTOM:EL_GRU": "el_tflm_register_gru",
    "CUSTOM:EL_SIMPLE_RNN": "el_tflm_register_simple_rnn",
}
#: The custom kernel's files (C++, TFLM flags), copied into model/.
CUSTOM_KERNEL_FILES = ("el_gru_tflm.h", "el_gru_tflm.cc")
#: The C step function the custom kernel calls; runtime/ gets it with every header it includes
#: (and their .c files), compiled as C99 like the native engine.
CUSTOM_RUNTIME_ROOTS = ("el_gru_s8.h", "el_gru_s8.c")


def kernel_stems(ops: list[str]) -> list[str]:
    """The kernel source stems the model's ops need, helpers first, each once."""
    stems = list(KERNEL_HELPERS)
    for op in ops:
        for stem in KERNEL_SOURCES.get(op, ()):
            if stem not in stems:
                stems.append(stem)
    return stems


@dataclass(frozen=True)
class TflmExport:
    """What generate() wrote and the figures a build or report needs."""

    model_dir: Path
    files: tuple[str, ...]  # generated for this model (the static API and glue are copied)
    kernels: str
    arena_bytes: int
    arena_minimum: int
    arena_derivation: str
    ops: tuple[str, ...]  # registered, in first-use order
    model_bytes: int
    model_sha256: str

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["model_dir"] = str(self.model_dir)
        data["files"] = list(self.files)
        data["ops"] = list(self.ops)
        return data


def resolver_ops(model: Model) -> list[str]:
    """The distinct builtin ops of the model, in order of first use."""
    ops: list[str] = []
    for opcode in model.opcodes:
        if opcode not in ops:
            ops.append(opcode)
    missing = [
        op
        for op in ops
        if op not in CUSTOM_REGISTRATIONS
        and (op not in RESOLVER_METHODS or op not in KERNEL_SOURCES)
    ]
    if missing:
        raise UnsupportedModelError(
            f"no TFLM op resolver entry for {', '.join(missing)}; the TFLM export supports "
            f"{', '.join(sorted([*RESOLVER_METHODS, *CUSTOM_REGISTRATIONS]))}"
        )
    return ops


def custom_runtime_files() -> list[str]:
    """The C files of the step function the custom kernel calls: its header and source, every
    header they include (transitively) and the .c beside each such header, in a stable order."""
    runtime = include_dir()
    wanted: list[str] = []
    pending = list(CUSTOM_RUNTIME_ROOTS)
    while pending:
        name = pending.pop(0)
        if name in wanted or not (runtime / name).is_file():
            continue
        wanted.append(name)
        for line in (runtime / name).read_text().splitlines():
            if line.startswith('#include "'):
                pending.append(line.split('"')[1])
        if name.endswith(".h"):
            pending.append(name[:-2] + ".c")
    return sorted(wanted)


def _banner(sha256: str, what: str) -> str:
    return (
        f"/* {what}\n"
        f" * Generated by edge-lstm {tool_version()} from a .tflite with sha256\n"
        f" * {sha256}. Do not edit: re-run `edge-lstm export --runtime tflm`.\n */\n"
    )


def _guard(name: str) -> tuple[str, str]:
    macro = f"EL_{name.upper()}_H"
    return f"#ifndef {macro}\n#define {macro}\n\n", f"\n#endif /* {macro} */\n"


def model_data_files(data: bytes, sha256: str) -> tuple[str, str]:
    """model_data.h and model_data.cc: the .tflite bytes as an aligned const array."""
    g_open, g_close = _guard("model_data")
    header = (
        _banner(sha256, "The model flatbuffer, read in place by TFLite Micro.")
        + g_open
        + "extern const unsigned char g_model_data[];\n"
        + "extern const unsigned int g_model_data_len;\n"
        + g_close
    )
    rows = []
    for start in range(0, len(data), 16):
        chunk = data[start : start + 16]
        rows.append("    " + ", ".join(f"0x{b:02x}" for b in chunk) + ",")
    source = (
        _banner(sha256, "The model flatbuffer, read in place by TFLite Micro.")
        + '#include "model_data.h"\n\n'
        + "/* 16-byte alignment: TFLM reads flatbuffer scalars and tensor data in place. */\n"
        + f"alignas(16) const unsigned char g_model_data[{len(data)}] = {{\n"
        + "\n".join(rows)
        + "\n};\n"
        + f"const unsigned int g_model_data_len = {len(data)}u;\n"
    )
    return header, source


def op_resolver_header(ops: list[str], sha256: str) -> str:
    g_open, g_close = _guard("op_resolver")
    custom = [op for op in ops if op in CUSTOM_REGISTRATIONS]
    lines = [
        _banner(sha256, "The TFLM op resolver: exactly the model's ops, nothing else linked."),
        g_open,
        '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"\n',
        *(
            ['#include "el_gru_tflm.h" /* edge-lstm\'s EL_GRU / EL_SIMPLE_RNN kernel */\n']
            if custom
            else []
        ),  # fmt: skip
        "\n",
        f"/* {len(ops)} ops, one resolver slot each (an AddCustom takes one too). */\n",
        f"#define EL_TFLM_OP_COUNT {len(ops)}\n\n",
        "typedef tflite::MicroMutableOpResolver<EL_TFLM_OP_COUNT> ElOpResolver;\n\n",
        "/* Registers every op of the model; kTfLiteError if one is refused. */\n",
        "static inline TfLiteStatus el_register_ops(ElOpResolver &resolver)\n{\n",
    ]
    for op in ops:
        if op in CUSTOM_REGISTRATIONS:
            name = op.split(":", 1)[1]
            lines.append(
                f"    const TFLMRegistration {name.lower()} = {CUSTOM_REGISTRATIONS[op]}();\n"
            )
            call = f'AddCustom("{name}", &{name.lower()})'
        else:
            call = f"{RESOLVER_METHODS[op]}()"
        lines.append(f"    if (resolver.{call} != kTfLiteOk) {{ /* {op} */\n")
        lines.append("        return kTfLiteError;\n    }\n")
    lines += ["    return kTfLiteOk;\n}\n", g_close]
    return "".join(lines)


def arena_header(figure: arena.ArenaFigure, sha256: str) -> str:
    g_open, g_close = _guard("arena")
    wrapped = _wrap(figure.derivation, 92)
    comment = "\n".join(f" * {line}" for line in wrapped)
    return (
        _banner(sha256, "The TFLM tensor arena size for this model.")
        + g_open
        + "/* Derived, not guessed (a too small arena makes TFLM's CMSIS-NN LSTM setup write\n"
        + " * through a null pointer). How:\n"
        + comment
        + "\n */\n"
        + f'#define EL_TFLM_KERNELS "{figure.kernels}"\n'
        + f"#define EL_TFLM_ARENA_MIN_BYTES {figure.minimum}u /* replayed minimum */\n"
        + "/* Overridable (make TFLM_ARENA_BYTES=N) only to measure the minimum. */\n"
        + "#ifndef EL_TFLM_ARENA_BYTES\n"
        + f"#define EL_TFLM_ARENA_BYTES {figure.bytes}u /* minimum + {figure.margin} B margin */\n"
        + "#endif\n"
        + g_close
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.replace("*/", "* /").split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def model_config(model: Model, figure: arena.ArenaFigure) -> str:
    """model_config.h: the EL_MODEL_* figures the app reads, as the native export defines them."""
    x, y = model.input, model.output
    if x.dtype != "int8" or y.dtype != "int8" or x.quant is None or y.quant is None:
        raise UnsupportedModelError("the TFLM export needs an int8 quantized input and output")
    timesteps, features = x.shape[-2], x.shape[-1]
    output_bytes = math.prod(y.shape)
    sequence = len(y.shape) == 3 and y.shape[1] == timesteps and timesteps > 1
    figures = ModelFigures(
        sha256=model.sha256,
        runtime="tflm",
        timesteps=timesteps,
        features=features,
        output_bytes=output_bytes,
        step_output_bytes=output_bytes // timesteps if sequence else output_bytes,
        sequence_output=sequence,
        input_scale=x.scale,
        input_zero_point=x.zero_point,
        output_scale=y.scale,
        output_zero_point=y.zero_point,
    )
    return model_config_header(
        figures,
        "the figures of the model (TFLite Micro runtime)",
        [
            '#include "arena.h"',
            f"#define EL_MODEL_ARENA_BYTES EL_TFLM_ARENA_BYTES /* {figure.bytes} B */",
            "/* the arena and el_model_step()'s buffer of a whole input */",
            "#define EL_MODEL_RAM_BYTES (EL_MODEL_ARENA_BYTES + EL_MODEL_INPUT_BYTES)",
        ],
    )


#: The glue, the same for every model (its blanks come from the generated headers).
GLUE_SOURCE = "model_tflm.cc"


#: A file every TFLM tree has; its absence means TFLM_DIR points elsewhere.
TREE_MARKER = "tensorflow/lite/micro/micro_interpreter.cc"
#: The CMSIS-NN LSTM kernel: present exactly when the tree was made with
#: OPTIMIZED_KERNEL_DIR=cmsis_nn (create_tflm_tree.py then drops the reference kernels it replaces).
CMSIS_NN_MARKER = "tensorflow/lite/micro/kernels/cmsis_nn/unidirectional_sequence_lstm.cc"


def tflm_makefile(
    sha256: str, kernels: str, tflm_dir: Path | None, ops: list[str] | None = None
) -> str:
    """model/tflm.mk: the TFLM tree, its sources, include paths and flags.

    The project Makefile includes it when present, compiles TFLM_SRCS (C++) and TFLM_CSRCS (C)
    into $(BUILD)/libtflm.a and links the firmware against that archive, so only the objects
    the interpreter and the registered kernels reference end up in the image. Every C++ file
    that includes a TFLM header, the generated glue included, must see the same TFLM_DEFINES:
    TF_LITE_STATIC_MEMORY changes the layout of TfLiteTensor.
    """
    default = str(tflm_dir.resolve()) if tflm_dir is not None else ""
    cmsis = kernels == "cmsis-nn"
    how = (
        'create_tflm_tree.py --makefile_options="TARGET=cortex_m_generic '
        'TARGET_ARCH=cortex-m4 OPTIMIZED_KERNEL_DIR=cmsis_nn ..."'
        if cmsis
        else "create_tflm_tree.py (no OPTIMIZED_KERNEL_DIR)"
    )
    lines = [
        f"# TFLM build settings, generated by edge-lstm {tool_version()} for model {sha256}.\n",
        f"# Kernels: {kernels}. TFLM_DIR: a tree made by TFLM's {how};\n",
        "# see docs/tflm.md. Override on the command line: make TFLM_DIR=/path/to/tree\n",
        f"TFLM_KERNELS := {kernels}\n",
        f"TFLM_DIR ?= {default}\n",
        "ifeq ($(strip $(TFLM_DIR)),)\n",
        "$(error TFLM_DIR is not set: export with --tflm-dir DIR or run make TFLM_DIR=DIR, "
        "DIR being a tree made by TFLM's create_tflm_tree.py (docs/tflm.md))\n",
        "endif\n",
        "override TFLM_DIR := $(patsubst %/,%,$(TFLM_DIR))\n",
        "ifneq ($(wildcard $(TFLM_DIR)/tensorflow/lite/micro/tools/make/Makefile),)\n",
        "$(error TFLM_DIR=$(TFLM_DIR) is a tflite-micro checkout, not a tree: make one with "
        "its tensorflow/lite/micro/tools/project_generation/create_tflm_tree.py (docs/tflm.md))\n",
        "endif\n",
        f"ifeq ($(wildcard $(TFLM_DIR)/{TREE_MARKER}),)\n",
        f"$(error TFLM_DIR=$(TFLM_DIR) is not a TFLM tree (no {TREE_MARKER}))\n",
        "endif\n",
    ]
    if cmsis:
        lines += [
            f"ifeq ($(wildcard $(TFLM_DIR)/{CMSIS_NN_MARKER}),)\n",
            "$(error TFLM_DIR=$(TFLM_DIR) has no CMSIS-NN kernels: make the tree with "
            "OPTIMIZED_KERNEL_DIR=cmsis_nn, or export with --kernels reference)\n",
            "endif\n",
        ]
    else:
        lines += [
            f"ifneq ($(wildcard $(TFLM_DIR)/{CMSIS_NN_MARKER}),)\n",
            "$(error TFLM_DIR=$(TFLM_DIR) holds CMSIS-NN kernels in place of the reference ones "
            "(the arena in model/arena.h is derived for reference kernels): export with "
            "--kernels cmsis-nn, or make a tree without OPTIMIZED_KERNEL_DIR)\n",
            "endif\n",
        ]
    lines += [
        "TFLM_INCLUDES := -I$(TFLM_DIR) -I$(TFLM_DIR)/third_party/flatbuffers/include \\\n",
        "  -I$(TFLM_DIR)/third_party/gemmlowp -I$(TFLM_DIR)/third_party/ruy\n",
        "# TF_LITE_STATIC_MEMORY: required, the arena derivation assumes its small TfLiteTensor.\n",
        "TFLM_DEFINES := -DTF_LITE_STATIC_MEMORY -DTF_LITE_STRIP_ERROR_STRINGS -DNDEBUG \\\n",
        "  -DTF_LITE_MCU_DEBUG_LOG -DTF_LITE_USE_GLOBAL_CMATH_FUNCTIONS \\\n",
        "  -DTF_LITE_DISABLE_X86_NEON\n",
    ]
    if cmsis:
        lines += [
            "TFLM_INCLUDES += -I$(TFLM_DIR)/third_party/cmsis_nn \\\n",
            "  -I$(TFLM_DIR)/third_party/cmsis_nn/Include \\\n",
            "  -I$(TFLM_DIR)/third_party/cmsis/CMSIS/Core/Include\n",
            "TFLM_DEFINES += -DCMSIS_NN -DKERNELS_OPTIMIZED_FOR_SPEED\n",
        ]
    lines += [
        "TFLM_CXXFLAGS := -std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics \\\n",
        "  -fno-unwind-tables -fno-use-cxa-atexit -ffunction-sections -fdata-sections \\\n",
        "  $(TFLM_DEFINES) $(TFLM_INCLUDES)\n",
        "TFLM_CFLAGS := -std=c11 -fno-unwind-tables -ffunction-sections -fdata-sections \\\n",
        "  $(TFLM_DEFINES) $(TFLM_INCLUDES)\n",
        "# The library: every .cc under tensorflow/ but the kernels (create_tflm_tree.py left\n",
        "# out tests and examples), plus the kernels of the model's ops; make TFLM_ALL_KERNELS=1\n",
        "# builds every kernel. signal/ is not built: its ops are never registered here.\n",
        "TFLM_KERNEL_DIR := $(TFLM_DIR)/tensorflow/lite/micro/kernels\n",
        "TFLM_KERNEL_STEMS := " + " ".join(kernel_stems(ops or [])) + "\n",
        "TFLM_CORE_SRCS := $(shell find $(TFLM_DIR)/tensorflow -name '*.cc' \\\n",
        "  -not -path '$(TFLM_KERNEL_DIR)/*')\n",
        "ifeq ($(TFLM_ALL_KERNELS),1)\n",
        "TFLM_OP_SRCS := $(shell find $(TFLM_KERNEL_DIR) -name '*.cc')\n",
        "else\n",
        "TFLM_OP_SRCS := $(foreach s,$(TFLM_KERNEL_STEMS),\\\n",
        "  $(wildcard $(TFLM_KERNEL_DIR)/$(s).cc $(TFLM_KERNEL_DIR)/cmsis_nn/$(s).cc))\n",
        "endif\n",
        "TFLM_SRCS := $(sort $(TFLM_CORE_SRCS) $(TFLM_OP_SRCS))\n",
    ]
    if cmsis:
        lines.append(
            "TFLM_CSRCS := $(sort $(shell find $(TFLM_DIR)/third_party/cmsis_nn/Source "
            "-name '*.c'))\n"
        )
    else:
        lines.append("TFLM_CSRCS :=\n")
    lines += [
        "# Arena override, for measuring the minimum: make TFLM_ARENA_BYTES=N (the project\n",
        "# Makefile rebuilds the glue when N changes). Unset: model/arena.h's derived figure.\n",
        "TFLM_APP_DEFINES := $(if $(strip $(TFLM_ARENA_BYTES)),"
        "-DEL_TFLM_ARENA_BYTES=$(strip $(TFLM_ARENA_BYTES))u)\n",
    ]
    return "".join(lines)


def generate(
    model_path: Path,
    out_dir: Path,
    kernels: str = "reference",
    tflm_dir: Path | None = None,
    mve: bool = False,
) -> TflmExport:
    """Write out_dir/model/: the array, resolver, arena size and model_config.h, with the
    static model API (el_model.h, model.h) and TFLM glue (model_tflm.cc) copied beside them.

    ``mve``: the target core has Helium (Cortex-M55), whose CMSIS-NN kernels need extra
    buffers that the arena figure must include.
    """
    if kernels not in arena.KERNEL_SETS:
        raise ValueError(f"kernels must be one of {arena.KERNEL_SETS}, not {kernels!r}")
    data = Path(model_path).read_bytes()
    model = parse_model(data, source=str(model_path))
    sha256 = hashlib.sha256(data).hexdigest()
    ops = resolver_ops(model)
    figure = arena.cortex_m_figure(model, kernels, mve=mve)  # type: ignore[arg-type]
    model_dir = Path(out_dir) / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    data_h, data_cc = model_data_files(data, sha256)
    files = {
        "model_data.h": data_h,
        "model_data.cc": data_cc,
        "op_resolver.h": op_resolver_header(ops, sha256),
        "arena.h": arena_header(figure, sha256),
        "model_config.h": model_config(model, figure),
        "tflm.mk": tflm_makefile(sha256, kernels, tflm_dir, ops),
    }
    for name, text in files.items():
        (model_dir / name).write_text(text)
    copy_api(model_dir)
    shutil.copyfile(include_dir() / "tflm" / GLUE_SOURCE, model_dir / GLUE_SOURCE)
    if any(op in CUSTOM_REGISTRATIONS for op in ops):
        for name in CUSTOM_KERNEL_FILES:
            shutil.copyfile(include_dir() / "tflm" / name, model_dir / name)
        runtime_dir = Path(out_dir) / "runtime"
        runtime_dir.mkdir(parents=True, exist_ok=True)
        for name in custom_runtime_files():
            shutil.copyfile(include_dir() / name, runtime_dir / name)
    return TflmExport(
        model_dir=model_dir,
        files=tuple(files),
        kernels=kernels,
        arena_bytes=figure.bytes,
        arena_minimum=figure.minimum,
        arena_derivation=figure.derivation,
        ops=tuple(ops),
        model_bytes=len(data),
        model_sha256=sha256,
    )
