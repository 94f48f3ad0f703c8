"""Other build systems for an exported firmware: CMake, PlatformIO, an Arduino library.

Every format starts from the `make` folder (model/, runtime/, app/, bsp/, Makefile) that
`export_project` assembles, so the C sources are the same files in every format and only the
way they are compiled differs:

- cmake: the make folder plus CMakeLists.txt and an arm-none-eabi toolchain file, compiling
  with the Makefile's flags, so both build systems produce the same firmware.elf;
- platformio: the sources rearranged into PlatformIO's documented layout (platformio.ini,
  src/, include/, lib/<name>/src/), bare metal (no framework: the board support is ours);
- arduino: a library (library.properties, src/, examples/) that leaves start-up, clocks and the
  serial port to the Arduino core and serves the protocol over `Serial`.

Only the native runtime has these formats: the TFLM export needs a TFLite Micro tree and its
Makefile rules, which the other build systems would have to duplicate.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

from edge_lstm import __version__
from edge_lstm.errors import BadInputError
from firmware_gen import include_dir
from targets.project import (
    BOOT2_FLAGS,
    C_STD,
    C_WARNINGS,
    CROSS_LINK_FLAGS,
    OPT,
    SECTION_FLAGS,
)
from targets.registry import Board

#: make, cmake, platformio: a firmware for a board (the serial-protocol app); arduino: a library
#: with that app and API examples; cmake-lib, zephyr, platformio-lib: the model alone, as a
#: library of the user's firmware (edge_lstm.library_formats).
FORMATS = ("make", "cmake", "platformio", "arduino", "cmake-lib", "zephyr", "platformio-lib")


@dataclass(frozen=True)
class PlatformioBoard:
    platform: str
    board: str


#: edge-lstm board -> the PlatformIO platform and board id for the same hardware. Emulated boards
#: and the host have no PlatformIO board; the Pico needs the boot2 step that only make and
#: CMake run.
PLATFORMIO_BOARDS: dict[str, PlatformioBoard] = {
    "nucleo-f446re": PlatformioBoard("ststm32", "nucleo_f446re"),
    "nucleo-l476rg": PlatformioBoard("ststm32", "nucleo_l476rg"),
    "nrf52840dk": PlatformioBoard("nordicnrf52", "nrf52840_dk"),
    "arduino-nano-33-ble": PlatformioBoard("nordicnrf52", "nano33ble"),
}

#: Arduino cores with a 32-bit ARM CPU: the generated engine assumes 32-bit int and enough RAM
#: for the model state, which rules out the 8-bit AVR cores.
ARDUINO_ARCHITECTURES = (
    "mbed",
    "mbed_nano",
    "mbed_rp2040",
    "mbed_portenta",
    "samd",
    "sam",
    "renesas_uno",
    "renesas_portenta",
    "stm32",
    "nrf52",
    "rp2040",
)

ARDUINO_CATEGORY = "Data Processing"
ARDUINO_URL = "https://pypi.org/project/edge-lstm/"


def check_format(fmt: str, runtime: str, board_name: str) -> None:
    """Refuse a combination before anything is generated, naming what would work instead."""
    if fmt not in FORMATS:
        raise BadInputError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if fmt != "make" and runtime != "native":
        raise BadInputError(
            f"--format {fmt} is available for the native runtime only; "
            "the tflm firmware builds with --format make (docs/tflm.md)"
        )
    if fmt == "platformio" and board_name not in PLATFORMIO_BOARDS:
        raise BadInputError(
            f"board '{board_name}' has no PlatformIO board; --format platformio supports "
            f"{', '.join(PLATFORMIO_BOARDS)} (use --format make or cmake for the others)"
        )


def library_name(model_path: Path) -> str:
    """An Arduino/PlatformIO library name from the model's file name: EdgeLstm + CamelCase.

    Arduino library names allow letters, digits, '_', '-', '.' and spaces; CamelCase words keep
    the header name (`<Name>.h`) a valid, readable include on every file system.
    """
    words = [w for w in re.split(r"[^A-Za-z0-9]+", Path(model_path).stem) if w]
    return "EdgeLstm" + "".join(w[:1].upper() + w[1:] for w in words)


# ---------------------------------------------------------------------------------------------
# CMake


def _cmake_list(items: list[str]) -> str:
    return " ".join(items)


def write_cmake(project_dir: Path, board: Board) -> list[Path]:
    """CMakeLists.txt (+ cmake/arm-none-eabi.cmake for cross boards) next to the Makefile.

    The flags are the Makefile's, option for option, so `cmake --build` and `make` give ELF
    files with the same sections; the Makefile stays so `edge-lstm build` keeps working.
    """
    project_dir = Path(project_dir)
    written = [project_dir / "CMakeLists.txt"]
    if board.is_host:
        written[0].write_text(_cmake_host(board), encoding="utf-8")
        return written
    (project_dir / "cmake").mkdir(exist_ok=True)
    toolchain = project_dir / "cmake" / "arm-none-eabi.cmake"
    toolchain.write_text(_cmake_toolchain(board), encoding="utf-8")
    written[0].write_text(_cmake_cross(board), encoding="utf-8")
    return [*written, toolchain]


def _cmake_toolchain(board: Board) -> str:
    arch = _cmake_list(board.gcc_arch_flags())
    return f"""\
# Generated for board {board.name}: arm-none-eabi-gcc for {board.cpu} ({board.fpu} FPU,
# {board.float_abi} float ABI). Passed as CMAKE_TOOLCHAIN_FILE, or picked up by CMakeLists.txt.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
# No OS to run a test executable on: let CMake's compiler checks link a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(EL_CROSS "arm-none-eabi-" CACHE STRING "Prefix of the cross toolchain's executables")
set(CMAKE_C_COMPILER ${{EL_CROSS}}gcc)
set(CMAKE_CXX_COMPILER ${{EL_CROSS}}g++)
set(CMAKE_ASM_COMPILER ${{EL_CROSS}}gcc)
set(CMAKE_OBJCOPY ${{EL_CROSS}}objcopy CACHE FILEPATH "objcopy of the cross toolchain")
set(CMAKE_SIZE ${{EL_CROSS}}size CACHE FILEPATH "size of the cross toolchain")

set(EL_ARCH_FLAGS "{arch}")
set(CMAKE_C_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_CXX_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_ASM_FLAGS_INIT "${{EL_ARCH_FLAGS}}")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${{EL_ARCH_FLAGS}} {_cmake_list(list(CROSS_LINK_FLAGS))}")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
"""


_CMAKE_SOURCES = f"""\
set(EL_OPT "{OPT}" CACHE STRING "Optimisation flags (the Makefile's OPT)")
set(EL_CWARN "{";".join(C_WARNINGS)}" CACHE STRING "C warning flags (the Makefile's CWARN)")

file(GLOB EL_SOURCES CONFIGURE_DEPENDS
     model/*.c runtime/*.c app/*.c bsp/*.c)
list(SORT EL_SOURCES)

add_executable(firmware ${{EL_SOURCES}})
set_target_properties(firmware PROPERTIES OUTPUT_NAME firmware SUFFIX ".elf")
target_include_directories(firmware PRIVATE model runtime app bsp)
target_compile_options(firmware PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${{EL_OPT}} -g {C_STD} ${{EL_CWARN}} {SECTION_FLAGS[0]}
    {_cmake_list(list(SECTION_FLAGS[1:]))}>)
target_link_libraries(firmware PRIVATE m)
"""


def _cmake_cross(board: Board) -> str:
    languages = "C ASM" if board.boot2 is not None else "C"
    boot2 = ""
    outputs = ["firmware.bin", "firmware.hex"]
    if board.boot2 is not None:
        boot2 = f"""
# boot2: assembled and linked alone at the SRAM address the boot ROM copies it to, then padded
# to 252 bytes plus the CRC32 the boot ROM checks (bsp/el_boot2_pad.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(EL_BOOT2 ${{CMAKE_CURRENT_BINARY_DIR}}/boot2)
add_custom_command(
    OUTPUT ${{EL_BOOT2}}/boot2_padded.S
    COMMAND ${{CMAKE_COMMAND}} -E make_directory ${{EL_BOOT2}}
    COMMAND ${{CMAKE_C_COMPILER}} {_cmake_list(list(BOOT2_FLAGS))}
            ${{CMAKE_CURRENT_SOURCE_DIR}}/bsp/el_boot2_{board.boot2}.S -o ${{EL_BOOT2}}/boot2.elf
    COMMAND ${{CMAKE_OBJCOPY}} -O binary ${{EL_BOOT2}}/boot2.elf ${{EL_BOOT2}}/boot2.bin
    COMMAND ${{Python3_EXECUTABLE}} ${{CMAKE_CURRENT_SOURCE_DIR}}/bsp/el_boot2_pad.py
            ${{EL_BOOT2}}/boot2.bin ${{EL_BOOT2}}/boot2_padded.S
    DEPENDS bsp/el_boot2_{board.boot2}.S bsp/el_boot2_pad.py
    VERBATIM)
target_sources(firmware PRIVATE ${{EL_BOOT2}}/boot2_padded.S)
"""
        uf2 = (
            f"    COMMAND ${{Python3_EXECUTABLE}} ${{CMAKE_CURRENT_SOURCE_DIR}}/bsp/el_uf2.py "
            f"firmware.bin firmware.uf2\n"
            f"            --base 0x{board.flash_base:08x} "
            f"--family 0x{board.uf2_family_id or 0:08x}\n"
        )
        outputs.append("firmware.uf2")
    else:
        uf2 = ""
    return f"""\
# Generated for board {board.name} (the same sources and flags as the Makefile next to it).
#   cmake -S <this folder> -B <this folder>/build-cmake
#   cmake --build <this folder>/build-cmake      -> build-cmake/firmware.elf, .bin, .hex
cmake_minimum_required(VERSION 3.16)
if(NOT CMAKE_TOOLCHAIN_FILE)
    set(CMAKE_TOOLCHAIN_FILE ${{CMAKE_CURRENT_SOURCE_DIR}}/cmake/arm-none-eabi.cmake)
endif()
project(edge_lstm_firmware LANGUAGES {languages})

{_CMAKE_SOURCES}
set(EL_LINKER_SCRIPT ${{CMAKE_CURRENT_SOURCE_DIR}}/bsp/linker.ld)
target_link_options(firmware PRIVATE
    -T ${{EL_LINKER_SCRIPT}} -Wl,--gc-sections
    -Wl,-Map=${{CMAKE_CURRENT_BINARY_DIR}}/firmware.map -Wl,--print-memory-usage)
set_property(TARGET firmware APPEND PROPERTY LINK_DEPENDS ${{EL_LINKER_SCRIPT}})
{boot2}
# {", ".join(outputs)} next to the ELF, as the Makefile makes them.
add_custom_command(TARGET firmware POST_BUILD
    COMMAND ${{CMAKE_OBJCOPY}} -O binary firmware.elf firmware.bin
    COMMAND ${{CMAKE_OBJCOPY}} -O ihex firmware.elf firmware.hex
{uf2}    WORKING_DIRECTORY ${{CMAKE_CURRENT_BINARY_DIR}}
    VERBATIM)
"""


def _cmake_host(board: Board) -> str:
    return f"""\
# Generated for board {board.name}: a Linux executable built with the host compiler
# (the same sources and flags as the Makefile next to it).
#   cmake -S <this folder> -B <this folder>/build-cmake
#   cmake --build <this folder>/build-cmake      -> build-cmake/firmware.elf
cmake_minimum_required(VERSION 3.16)
project(edge_lstm_firmware LANGUAGES C)

{_CMAKE_SOURCES}
target_link_options(firmware PRIVATE -Wl,--gc-sections)
"""


# ---------------------------------------------------------------------------------------------
# PlatformIO


def to_platformio(project_dir: Path, board: Board, name: str) -> None:
    """Rearrange a make folder into PlatformIO's layout, in place.

    PlatformIO compiles src/ and every lib/<name>/src/, with include/ on everyone's include
    path; the model and its runtime form one private library (they only include each other),
    the app and the board support are the project's own sources, and their shared headers
    (el_board.h, el_bsp.h, el_protocol.h, ...) go to include/.
    """
    project_dir = Path(project_dir)
    target = PLATFORMIO_BOARDS[board.name]
    src = project_dir / "src"
    include = project_dir / "include"
    lib_src = project_dir / "lib" / name / "src"
    for folder in (src, include, lib_src):
        folder.mkdir(parents=True)
    for sub in ("model", "runtime"):
        for path in sorted((project_dir / sub).iterdir()):
            shutil.move(str(path), lib_src / path.name)
    for sub in ("app", "bsp"):
        for path in sorted((project_dir / sub).iterdir()):
            if path.suffix == ".c":
                shutil.move(str(path), src / path.name)
            elif path.suffix == ".h":
                shutil.move(str(path), include / path.name)
            elif path.name == "linker.ld":
                shutil.move(str(path), project_dir / "linker.ld")
    for sub in ("model", "runtime", "app", "bsp"):
        shutil.rmtree(project_dir / sub)
    (project_dir / "Makefile").unlink()
    arch = board.gcc_arch_flags()
    (project_dir / "platformio.ini").write_text(
        _platformio_ini(board.name, target, arch, board.uart.baud), encoding="utf-8"
    )
    (project_dir / "el_platformio.py").write_text(_platformio_script(arch), encoding="utf-8")


def _platformio_ini(env: str, target: PlatformioBoard, arch: list[str], baud: int) -> str:
    # -mcpu and -mthumb come from the board manifest; the float ABI and FPU do not, and the
    # compile flags must agree with the link flags that el_platformio.py adds.
    fp_flags = [f for f in arch if f.startswith(("-mfloat-abi", "-mfpu"))]
    build_flags = "\n    ".join([*fp_flags, OPT, "-g", "-Wall", "-Wextra"])
    return f"""\
; Generated by edge-lstm {__version__}: the serial-protocol firmware for board {env}, bare metal
; (no framework: start-up, clocks and UART come from src/el_startup.c and src/el_bsp_*.c).
;   pio run                       build .pio/build/{env}/firmware.elf
;   pio run -t upload             flash it with the board's default upload tool
[platformio]
default_envs = {env}

[env:{env}]
platform = {target.platform}
board = {target.board}
board_build.ldscript = linker.ld
monitor_speed = {baud}
build_unflags = -Os
build_flags =
    {build_flags}
extra_scripts = pre:el_platformio.py
"""


def _platformio_script(arch: list[str]) -> str:
    return f'''\
"""Flags PlatformIO's build_flags cannot express: C-only flags and link-only flags.

Run by PlatformIO (extra_scripts = pre:el_platformio.py) with SCons' env in scope.
"""
Import("env")  # noqa: F821 - provided by PlatformIO's SCons environment

CFLAGS = {[C_STD]!r}
LINKFLAGS = {[*arch, *CROSS_LINK_FLAGS]!r}

env.Append(CFLAGS=CFLAGS, LINKFLAGS=LINKFLAGS)  # noqa: F821
'''


# ---------------------------------------------------------------------------------------------
# Arduino


def to_arduino(
    project_dir: Path, name: str, model_file: str, sha256: str, c_name: str = "el_model"
) -> None:
    """Rearrange a make folder into an Arduino library, in place.

    The Arduino core owns start-up, the linker script and the serial port, so bsp/ is replaced
    by el_bsp_arduino.cpp on top of `Serial`, `micros()` and `yield()`. el_app.c is kept byte
    for byte (as el_app_impl.inc) and wrapped so that its loop body runs from `loop()` instead
    of its own `main()`, which would clash with the core's.

    ``c_name`` is the model's C name (export --name): the library's functions are
    c_name_invoke, ...; a named library is also called ``name`` == c_name, and its header
    src/<name>.h is the generated public header. Three examples: the serial-protocol app
    (<name>), one sequence from a static buffer (<name>_invoke) and samples fed one at a time
    through step() (<name>_stream).
    """
    from edge_lstm.library_formats import DEFAULT_NAME, fill, public_header

    project_dir = Path(project_dir)
    src = project_dir / "src"
    src.mkdir()
    for sub in ("model", "runtime", "app"):
        for path in sorted((project_dir / sub).iterdir()):
            if path.name == "el_app.c":
                shutil.move(str(path), src / "el_app_impl.inc")
            else:
                shutil.move(str(path), src / path.name)
    shutil.move(str(project_dir / "bsp" / "el_bsp.h"), src / "el_bsp.h")
    for sub in ("model", "runtime", "app", "bsp"):
        shutil.rmtree(project_dir / sub)
    (project_dir / "Makefile").unlink()
    for glue in ARDUINO_GLUE:
        shutil.copyfile(ARDUINO_DIR / glue, src / glue)
    guard = re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_H"
    if c_name == DEFAULT_NAME:
        header = _fill("library.h.in", name=name, guard=guard)
    else:
        header = public_header(src, c_name, model_file, sha256).replace(
            "#include <stdint.h>\n",
            '#include <stdint.h>\n\n#include "el_app_arduino.h" /* the serial-protocol app */\n',
            1,
        )
    (src / f"{name}.h").write_text(header, encoding="utf-8")
    upper = "EL_MODEL" if c_name == DEFAULT_NAME else c_name.upper()
    sketches = {
        name: _fill("example.ino.in", name=name),
        f"{name}_invoke": fill("arduino/invoke.ino.in", name=c_name, NAME=upper, header=name),
        f"{name}_stream": fill("arduino/stream.ino.in", name=c_name, NAME=upper, header=name),
    }
    for sketch, text in sketches.items():
        example = project_dir / "examples" / sketch
        example.mkdir(parents=True)
        (example / f"{sketch}.ino").write_text(text, encoding="utf-8")
    (project_dir / "library.properties").write_text(
        _library_properties(name, model_file, sha256), encoding="utf-8"
    )


def arduino_zip(project_dir: Path, name: str) -> Path:
    """<name>.zip of the library, its files under <name>/: what the Arduino IDE's
    "Add .ZIP Library" installs. Written inside the export, so the export's atomic rename
    covers it; the zip leaves itself out."""
    import zipfile

    project_dir = Path(project_dir)
    target = project_dir / f"{name}.zip"
    partial = project_dir / f".{name}.zip.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(project_dir.rglob("*")):
            if path in (target, partial) or not path.is_file():
                continue
            archive.write(path, f"{name}/{path.relative_to(project_dir).as_posix()}")
    partial.rename(target)
    return target


def _library_properties(name: str, model_file: str, sha256: str) -> str:
    paragraph = (
        "Bit-exact with TensorFlow Lite Micro; the example sketch answers `edge-lstm validate` "
        f"over the serial port (model sha256 {sha256[:16]}...)."
    )
    return f"""\
name={name}
version={__version__}
author=edge-lstm
maintainer=edge-lstm
sentence=The LSTM model {model_file} as generated int8 C code, served over Serial.
paragraph={paragraph}
category={ARDUINO_CATEGORY}
url={ARDUINO_URL}
architectures={",".join(ARDUINO_ARCHITECTURES)}
includes={name}.h
dot_a_linkage=true
"""


#: The Arduino glue, the same for every model: firmware_gen/runtime/arduino/, copied to src/.
ARDUINO_DIR = include_dir() / "arduino"
ARDUINO_GLUE = ("el_board.h", "el_bsp_arduino.cpp", "el_app_arduino.c", "el_app_arduino.h")


def _fill(template: str, **names: str) -> str:
    """A file of ARDUINO_DIR with its ${...} names substituted (the library's own name)."""
    text = (ARDUINO_DIR / template).read_text(encoding="utf-8")
    return Template(text).substitute(names)
