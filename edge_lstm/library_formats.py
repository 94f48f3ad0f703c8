"""The model as a component of the user's own firmware: a named C library in several packagings.

`export --name NAME` renames the model's C symbols so that several models link into one image:
the API functions become NAME_init, NAME_invoke, ... (el_model.h maps the el_model_* names onto
them, zlib's Z_PREFIX way, so el_model.c and the app compile unchanged), the weight arrays and
the layer table get the NAME_ prefix through #defines in the private headers the generated C
already includes, and a generated public header NAME.h holds the API and the figures under
NAME_* macros. The generated model.c and model_weights.c are left as the generator wrote them.

The library formats (cmake-lib, zephyr, platformio-lib) share one layout:

    include/NAME.h                 the only public header
    model/                         the model's data and its API binding (el_model.c), private
    runtime/                       the engine shared by every model of an image
    examples/                      host programs: NAME_run.c (a file of inputs), NAME_stream.c
    cmake/arm-none-eabi.cmake      a toolchain file for cross builds (cmake-lib)
    README.md                      the API and the model's flash and RAM figures

One runtime copy per image, not one per model: the engine's code (the LSTM, GRU,
FULLY_CONNECTED and SOFTMAX kernels and the table walk) is the same for every model, so a
second static copy would only add its flash again (docs/integration.md has the figures). CMake
builds the engine once as the target edge_lstm_runtime, defined by whichever export comes first
and checked against the others' runtime id; Zephyr likewise; PlatformIO and Arduino archive each
library, so the linker takes each engine object once.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from string import Template

from edge_lstm import __version__
from edge_lstm.errors import BadInputError
from firmware_gen import include_dir
from targets.project import OPT

DEFAULT_NAME = "el_model"
LIBRARY_FORMATS = ("cmake-lib", "zephyr", "platformio-lib")
LIB_DIR = include_dir() / "lib"

#: C99/C11/C23 keywords, C++ keywords and alternative tokens: NAME.h is included from C and
#: from C++ (Arduino sketches), so a name must be an identifier in both.
RESERVED = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic
    _Imaginary _Noreturn _Static_assert _Thread_local alignas alignof bool constexpr false
    nullptr static_assert thread_local true typeof typeof_unqual _BitInt _Decimal32 _Decimal64
    _Decimal128 and and_eq asm bitand bitor catch char8_t char16_t char32_t class compl concept
    const_cast consteval constinit co_await co_return co_yield decltype delete dynamic_cast
    explicit export friend mutable namespace new noexcept not not_eq operator or or_eq private
    protected public reinterpret_cast requires template this throw try typeid typename using
    virtual wchar_t xor xor_eq main""".split()
)
#: The model's private headers: a public NAME.h of the same name would shadow one of them.
PRIVATE_HEADERS = frozenset({"model", "model_config", "model_weights"})
#: C99 guarantees 31 significant characters of an external identifier; the longest suffix the
#: export adds is "_ram_bytes" plus a weight array's "_l00_weights".
MAX_NAME = 18


def check_name(name: str) -> None:
    """Refuse a --name that is not a usable C identifier for the model's symbols and header."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise BadInputError(
            f"--name '{name}' is not a C identifier: use letters, digits and '_', starting with "
            "a letter (e.g. --name wake)"
        )
    if name in RESERVED:
        raise BadInputError(
            f"--name '{name}' is a C or C++ keyword (or main); choose another, e.g. {name}_model"
        )
    if name != DEFAULT_NAME and name.lower().startswith("el_"):
        raise BadInputError(
            f"--name '{name}' starts with el_, the runtime's own prefix (el_net_*, el_lstm_*, "
            "EL_*): its symbols could clash with the engine's; choose a name without it"
        )
    if name in PRIVATE_HEADERS:
        raise BadInputError(
            f"--name '{name}' would make the public header {name}.h, the name of a private "
            "header of the model; choose another"
        )
    if "__" in name or len(name) > MAX_NAME:
        raise BadInputError(
            f"--name '{name}': at most {MAX_NAME} characters and no '__' (C reserves those, "
            "and the symbols NAME_* must stay within the 31 characters C99 compilers keep)"
        )


def _insert_before_guard_end(path: Path, lines: list[str]) -> None:
    """Add lines just before the header's closing #endif, inside its include guard."""
    text = path.read_text(encoding="utf-8")
    end = text.rstrip().rfind("#endif")
    if end < 0:
        raise RuntimeError(f"{path}: no closing #endif to add the model's name before")
    path.write_text(text[:end] + "\n".join(lines) + "\n\n" + text[end:], encoding="utf-8")


def name_model(model_dir: Path, name: str) -> None:
    """Give a generated model/ folder the C name ``name`` (nothing changes for el_model).

    model_config.h, which model.c and el_model.h include, gets EL_MODEL_NAME and the table's
    new name; model_weights.h, which model_weights.c and model.c include, gets a #define per
    weight array; the .c files compile to NAME_* symbols without being rewritten.
    """
    if name == DEFAULT_NAME:
        return
    config = model_dir / "model_config.h"
    _insert_before_guard_end(
        config,
        [
            f"/* the model's C name (export --name): its functions and data are {name}_* */",
            f"#define EL_MODEL_NAME {name}",
            f"#define el_model_net {name}_net",
            f"#define el_model_graph {name}_graph",
        ],
    )
    weights_h = model_dir / "model_weights.h"
    if weights_h.exists():
        text = weights_h.read_text(encoding="utf-8")
        arrays = re.findall(r"^extern\s+const\s+\w+\s+(\w+)\s*\[", text, flags=re.M)
        guard = "#define EL_MODEL_WEIGHTS_H\n"
        if arrays and guard in text:
            names = [f"/* the arrays' C names under the model's name {name} */\n"]
            names += [f"#define {a} {name}_{a.removeprefix('el_')}\n" for a in arrays]
            text = text.replace(guard, guard + "\n" + "".join(names), 1)
            weights_h.write_text(text, encoding="utf-8")


def figures(model_dir: Path, name: str) -> str:
    """model_config.h's EL_MODEL_* figures as NAME_* (upper case), for the public header."""
    upper = name.upper()
    text = (model_dir / "model_config.h").read_text(encoding="utf-8")
    start = text.index("#define EL_MODEL_CONFIG_H") + len("#define EL_MODEL_CONFIG_H")
    body = text[start : text.rstrip().rfind("#endif")]
    kept = []
    for line in body.strip("\n").splitlines():
        if re.match(r"#define (EL_MODEL_NAME|el_model_)", line) or "the model's C name" in line:
            continue
        kept.append(line.replace("EL_MODEL_", f"{upper}_"))
    return "\n".join(kept).strip("\n")


def fill(template: str, **names: str) -> str:
    """A file of firmware_gen/runtime/lib with its ${...} names substituted."""
    return Template((LIB_DIR / template).read_text(encoding="utf-8")).substitute(names)


def public_header(model_dir: Path, name: str, model_file: str, sha256: str) -> str:
    """NAME.h: the API under the model's name and its figures, standing alone."""
    return fill(
        "model_api.h.in",
        name=name,
        NAME=name.upper(),
        guard=f"EDGE_LSTM_{name.upper()}_H",
        model_file=model_file,
        version=__version__,
        sha256=sha256,
        figures=figures(model_dir, name),
    )


def runtime_id(runtime_dir: Path) -> str:
    """A digest of the engine's files: two exports may share one engine only when equal."""
    digest = hashlib.sha256()
    for path in sorted(runtime_dir.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def write_examples(folder: Path, name: str) -> list[Path]:
    """The host examples, NAME_run.c and NAME_stream.c, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in ("run", "stream"):
        path = folder / f"{name}_{kind}.c"
        path.write_text(fill(f"examples/{kind}.c.in", name=name, NAME=name.upper()), "utf-8")
        written.append(path)
    return written


def model_sources(name: str) -> list[str]:
    """The model's own C files in the library layout (relative), el_model.c last."""
    return ["model/model.c", "model/model_weights.c", "model/el_model.c"]


def runtime_sources(project_dir: Path) -> list[str]:
    return sorted(f"runtime/{p.name}" for p in (project_dir / "runtime").glob("*.c"))


def to_library(
    project_dir: Path,
    fmt: str,
    name: str,
    model_file: str,
    sha256: str,
    arch_flags: list[str],
    flash_bytes: int,
    ram_bytes: int,
    details: dict,
) -> None:
    """Rearrange an assembled export into the library layout of ``fmt``, in place."""
    project_dir = Path(project_dir)
    for sub in ("app", "bsp"):
        shutil.rmtree(project_dir / sub, ignore_errors=True)
    (project_dir / "Makefile").unlink(missing_ok=True)
    model_dir = project_dir / "model"
    shutil.move(str(project_dir / "runtime" / "el_model.c"), model_dir / "el_model.c")
    include = project_dir / "include"
    include.mkdir()
    (include / f"{name}.h").write_text(
        public_header(model_dir, name, model_file, sha256), encoding="utf-8"
    )
    write_examples(project_dir / "examples", name)
    rid = runtime_id(project_dir / "runtime")
    runtime = runtime_sources(project_dir)
    if fmt == "cmake-lib":
        (project_dir / "CMakeLists.txt").write_text(
            _cmake_lib(name, rid, runtime), encoding="utf-8"
        )
        (project_dir / "cmake").mkdir()
        (project_dir / "cmake" / "arm-none-eabi.cmake").write_text(
            _cmake_toolchain(arch_flags), encoding="utf-8"
        )
    elif fmt == "zephyr":
        (project_dir / "zephyr").mkdir()
        (project_dir / "zephyr" / "module.yml").write_text(_zephyr_module(name), "utf-8")
        (project_dir / "CMakeLists.txt").write_text(_zephyr_cmake(name, rid, runtime), "utf-8")
        (project_dir / "Kconfig").write_text(_zephyr_kconfig(name), encoding="utf-8")
    elif fmt == "platformio-lib":
        (project_dir / "library.json").write_text(_library_json(name, model_file), "utf-8")
    (project_dir / "README.md").write_text(
        _readme(name, fmt, model_file, sha256, flash_bytes, ram_bytes, details, model_dir),
        encoding="utf-8",
    )


# ---------------------------------------------------------------------------------------------
# CMake


def _cmake_runtime_block(rid: str, runtime: list[str], zephyr: bool) -> str:
    sources = "\n        ".join(f"${{CMAKE_CURRENT_SOURCE_DIR}}/{s}" for s in runtime)
    if zephyr:
        define = f"""\
    zephyr_library_named(edge_lstm_runtime)
    zephyr_library_sources(
        {sources})
    zephyr_library_include_directories(${{CMAKE_CURRENT_SOURCE_DIR}}/runtime)"""
    else:
        define = f"""\
    add_library(edge_lstm_runtime STATIC
        {sources})
    target_include_directories(edge_lstm_runtime PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}}/runtime)
    set_target_properties(edge_lstm_runtime PROPERTIES
        C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
    edge_lstm_private_flags(edge_lstm_runtime)"""
    return f"""\
# The engine, shared by every edge-lstm model of the project: the first export added defines it,
# the others check that they carry the same engine (the same edge-lstm version) and reuse it.
set(EL_RUNTIME_ID "{rid}")
if(NOT TARGET edge_lstm_runtime)
{define}
    set_property(TARGET edge_lstm_runtime PROPERTY EDGE_LSTM_RUNTIME_ID "${{EL_RUNTIME_ID}}")
else()
    get_property(EL_RUNTIME_ID_FOUND TARGET edge_lstm_runtime PROPERTY EDGE_LSTM_RUNTIME_ID)
    if(NOT EL_RUNTIME_ID_FOUND STREQUAL EL_RUNTIME_ID)
        message(FATAL_ERROR
            "${{CMAKE_CURRENT_SOURCE_DIR}} carries another edge-lstm engine "
            "(runtime id ${{EL_RUNTIME_ID}}) than the model added before it "
            "(${{EL_RUNTIME_ID_FOUND}}): export every model of the project with the same "
            "edge-lstm version")
    endif()
endif()
"""


def _cmake_lib(name: str, rid: str, runtime: list[str]) -> str:
    upper = name.upper()
    model = "\n    ".join(model_sources(name))
    return f"""\
# {name}: an edge-lstm model as a static C library (edge-lstm {__version__}).
#
#   add_subdirectory(path/to/this/folder)          # from any CMake project, host or cross
#   target_link_libraries(your_app PRIVATE {name})
#   #include "{name}.h"                             # {name}_init(), {name}_invoke(), ...
#
# No board code, no main(), no warning flags on your targets. Several models (each exported
# with its own --name) can be added to one project: they share one engine, edge_lstm_runtime.
# Cross builds: -DCMAKE_TOOLCHAIN_FILE=path/to/this/folder/cmake/arm-none-eabi.cmake (or yours).
cmake_minimum_required(VERSION 3.13)
project({name} LANGUAGES C)

option(EDGE_LSTM_WARNINGS "Compile edge-lstm's own sources with -Wall -Wextra -Werror" OFF)
# The engine's figures (instructions per inference, stack) are measured at -O2, and its inline
# assembly needs the frame-pointer register that -O0 reserves: edge-lstm's own sources keep
# this optimisation whatever your build type.
set(EDGE_LSTM_OPT "{OPT}" CACHE STRING "Optimisation flags of edge-lstm's own sources")
if(CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
    set(EL_TOP_LEVEL ON)
else()
    set(EL_TOP_LEVEL OFF)
endif()
option({upper}_EXAMPLES "Build {name}_run and {name}_stream (host examples)" ${{EL_TOP_LEVEL}})

if(NOT COMMAND edge_lstm_private_flags)
    # Flags for edge-lstm's own targets only: sections the linker can drop, and the warnings
    # the engine is written to pass when EDGE_LSTM_WARNINGS is on.
    function(edge_lstm_private_flags target)
        if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
            target_compile_options(${{target}} PRIVATE
                ${{EDGE_LSTM_OPT}} -ffunction-sections -fdata-sections)
            if(EDGE_LSTM_WARNINGS)
                target_compile_options(${{target}} PRIVATE -Wall -Wextra -Werror)
            endif()
        endif()
    endfunction()
endif()

{_cmake_runtime_block(rid, runtime, zephyr=False)}
add_library({name} STATIC
    {model})
# model/ first: the model's private headers, then the public one.
target_include_directories({name} PRIVATE ${{CMAKE_CURRENT_SOURCE_DIR}}/model)
target_include_directories({name} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}}/include)
target_link_libraries({name} PRIVATE edge_lstm_runtime)
set_target_properties({name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
edge_lstm_private_flags({name})

if({upper}_EXAMPLES)
    add_executable({name}_run examples/{name}_run.c)
    target_link_libraries({name}_run PRIVATE {name})
    add_executable({name}_stream examples/{name}_stream.c)
    target_link_libraries({name}_stream PRIVATE {name})
endif()
"""


def _cmake_toolchain(arch_flags: list[str]) -> str:
    arch = " ".join(arch_flags or ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                                   "-mfpu=fpv4-sp-d16"])  # fmt: skip
    return f"""\
# arm-none-eabi-gcc for {arch}: pass it as -DCMAKE_TOOLCHAIN_FILE=<this file>, or use your own.
# Links with newlib-nano and no system calls; your project brings its start-up and linker
# script (add -T your.ld to CMAKE_EXE_LINKER_FLAGS), as with any other Cortex-M library.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(EL_CROSS "arm-none-eabi-" CACHE STRING "Prefix of the cross toolchain's executables")
set(CMAKE_C_COMPILER ${{EL_CROSS}}gcc)
set(CMAKE_CXX_COMPILER ${{EL_CROSS}}g++)
set(CMAKE_ASM_COMPILER ${{EL_CROSS}}gcc)

set(EL_ARCH_FLAGS "{arch}" CACHE STRING "CPU flags: the core, its FPU and float ABI")
set(CMAKE_C_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_CXX_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_ASM_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${{EL_ARCH_FLAGS}} --specs=nano.specs --specs=nosys.specs")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
"""


# ---------------------------------------------------------------------------------------------
# Zephyr


def kconfig_symbol(name: str) -> str:
    return f"EDGE_LSTM_{name.upper()}"


def _zephyr_module(name: str) -> str:
    return f"""\
# A Zephyr module (docs.zephyrproject.org, "Modules"): add this folder to ZEPHYR_EXTRA_MODULES
# (or to the west manifest) and set CONFIG_{kconfig_symbol(name)}=y in prj.conf.
name: edge-lstm-{name.replace("_", "-")}
build:
  cmake: .
  kconfig: Kconfig
"""


def _zephyr_cmake(name: str, rid: str, runtime: list[str]) -> str:
    symbol = kconfig_symbol(name)
    model = "\n        ".join(f"${{CMAKE_CURRENT_SOURCE_DIR}}/{s}" for s in model_sources(name))
    return f"""\
# {name}: an edge-lstm model as a Zephyr library (edge-lstm {__version__}), built when
# CONFIG_{symbol}=y. The application includes "{name}.h".
if(CONFIG_{symbol})
{_cmake_runtime_block(rid, runtime, zephyr=True)}
    zephyr_library_named({name})
    zephyr_library_sources(
        {model})
    zephyr_library_include_directories(
        ${{CMAKE_CURRENT_SOURCE_DIR}}/model ${{CMAKE_CURRENT_SOURCE_DIR}}/runtime)
    zephyr_include_directories(${{CMAKE_CURRENT_SOURCE_DIR}}/include)
endif()
"""


def _zephyr_kconfig(name: str) -> str:
    return f"""\
# {name}: an edge-lstm model (edge-lstm {__version__})
config {kconfig_symbol(name)}
\tbool "edge-lstm model {name} ({name}.h)"
\thelp
\t  Build the int8 model {name} and the edge-lstm engine it runs on; the application
\t  includes {name}.h and calls {name}_init() and {name}_invoke() or {name}_step().
"""


# ---------------------------------------------------------------------------------------------
# PlatformIO


def _library_json(name: str, model_file: str) -> str:
    doc = {
        "name": name,
        "version": __version__,
        "description": f"The int8 model {model_file} as generated C (edge-lstm), bit-exact "
        "with TensorFlow Lite Micro; include " + f"{name}.h.",
        "keywords": ["lstm", "tinyml", "int8", "edge-lstm"],
        "frameworks": "*",
        "platforms": "*",
        "headers": f"{name}.h",
        "build": {
            "srcDir": ".",
            "includeDir": "include",
            "srcFilter": ["+<model/*.c>", "+<runtime/*.c>"],
            "flags": ["-I model", "-I runtime", "-std=c99"],
            "libArchive": True,
        },
        "examples": [f"examples/{name}_*.c"],
    }
    return json.dumps(doc, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# README


_USE = {
    "cmake-lib": """\
```cmake
add_subdirectory(path/to/{name})                 # this folder
target_link_libraries(your_app PRIVATE {name})
```

Host build of the examples: `cmake -S . -B build && cmake --build build`, then
`build/{name}_run input.bin`. Cross build: add
`-DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake` (or your own toolchain file).
`-DEDGE_LSTM_WARNINGS=ON` compiles edge-lstm's sources with `-Wall -Wextra -Werror`.""",
    "zephyr": """\
Add this folder as a Zephyr module and enable it:

```cmake
list(APPEND ZEPHYR_EXTRA_MODULES path/to/{name})  # before find_package(Zephyr)
```

and `CONFIG_{symbol}=y` in `prj.conf`.""",
    "platformio-lib": """\
Put this folder in your project's `lib/` (or list it in `lib_deps = file://path/to/{name}`)
and `#include <{name}.h>`.""",
}


def _readme(
    name: str,
    fmt: str,
    model_file: str,
    sha256: str,
    flash_bytes: int,
    ram_bytes: int,
    details: dict,
    model_dir: Path,
) -> str:
    upper = name.upper()
    figs = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"#define EL_MODEL_(\w+) (\S+)",
            (model_dir / "model_config.h").read_text(encoding="utf-8"),
        )
    }
    use = _USE[fmt].format(name=name, symbol=kconfig_symbol(name))
    return f"""\
# {name}

The model `{model_file}` (sha256 `{sha256[:16]}...`) as int8 C code, generated by edge-lstm
{__version__}: bit-exact with TensorFlow Lite Micro, weights in flash, RAM fixed at compile time.

## Memory (this export's own figures)

| | bytes |
|---|---|
| weights, biases, requantization tables (flash) | {figs.get("WEIGHT_BYTES", "?").rstrip("u")} |
| state: h and c of every layer (RAM) | {figs.get("STATE_BYTES", "?").rstrip("u")} |
| kernel scratch (RAM) | {figs.get("SCRATCH_BYTES", "?").rstrip("u")} |
| estimated flash with the engine's code | {flash_bytes} |
| estimated RAM with 1 KB of stack | {ram_bytes} |

The same figures are `{upper}_WEIGHT_BYTES`, `{upper}_STATE_BYTES` and `{upper}_SCRATCH_BYTES`
in `{name}.h`; your linker's map file gives the exact code size.

## Use it

{use}

## API (`include/{name}.h`)

```c
int  {name}_init(void);                              /* once, first; 0 on success */
void {name}_reset(void);                             /* a new independent sequence */
int  {name}_invoke(const int8_t *in, int8_t *out);   /* a whole sequence */
int  {name}_step(const int8_t *x_t);                 /* one time step (streaming) */
int  {name}_output(int8_t *out);                     /* the output for the steps so far */
```

| macro | value |
|---|---|
| `{upper}_TIMESTEPS` | {figs.get("TIMESTEPS", "?")} |
| `{upper}_FEATURES` | {figs.get("FEATURES", "?")} |
| `{upper}_INPUT_BYTES` | timesteps x features |
| `{upper}_OUTPUT_BYTES` | {figs.get("OUTPUT_BYTES", "?")} |
| `{upper}_INPUT_SCALE_BITS`, `{upper}_INPUT_ZERO_POINT` | input quantization |
| `{upper}_OUTPUT_SCALE_BITS`, `{upper}_OUTPUT_ZERO_POINT` | output quantization |

Inputs are int8: `q = round(x / scale) + zero_point` with the input scale (the float whose
IEEE-754 bits are `{upper}_INPUT_SCALE_BITS`).

## Examples (`examples/`)

- `{name}_run.c`: reads a file of input sequences (raw int8 bytes, or a `.txt` of integers)
  and prints each sequence's outputs and class: `{name}_run input.bin`.
- `{name}_stream.c`: feeds the same file one time step at a time through `{name}_step()`.

An input file from a data set (`.npz` with float `x [N, T, F]`), quantized as the model
expects:

```sh
python -c "import numpy as np; from edge_lstm.data import load_data, model_input; \\
from quantize.tflite_ir import read_model; \\
model_input(load_data('test.npz').x, read_model('model.tflite').input).astype(np.int8)\\
.tofile('input.bin')"
```

`edge-lstm reference model.tflite --data test.npz -o expected.npz` gives the outputs these
programs must print (`y_int8`).
"""
