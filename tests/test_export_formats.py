"""`edge-lstm export --format cmake|platformio|arduino`: each layout is what its build system
documents, and its sources compile with arm-none-eabi-gcc into the firmware the make folder
builds.

PlatformIO and the Arduino IDE are not installed here (and would download toolchains and
platform packages), so their builds are mimicked: the same compiler, the include paths and
flags their documented layouts imply, taken from the generated files themselves.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from elftools.elf.elffile import ELFFile
from model_zoo import tflite_path
from toolchain import require

from edge_lstm.cli import main
from edge_lstm.export import export_project
from edge_lstm.project_formats import PLATFORMIO_BOARDS, library_name

SHF_ALLOC = 0x2


def run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def sections(elf: Path) -> dict[str, tuple[int, int]]:
    """Allocated sections: name -> (address, size)."""
    with elf.open("rb") as handle:
        return {
            s.name: (s["sh_addr"], s["sh_size"])
            for s in ELFFile(handle).iter_sections()
            if s["sh_flags"] & SHF_ALLOC and s["sh_size"]
        }


def section_bytes(elf: Path, name: str) -> bytes:
    with elf.open("rb") as handle:
        section = ELFFile(handle).get_section_by_name(name)
        assert section is not None, name
        return section.data()


def symbol_address(elf: Path, name: str) -> int:
    with elf.open("rb") as handle:
        symbols = ELFFile(handle).get_section_by_name(".symtab")
        found = symbols.get_symbol_by_name(name)
        assert found, f"{name} not in {elf}"
        return int(found[0]["st_value"])


def make_build(model: Path, board: str, tmp: Path) -> Path:
    out = tmp / f"make-{board}"
    export_project(model, board, out)
    run(["make", "-s", "-C", str(out)])
    return out / "build" / "firmware.elf"


# ---------------------------------------------------------------------------------------------
# make (the default) and refusals


def test_default_format_is_the_make_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", str(tflite_path("small")), "-o", str(tmp_path / "fw"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "make"
    fw = tmp_path / "fw"
    assert (fw / "Makefile").is_file() and not (fw / "CMakeLists.txt").exists()
    assert sorted(p.name for p in fw.iterdir() if p.is_dir()) == ["app", "bsp", "model", "runtime"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "platformio"], "board 'qemu-cortex-m4' has no PlatformIO board"),
        (["--format", "cmake", "--runtime", "tflm"], "available for the native runtime only"),
        (["--format", "gradle"], "'gradle' is not one of 'make', 'cmake'"),
    ],
)
def test_refused_combinations_exit_2_and_write_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "fw"
    result = CliRunner().invoke(main, ["export", str(tflite_path("small")), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temporary folder either


def test_library_name_is_a_valid_arduino_name() -> None:
    assert library_name(Path("digits.tflite")) == "EdgeLstmDigits"
    assert library_name(Path("/x/my model-v2.tflite")) == "EdgeLstmMyModelV2"


# ---------------------------------------------------------------------------------------------
# CMake


@pytest.mark.toolchain
@pytest.mark.parametrize("board", ["nucleo-f446re", "rpi-pico"])
def test_cmake_builds_the_same_firmware_as_make(tmp_path: Path, board: str) -> None:
    require("arm-none-eabi-gcc")
    require("cmake")
    model = tflite_path("small")
    make_elf = make_build(model, board, tmp_path)
    out = tmp_path / "cm"
    result = CliRunner().invoke(
        main, ["export", str(model), "--board", board, "--format", "cmake", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "Makefile").is_file()  # `edge-lstm build` keeps working on a cmake folder
    toolchain = (out / "cmake" / "arm-none-eabi.cmake").read_text()
    if board == "nucleo-f446re":
        assert "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" in toolchain
    else:
        assert "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft" in toolchain
    assert "bsp/linker.ld" in (out / "CMakeLists.txt").read_text()

    build = tmp_path / "cmake-build"
    run(["cmake", "-S", str(out), "-B", str(build)])
    run(["cmake", "--build", str(build), "-j", "2"])
    elf = build / "firmware.elf"
    assert (build / "firmware.bin").is_file() and (build / "firmware.hex").is_file()

    # Same sections at the same addresses with the same sizes; the code itself is identical
    # (.rodata differs only in the build date string).
    assert sections(elf) == sections(make_elf)
    assert section_bytes(elf, ".text") == section_bytes(make_elf, ".text")
    assert section_bytes(elf, ".isr_vector") == section_bytes(make_elf, ".isr_vector")
    if board == "rpi-pico":
        assert section_bytes(elf, ".boot2") == section_bytes(make_elf, ".boot2")
        # The UF2 differs only where the build time is; its first block (boot2 + vectors)
        # and its length must be the make build's.
        uf2 = (build / "firmware.uf2").read_bytes()
        make_uf2 = (make_elf.parent / "firmware.uf2").read_bytes()
        assert len(uf2) == len(make_uf2) and uf2[:512] == make_uf2[:512]


@pytest.mark.toolchain
def test_cmake_host_board_builds_a_linux_executable(tmp_path: Path) -> None:
    require("cmake")
    require("cc")
    out = tmp_path / "cm"
    export_project(tflite_path("tiny"), "host", out, fmt="cmake")
    assert not (out / "cmake").exists()  # the host compiler needs no toolchain file
    build = tmp_path / "b"
    run(["cmake", "-S", str(out), "-B", str(build)])
    run(["cmake", "--build", str(build)])
    with (build / "firmware.elf").open("rb") as handle:
        assert ELFFile(handle).header["e_machine"] != "EM_ARM"


# ---------------------------------------------------------------------------------------------
# PlatformIO

#: What the board manifests of PlatformIO's ststm32/nordicnrf52 platforms give as build.cpu;
#: the bare-metal builder (builder/frameworks/_bare.py) turns it into -mcpu and adds -mthumb.
MANIFEST_CPU = {
    "nucleo_f446re": "cortex-m4",
    "nucleo_l476rg": "cortex-m4",
    "nrf52840_dk": "cortex-m4",
    "nano33ble": "cortex-m4",
}
#: The bare-metal builder's own flags (without its -Os, which platformio.ini unflags).
BARE_CCFLAGS = ["-ffunction-sections", "-fdata-sections", "-Wall", "-mthumb"]
BARE_LINKFLAGS = ["-Wl,--gc-sections,--relax", "-mthumb"]


def read_platformio_ini(project: Path) -> configparser.SectionProxy:
    ini = configparser.ConfigParser()
    assert ini.read(project / "platformio.ini") == [str(project / "platformio.ini")]
    envs = [s for s in ini.sections() if s.startswith("env:")]
    assert len(envs) == 1, ini.sections()
    assert ini["platformio"]["default_envs"] == envs[0].removeprefix("env:")
    return ini[envs[0]]


def extra_script_flags(project: Path, script: str) -> dict[str, list[str]]:
    """The flag lists the extra script appends, read without running SCons."""
    tree = ast.parse((project / script).read_text())
    flags: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            flags[node.targets[0].id] = ast.literal_eval(node.value)
    return flags


def platformio_build(project: Path, work: Path) -> Path:
    """Compile and link as PlatformIO would: src/ and lib/*/src/ with include/, each library's
    src/ and src/ on the include path."""
    env = read_platformio_ini(project)
    gcc = require("arm-none-eabi-gcc")
    build_flags = env["build_flags"].split()
    unflags = env.get("build_unflags", "").split()
    script = env["extra_scripts"].removeprefix("pre:")
    extra = extra_script_flags(project, script)
    cpu = [f"-mcpu={MANIFEST_CPU[env['board']]}"]
    libs = sorted((project / "lib").glob("*/src"))
    includes = [f"-I{d}" for d in [project / "include", *libs, project / "src"]]
    cflags = [f for f in [*BARE_CCFLAGS, *cpu, *build_flags] if f not in unflags]
    objects = []
    for source in sorted([*project.glob("src/**/*.c"), *project.glob("lib/*/src/**/*.c")]):
        obj = work / (source.relative_to(project).as_posix().replace("/", "_") + ".o")
        run(
            [
                gcc,
                *cflags,
                *extra["CFLAGS"],
                "-Werror",
                *includes,
                "-c",
                str(source),
                "-o",
                str(obj),
            ]
        )
        objects.append(str(obj))
    elf = work / "firmware.elf"
    run(
        [
            gcc,
            *BARE_LINKFLAGS,
            *cpu,
            *extra["LINKFLAGS"],
            "-T",
            str(project / env["board_build.ldscript"]),
            *objects,
            "-lc",
            "-lgcc",
            "-lm",
            "-o",
            str(elf),
        ]
    )
    return elf


@pytest.mark.toolchain
def test_platformio_project_layout_and_build(tmp_path: Path) -> None:
    require("arm-none-eabi-gcc")
    board = "nucleo-f446re"
    model = tflite_path("small")
    out = tmp_path / "pio"
    result = CliRunner().invoke(
        main, ["export", str(model), "--board", board, "--format", "platformio", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output

    env = read_platformio_ini(out)
    assert env.name == f"env:{board}"
    assert (env["platform"], env["board"]) == ("ststm32", "nucleo_f446re")
    assert "framework" not in env  # bare metal: the start-up and UART code are ours
    assert {"-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"} <= set(env["build_flags"].split())
    # The documented layout: sources in src/, headers in include/, private libraries in
    # lib/<name>/src/, nothing of the make folder left over.
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"src", "include", "lib"}
    name = library_name(model)
    assert (out / "lib" / name / "src" / "model.c").is_file()
    assert (out / "src" / "el_app.c").is_file() and (out / "src" / "el_startup.c").is_file()
    assert (out / "include" / "el_board.h").is_file()
    assert not (out / "Makefile").exists()
    assert json.loads((out / "edge_lstm.json").read_text())["format"] == "platformio"

    work = tmp_path / "obj"
    work.mkdir()
    elf = platformio_build(out, work)
    make_elf = make_build(model, board, tmp_path)
    assert sections(elf).keys() == sections(make_elf).keys()
    assert sections(elf)[".isr_vector"] == sections(make_elf)[".isr_vector"]
    # The vector table's reset entry points at Reset_Handler (Thumb bit set).
    reset = int.from_bytes(section_bytes(elf, ".isr_vector")[4:8], "little")
    assert reset == symbol_address(elf, "Reset_Handler") | 1


def test_platformio_boards_exist_in_the_registry() -> None:
    from targets.registry import load_boards

    boards = load_boards()
    for name in PLATFORMIO_BOARDS:
        assert name in boards and not boards[name].emulated
        assert boards[name].cpu in MANIFEST_CPU.values()


# ---------------------------------------------------------------------------------------------
# Arduino

#: A stand-in for the Arduino core's Arduino.h, for compiling only: the real header drags in a
#: whole core (variants, CMSIS, USB stack) per architecture. The library uses exactly Serial
#: (begin, read, write), micros() and yield(), with the signatures of the Arduino API; this
#: declares those and nothing else, so a call outside that API fails to compile.
ARDUINO_H = """\
#ifndef ARDUINO_H_STANDIN
#define ARDUINO_H_STANDIN
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
class HardwareSerial {
public:
    void begin(unsigned long baud);
    int read(void);
    size_t write(const uint8_t *buffer, size_t size);
};
extern HardwareSerial Serial;
extern "C" {
#endif
unsigned long micros(void);
void yield(void);
#ifdef __cplusplus
}
#endif
#endif
"""

#: Definitions of the stand-in and the core's main(), so the link proves nothing is missing.
ARDUINO_CORE = """\
#include <Arduino.h>
HardwareSerial Serial;
void HardwareSerial::begin(unsigned long) {}
int HardwareSerial::read(void) { return -1; }
size_t HardwareSerial::write(const uint8_t *, size_t size) { return size; }
extern "C" unsigned long micros(void) { return 0; }
extern "C" void yield(void) {}
void setup();
void loop();
int main() { setup(); for (;;) { loop(); } }
"""

LIBRARY_FIELDS = (
    "name",
    "version",
    "author",
    "maintainer",
    "sentence",
    "paragraph",
    "category",
    "url",
    "architectures",
)
#: The categories the Arduino library specification accepts.
ARDUINO_CATEGORIES = {
    "Display",
    "Communication",
    "Signal Input/Output",
    "Sensors",
    "Device Control",
    "Timing",
    "Data Storage",
    "Data Processing",
    "Other",
}


def read_library_properties(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, line
            fields[key] = value
    return fields


@pytest.mark.toolchain
def test_arduino_library_layout_and_sketch_compile(tmp_path: Path) -> None:
    gcc = require("arm-none-eabi-gcc")
    gxx = require("arm-none-eabi-g++")
    model = tflite_path("small")
    out = tmp_path / "lib"
    result = CliRunner().invoke(
        main, ["export", str(model), "--format", "arduino", "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    name = library_name(model)

    props = read_library_properties(out / "library.properties")
    for field in LIBRARY_FIELDS:
        assert props.get(field), f"library.properties lacks {field}"
    assert props["name"] == name
    assert props["category"] in ARDUINO_CATEGORIES
    assert props["url"].startswith("https://")
    assert "avr" not in props["architectures"].split(",")
    assert (out / "src" / f"{name}.h").is_file()
    sketch = out / "examples" / name / f"{name}.ino"
    assert f"#include <{name}.h>" in sketch.read_text()
    assert not (out / "Makefile").exists() and not (out / "bsp").exists()
    assert "board" not in json.loads((out / "edge_lstm.json").read_text())

    # Compile as the Arduino builder does for a 1.5-format library: every .c/.cpp under src/
    # with src/ on the include path; the sketch as C++ after `#include <Arduino.h>`.
    core = tmp_path / "core"
    core.mkdir()
    (core / "Arduino.h").write_text(ARDUINO_H)
    (core / "core.cpp").write_text(ARDUINO_CORE)
    (core / "sketch.cpp").write_text("#include <Arduino.h>\n" + sketch.read_text())
    arch = [
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfloat-abi=hard",
        "-mfpu=fpv4-sp-d16",
        "-Os",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
        "-Wextra",
        "-Werror",
    ]
    includes = [f"-I{core}", f"-I{out / 'src'}"]
    objects = []
    for source in sorted(
        [
            *(out / "src").glob("*.c"),
            *(out / "src").glob("*.cpp"),
            core / "core.cpp",
            core / "sketch.cpp",
        ]
    ):
        compiler = (
            [gcc, "-std=gnu11"]
            if source.suffix == ".c"
            else [gxx, "-std=gnu++17", "-fno-exceptions", "-fno-rtti"]
        )
        obj = tmp_path / f"{source.parent.name}_{source.name}.o"
        run([*compiler, *arch, *includes, "-c", str(source), "-o", str(obj)])
        objects.append(str(obj))
    assert len(objects) >= 9
    elf = tmp_path / "sketch.elf"
    run(
        [
            gxx,
            *arch[:4],
            "--specs=nano.specs",
            "--specs=nosys.specs",
            "-Wl,--gc-sections",
            *objects,
            "-lm",
            "-o",
            str(elf),
        ]
    )
    # The protocol app and the model made it into the image, reached from setup()/loop().
    for symbol in ("el_app_begin", "el_app_poll", "el_frame_parser_feed", "el_model_invoke"):
        assert symbol_address(elf, symbol) != 0


def test_cli_help_lists_the_formats() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "edge_lstm.cli", "export", "--help"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0
    assert "[make|cmake|platformio|arduino|cmake-lib|zephyr|platformio-lib]" in done.stdout
