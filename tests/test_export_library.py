"""`edge-lstm export --name NAME --format cmake-lib|zephyr|platformio-lib|arduino`: the model as a
component of the user's own firmware.

Two models exported under two names are added to one CMake project with add_subdirectory() and
called from one executable: its outputs are compared, every byte, with the numpy integer
reference; the same project cross-compiles for Cortex-M4 through the export's toolchain file.
The Arduino examples compile against a stand-in of Arduino.h; library.properties,
library.json and zephyr/module.yml are checked against the rules their documentation states.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from model_zoo import tflite_path
from toolchain import require

from edge_lstm.cli import main
from edge_lstm.errors import BadInputError
from edge_lstm.library_formats import DEFAULT_NAME, check_name
from quantize.reference import run_reference
from quantize.tflite_ir import read_model

MODELS = {"gesture": "imu", "wake": "kws"}


def run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def export(name: str, fmt: str, out: Path, *extra: str) -> dict:
    model = tflite_path(MODELS.get(name, "small"))
    result = CliRunner().invoke(
        main,
        ["export", str(model), "--format", fmt, "--name", name, "-o", str(out), "--json", *extra],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---------------------------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    "bad", ["2wake", "wake-word", "int", "class", "el_wake", "EL_X", "model", "a__b", "x" * 19, ""]
)
def test_invalid_names_are_refused_with_exit_2(tmp_path: Path, bad: str) -> None:
    with pytest.raises(BadInputError):
        check_name(bad)
    out = tmp_path / "lib"
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(tflite_path("small")),
            "--format",
            "cmake-lib",
            "--name",
            bad,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "--name" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_valid_names() -> None:
    for good in ("wake", "Gesture2", "kws_v1", DEFAULT_NAME):
        check_name(good)


def test_existing_folder_rules_hold_for_the_library_formats(tmp_path: Path) -> None:
    """A folder edge-lstm did not write is refused (exit 2, untouched) unless --force; an
    earlier export is replaced."""
    for fmt in ("cmake-lib", "zephyr", "platformio-lib", "arduino"):
        out = tmp_path / fmt
        out.mkdir()
        (out / "mine.txt").write_text("keep")
        model = str(tflite_path("small"))
        args = ["export", model, "--format", fmt, "--name", "wake", "-o", str(out)]
        refused = CliRunner().invoke(main, args)
        assert refused.exit_code == 2, refused.output
        assert (out / "mine.txt").read_text() == "keep" and len(list(out.iterdir())) == 1
        forced = CliRunner().invoke(main, [*args, "--force"])
        assert forced.exit_code == 0, forced.output
        assert not (out / "mine.txt").exists()
        again = CliRunner().invoke(main, args)  # an earlier export: replaced without --force
        assert again.exit_code == 0, again.output
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------------------------------------
# CMake: two models in one project, host and cross

CONSUMER = """\
cmake_minimum_required(VERSION 3.13)
project(two_models LANGUAGES C)
add_subdirectory(${GESTURE_DIR} gesture)
add_subdirectory(${WAKE_DIR} wake)
add_executable(both main.c)
target_link_libraries(both PRIVATE gesture wake)
"""

#: One program calling both models: each input file's sequences through its model, the outputs
#: written as raw int8. A cross build only links it (no file system on the target).
CONSUMER_MAIN = """\
#include <stdio.h>
#include "gesture.h"
#include "wake.h"

static int8_t g_in[GESTURE_INPUT_BYTES], g_out[GESTURE_OUTPUT_BYTES];
static int8_t w_in[WAKE_INPUT_BYTES], w_out[WAKE_OUTPUT_BYTES];

int main(int argc, char **argv)
{
    FILE *gi, *wi, *go, *wo;
    if (argc != 5 || gesture_init() != 0 || wake_init() != 0) {
        return 1;
    }
    gi = fopen(argv[1], "rb"); wi = fopen(argv[2], "rb");
    go = fopen(argv[3], "wb"); wo = fopen(argv[4], "wb");
    if (!gi || !wi || !go || !wo) {
        return 2;
    }
    /* interleaved: each model's state must survive the other's calls */
    for (;;) {
        int more = 0;
        if (fread(g_in, 1, sizeof g_in, gi) == sizeof g_in) {
            if (gesture_invoke(g_in, g_out) != 0) return 3;
            fwrite(g_out, 1, sizeof g_out, go);
            more = 1;
        }
        if (fread(w_in, 1, sizeof w_in, wi) == sizeof w_in) {
            if (wake_invoke(w_in, w_out) != 0) return 3;
            fwrite(w_out, 1, sizeof w_out, wo);
            more = 1;
        }
        if (!more) break;
    }
    fclose(gi); fclose(wi); fclose(go); fclose(wo);
    return 0;
}
"""


def consumer_project(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    libs = {name: tmp_path / "libs" / name for name in MODELS}
    for name, folder in libs.items():
        doc = export(name, "cmake-lib", folder)
        assert doc["library"] == name and doc["name"] == name
    project = tmp_path / "app"
    project.mkdir()
    (project / "CMakeLists.txt").write_text(
        CONSUMER.replace("${GESTURE_DIR}", str(libs["gesture"])).replace(
            "${WAKE_DIR}", str(libs["wake"])
        )
    )
    (project / "main.c").write_text(CONSUMER_MAIN)
    return project, libs


@pytest.mark.toolchain
def test_two_cmake_libraries_in_one_host_project_match_the_reference(tmp_path: Path) -> None:
    cmake = require("cmake")
    require("cc")
    project, libs = consumer_project(tmp_path)
    build = tmp_path / "build-host"
    run(
        [cmake, "-S", str(project), "-B", str(build), "-DEDGE_LSTM_WARNINGS=ON",
         "-DGESTURE_EXAMPLES=ON", "-DCMAKE_BUILD_TYPE=Debug"]
    )  # fmt: skip
    run([cmake, "--build", str(build), "-j2"])

    rng = np.random.default_rng(16)
    inputs, expected = {}, {}
    for name in MODELS:
        ir = read_model(libs[name] / "model.tflite")
        shape = (7 if name == "gesture" else 5, *ir.input.shape[1:])
        inputs[name] = rng.integers(-128, 128, size=shape, dtype=np.int8)
        expected[name] = run_reference(ir, inputs[name])
        inputs[name].tofile(tmp_path / f"{name}.in")
    run(
        [str(build / "both"), *(str(tmp_path / f"{n}.in") for n in MODELS),
         *(str(tmp_path / f"{n}.out") for n in MODELS)]
    )  # fmt: skip
    for name in MODELS:
        got = np.fromfile(tmp_path / f"{name}.out", dtype=np.int8)
        want = expected[name].astype(np.int8).reshape(-1)
        assert got.size == want.size, name
        mismatches = int(np.count_nonzero(got != want))
        assert mismatches == 0, f"{name}: {mismatches} of {want.size} output bytes differ"

    # The shipped host examples: the same outputs from a raw file, from text, and step by step.
    ex_in = inputs["gesture"]
    want = expected["gesture"].astype(np.int8).reshape(len(ex_in), -1)
    text = tmp_path / "gesture.txt"
    text.write_text("\n".join(" ".join(str(v) for v in s.reshape(-1)) for s in ex_in) + "\n")
    for source in (tmp_path / "gesture.in", text):
        lines = run([str(build / "gesture" / "gesture_run"), str(source)]).splitlines()
        got = np.array([[int(v) for v in line.split(":")[1].split()[:-2]] for line in lines])
        assert int(np.count_nonzero(got != want)) == 0 and got.shape == want.shape
        assert [int(line.split()[-1]) for line in lines] == list(np.argmax(want, axis=1))
    lines = run([str(build / "gesture" / "gesture_stream"), str(tmp_path / "gesture.in")])
    got = np.array([[int(v) for v in line.split(":")[1].split()] for line in lines.splitlines()])
    assert got.shape == want.shape and int(np.count_nonzero(got != want)) == 0


@pytest.mark.toolchain
def test_two_cmake_libraries_cross_compile_for_cortex_m4_with_one_engine(tmp_path: Path) -> None:
    cmake = require("cmake")
    require("arm-none-eabi-gcc")
    project, libs = consumer_project(tmp_path)
    build = tmp_path / "build-m4"
    toolchain = libs["wake"] / "cmake" / "arm-none-eabi.cmake"
    run(
        [cmake, "-S", str(project), "-B", str(build), "-DEDGE_LSTM_WARNINGS=ON",
         f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"]
    )  # fmt: skip
    run([cmake, "--build", str(build), "-j2"])
    elf = build / "both"
    header = elf.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 40  # EM_ARM
    symbols = run(["arm-none-eabi-nm", str(elf)]).splitlines()
    defined = [line.split()[-1] for line in symbols if re.match(r"\S+ [TtRrDdBb] ", line)]
    for name in MODELS:
        for fn in ("init", "reset", "invoke", "step", "output", "net"):
            assert defined.count(f"{name}_{fn}") == 1, f"{name}_{fn}"
    assert defined.count("el_net_invoke") == 1  # one engine for both models
    assert not [s for s in defined if s.startswith("el_model_")]
    # The engine was built once, by the first library added.
    assert (build / "gesture" / "libedge_lstm_runtime.a").is_file()
    assert not (build / "wake" / "libedge_lstm_runtime.a").exists()


def test_cmake_library_layout_has_no_board_code_and_forces_no_warnings(tmp_path: Path) -> None:
    out = tmp_path / "wake"
    export("wake", "cmake-lib", out)
    text = (out / "CMakeLists.txt").read_text()
    assert "add_library(wake STATIC" in text
    assert "target_include_directories(wake PUBLIC" in text
    assert "if(NOT TARGET edge_lstm_runtime)" in text
    # warnings only on edge-lstm's own targets, and only when asked
    assert "add_compile_options" not in text and "CMAKE_C_FLAGS" not in text
    assert not (out / "bsp").exists() and not (out / "app").exists()
    assert sorted(p.name for p in (out / "include").iterdir()) == ["wake.h"]
    for source in [*out.rglob("*.c")]:
        if "examples" not in source.parts:
            assert not re.search(r"\bint\s+main\s*\(", source.read_text()), source
    header = (out / "include" / "wake.h").read_text()
    for macro in ("WAKE_INPUT_BYTES", "WAKE_OUTPUT_BYTES", "WAKE_TIMESTEPS", "WAKE_FEATURES"):
        assert f"#define {macro} " in header
    for fn in ("int wake_init(void)", "void wake_reset(void)",
               "int wake_invoke(const int8_t *in, int8_t *out)",
               "int wake_step(const int8_t *x_t)", "int wake_output(int8_t *out)"):  # fmt: skip
        assert fn in header
    readme = (out / "README.md").read_text()
    figures = json.loads((out / "edge_lstm.json").read_text())
    assert figures["library"] == "wake"
    assert "wake_invoke" in readme and "add_subdirectory" in readme
    weight = re.search(r"#define WAKE_WEIGHT_BYTES (\d+)u", header)
    assert weight and f"| {weight.group(1)} |" in readme


# ---------------------------------------------------------------------------------------------
# Zephyr and PlatformIO manifests, checked against their documented schemas


def test_zephyr_module_yml_follows_the_module_schema(tmp_path: Path) -> None:
    """Zephyr's module.yml (docs: "Modules", Module yaml file description): a mapping with an
    optional `name` (the module's name: letters, digits, '-', '_'), and `build` with `cmake`
    (a folder of the module holding CMakeLists.txt) and `kconfig` (a Kconfig file of the
    module); only documented keys."""
    import yaml  # a dev dependency: the test must not skip

    out = tmp_path / "wake"
    export("wake", "zephyr", out)
    doc = yaml.safe_load((out / "zephyr" / "module.yml").read_text())
    assert set(doc) <= {"name", "build", "depends", "samples", "tests", "boards", "blobs",
                        "security", "package-managers"}  # fmt: skip
    assert re.fullmatch(r"[A-Za-z0-9_-]+", doc["name"])
    build = doc["build"]
    assert set(build) <= {"cmake", "kconfig", "cmake-ext", "kconfig-ext", "sysbuild-cmake",
                          "sysbuild-kconfig", "settings"}  # fmt: skip
    assert (out / build["cmake"] / "CMakeLists.txt").is_file()
    kconfig = out / build["kconfig"]
    assert kconfig.is_file()
    symbol = re.search(r"^config (\w+)$", kconfig.read_text(), flags=re.M)
    assert symbol and symbol.group(1) == "EDGE_LSTM_WAKE"
    cmake = (out / build["cmake"] / "CMakeLists.txt").read_text()
    assert "if(CONFIG_EDGE_LSTM_WAKE)" in cmake and "zephyr_library_named(wake)" in cmake
    assert "zephyr_include_directories(" in cmake
    for path in re.findall(r"\$\{CMAKE_CURRENT_SOURCE_DIR\}/([\w./]+)", cmake):
        assert (out / path).exists(), path


#: PlatformIO library.json (docs.platformio.org, Manifests > library.json): name and version
#: required; the build fields documented; srcDir/includeDir relative folders of the library.
PIO_FIELDS = {"name", "version", "description", "keywords", "authors", "repository", "license",
              "homepage", "export", "dependencies", "frameworks", "platforms", "headers",
              "examples", "build"}  # fmt: skip
PIO_BUILD_FIELDS = {"flags", "unflags", "includeDir", "srcDir", "srcFilter", "extraScript",
                    "libArchive", "libLDFMode", "libCompatMode", "builder"}  # fmt: skip


def test_platformio_library_json_follows_the_manifest_schema(tmp_path: Path) -> None:
    out = tmp_path / "wake"
    export("wake", "platformio-lib", out)
    doc = json.loads((out / "library.json").read_text())
    assert set(doc) <= PIO_FIELDS
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", doc["name"]) and doc["name"] == "wake"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", doc["version"])
    assert len(doc["description"]) <= 255 and len(doc["keywords"]) <= 50
    assert doc["frameworks"] == "*" and doc["platforms"] == "*"
    build = doc["build"]
    assert set(build) <= PIO_BUILD_FIELDS
    assert (out / build["srcDir"]).is_dir()
    assert (out / build["includeDir"] / f"{doc['headers']}").is_file()
    for flag in build["flags"]:
        if flag.startswith("-I"):
            assert (out / flag[2:].strip()).is_dir(), flag
    sources = [f for f in build["srcFilter"] if f.startswith("+<")]
    for pattern in sources:
        assert list(out.glob(pattern[2:-1])), pattern
    # the examples (each with a main) are outside the filter
    assert not any("examples" in f for f in sources)


# ---------------------------------------------------------------------------------------------
# Arduino

#: A stand-in for the Arduino core's Arduino.h, for compiling only. The real core cannot be had
#: here: it is not in the package registries this machine reaches (the Arduino IDE and
#: arduino-cli download it from Arduino's own index, with its toolchain), so the examples are
#: compiled with the toolchain the Nano 33 BLE core uses (arm-none-eabi-g++, Cortex-M4, hard
#: float) against the Arduino API they call, declared with the core's signatures; a call
#: outside this API fails to compile.
ARDUINO_H = """\
#ifndef ARDUINO_H_STANDIN
#define ARDUINO_H_STANDIN
#include <stddef.h>
#include <stdint.h>
#define A0 14
#ifdef __cplusplus
class HardwareSerial {
public:
    void begin(unsigned long baud);
    int read(void);
    size_t write(const uint8_t *buffer, size_t size);
    size_t print(const char *s);
    size_t print(int n);
    size_t print(unsigned long n);
    size_t println(const char *s);
    size_t println(int n);
};
extern HardwareSerial Serial;
extern "C" {
#endif
unsigned long micros(void);
void yield(void);
void delay(unsigned long ms);
int analogRead(uint8_t pin);
#ifdef __cplusplus
}
#endif
#endif
"""

ARDUINO_CORE = """\
#include <Arduino.h>
HardwareSerial Serial;
void HardwareSerial::begin(unsigned long) {}
int HardwareSerial::read(void) { return -1; }
size_t HardwareSerial::write(const uint8_t *, size_t size) { return size; }
size_t HardwareSerial::print(const char *) { return 0; }
size_t HardwareSerial::print(int) { return 0; }
size_t HardwareSerial::print(unsigned long) { return 0; }
size_t HardwareSerial::println(const char *) { return 0; }
size_t HardwareSerial::println(int) { return 0; }
extern "C" unsigned long micros(void) { return 0; }
extern "C" void yield(void) {}
extern "C" void delay(unsigned long) {}
extern "C" int analogRead(uint8_t) { return 512; }
void setup();
void loop();
int main() { setup(); for (;;) { loop(); } }
"""

#: The Nano 33 BLE (mbed_nano core) compile flags that matter for the generated code.
NANO33_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-Os",
                "-ffunction-sections", "-fdata-sections",
                "-Wall", "-Wextra", "-Werror"]  # fmt: skip

#: arduino-lint's library.properties rules (arduino.github.io/arduino-cli library
#: specification; arduino-lint rules LP...): required fields, name format, categories.
REQUIRED = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
            "architectures")  # fmt: skip
CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors", "Device Control",
              "Timing", "Data Storage", "Data Processing", "Other"}  # fmt: skip


def lint_arduino_library(root: Path) -> list[str]:
    """The arduino-lint rules that apply to this library; the problems found."""
    problems = []
    props: dict[str, str] = {}
    for line in (root / "library.properties").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            if not sep:
                problems.append(f"not key=value: {line}")
            props[key.strip()] = value.strip()
    for field in REQUIRED:
        if not props.get(field):
            problems.append(f"library.properties lacks {field}")
    name = props.get("name", "")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]*", name) or len(name) > 63:
        problems.append(f"name {name!r} has characters the specification does not allow")
    if name.lower().startswith("arduino"):
        problems.append("name starts with Arduino")
    if not re.fullmatch(r"\d+(\.\d+){0,2}([-+].*)?", props.get("version", "")):
        problems.append("version is not semver")
    if props.get("category") not in CATEGORIES:
        problems.append(f"category {props.get('category')!r}")
    if not re.match(r"https?://", props.get("url", "")):
        problems.append("url")
    if props.get("paragraph", "").startswith(props.get("sentence", "\0")):
        problems.append("paragraph repeats sentence")
    if props.get("dot_a_linkage", "false") not in ("true", "false"):
        problems.append("dot_a_linkage")
    for include in props.get("includes", "").split(","):
        if include and not (root / "src" / include.strip()).is_file():
            problems.append(f"includes {include} not in src/")
    if not (root / "src" / f"{name}.h").is_file():
        problems.append("no header named after the library in src/")
    if (root / "utility").exists():
        problems.append("1.5 format with utility/")
    for example in (root / "examples").iterdir():
        if not (example / f"{example.name}.ino").is_file():
            problems.append(f"example {example.name} has no {example.name}.ino")
    for path in root.rglob("*"):
        if path.is_symlink():
            problems.append(f"symlink {path}")
    return problems


@pytest.mark.toolchain
def test_arduino_library_examples_compile_for_the_nano_33_ble(tmp_path: Path) -> None:
    import zipfile

    gcc = require("arm-none-eabi-gcc")
    gxx = require("arm-none-eabi-g++")
    ar = require("arm-none-eabi-ar")
    out = tmp_path / "wake"
    doc = export("wake", "arduino", out)
    assert doc["library"] == "wake"
    assert lint_arduino_library(out) == []
    examples = sorted(p.name for p in (out / "examples").iterdir())
    assert examples == ["wake", "wake_invoke", "wake_stream"]
    stream = (out / "examples" / "wake_stream" / "wake_stream.ino").read_text()
    assert "wake_step(" in stream and "wake_invoke(" not in stream
    assert "wake_invoke(" in (out / "examples" / "wake_invoke" / "wake_invoke.ino").read_text()

    # The .zip the IDE installs: one top folder named after the library, the same files.
    with zipfile.ZipFile(out / "wake.zip") as archive:
        names = archive.namelist()
    assert {n.split("/")[0] for n in names} == {"wake"}
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {n.removeprefix("wake/") for n in names} == files - {"wake.zip"}

    # The library as the builder compiles it with dot_a_linkage=true: src/ into an archive.
    core = tmp_path / "core"
    core.mkdir()
    (core / "Arduino.h").write_text(ARDUINO_H)
    (core / "core.cpp").write_text(ARDUINO_CORE)
    includes = [f"-I{core}", f"-I{out / 'src'}"]
    lib_objects = []
    for source in sorted([*(out / "src").glob("*.c"), *(out / "src").glob("*.cpp")]):
        compiler = [gcc, "-std=gnu11"] if source.suffix == ".c" else [gxx, "-std=gnu++17"]
        obj = tmp_path / f"lib_{source.name}.o"
        run([*compiler, *NANO33_FLAGS, *includes, "-c", str(source), "-o", str(obj)])
        lib_objects.append(str(obj))
    archive_path = tmp_path / "libwake.a"
    run([ar, "rcs", str(archive_path), *lib_objects])
    core_obj = tmp_path / "core.o"
    run([gxx, "-std=gnu++17", *NANO33_FLAGS, f"-I{core}", "-c", str(core / "core.cpp"),
         "-o", str(core_obj)])  # fmt: skip
    for example in examples:
        sketch = tmp_path / f"{example}.cpp"
        ino = (out / "examples" / example / f"{example}.ino").read_text()
        sketch.write_text("#include <Arduino.h>\n" + ino)
        obj = tmp_path / f"{example}.o"
        run([gxx, "-std=gnu++17", "-fno-exceptions", "-fno-rtti", *NANO33_FLAGS, *includes,
             "-c", str(sketch), "-o", str(obj)])  # fmt: skip
        elf = tmp_path / f"{example}.elf"
        run([gxx, *NANO33_FLAGS[:4], "--specs=nano.specs", "--specs=nosys.specs",
             "-Wl,--gc-sections", str(obj), str(core_obj), str(archive_path), "-lm",
             "-o", str(elf)])  # fmt: skip
        symbols = run(["arm-none-eabi-nm", str(elf)])
        assert re.search(r" T wake_init$", symbols, flags=re.M), example
        assert " el_model_init" not in symbols


@pytest.mark.toolchain
def test_named_firmware_folder_builds_with_the_app_calling_the_named_model(tmp_path: Path) -> None:
    """--name on a firmware format: the serial-protocol app, written against el_model_*, links
    against the renamed model unchanged, and model/NAME.h is added."""
    require("make")
    require("cc")
    out = tmp_path / "fw"
    export("gesture", "make", out, "--board", "host")
    assert (out / "model" / "gesture.h").is_file()
    run(["make", "-s", "-C", str(out)])
    symbols = run(["nm", str(out / "build" / "firmware.elf")])
    assert re.search(r" T gesture_invoke$", symbols, flags=re.M)
    assert not re.search(r" T el_model_invoke$", symbols, flags=re.M)


def test_whole_sequence_note_names_the_models_own_functions(tmp_path: Path) -> None:
    """A Bidirectional model runs as a whole-sequence graph: the note says which of the
    exported functions buffer the steps, under the name the user chose."""
    from arch_zoo import arch_tflite_path

    model = str(arch_tflite_path("bilstm-concat"))
    for name, expected in (("wake", "wake_step()"), (None, "el_model_step()")):
        out = tmp_path / (name or "default")
        args = ["export", model, "--format", "cmake-lib", "-o", str(out)]
        result = CliRunner().invoke(main, args + (["--name", name] if name else []))
        assert result.exit_code == 0, result.output
        note = [line for line in result.output.splitlines() if "whole sequences" in line]
        assert len(note) == 1 and expected in note[0], result.output
        assert (out / "include" / f"{name or DEFAULT_NAME}.h").is_file()
