"""Every command, given bad input, fails cleanly: one `error:` line, exit 2 or 3, nothing left.

Each case runs the real command line in a subprocess, in a folder of its own that holds a file
(``afile``) and a folder of someone else's notes (``userdir``); afterwards that folder must be
exactly as before (no output, no temporary file), the output must hold no traceback, and stderr
must have one ``error:`` line that names the problem. The cases run concurrently in one fixture
(each costs a Python start-up with numpy, about 0.5 s of CPU); the assertions are one test per
case. None of them loads TensorFlow; the missing-TensorFlow test blocks its import on purpose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from model_zoo import tflite_path
from toolchain import require

from edge_lstm.cli import COMMANDS as CLI_COMMANDS

BLOCK_TENSORFLOW = """
import importlib.abc, sys
class _NoTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tf_keras", "keras"):
            raise ImportError(f"{name} is blocked: this machine has no TensorFlow")
        return None
sys.meta_path.insert(0, _NoTensorFlow())
"""

UNWRITABLE = "/proc/edge-lstm-test"  # cannot be created, not even by root
BOARD_ENV = {"EDGE_LSTM_BOARD": "nosuch"}
TFLM_ENV = {"EDGE_LSTM_TFLM_DIR": "{in}/good.tflite"}  # a tree not made yet is fine, a file not


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int  # the exit code: 2 bad input or usage, 3 missing tool or device
    says: str  # a regular expression the error line must match (case-insensitive)
    env: tuple[tuple[str, str], ...] = ()


def case(id: str, command: str, code: int, says: str, env: dict[str, str] | None = None) -> Case:
    return Case(id, tuple(command.split()), code, says, tuple((env or {}).items()))


UNKNOWN_BOARD = r"unknown board 'nosuch'"
FROM_ENV = r"\$EDGE_LSTM_BOARD: unknown board 'nosuch'"
NOT_A_FOLDER = r"is a file, not a folder"
NOT_A_FILE = r"exists and is not a regular file"
USAGE = r"invalid value|no such option|missing option|unexpected extra argument"

# {in} is the folder of the input files, shared by every case (read only).
VALIDATE = "validate --elf {in}/garbage.elf --model {in}/good.tflite --data {in}/data.npz"
RUN = "run {in}/garbage.keras --calib {in}/data.npz --test {in}/data.npz"
REF = "reference {in}/good.tflite --data {in}/data.npz"
QUANT = "quantize {in}/garbage.keras --calib {in}/data.npz"

CASES = [
    # train: output and data checked before TensorFlow loads
    case("train-suffix", "train -o model.txt", 2, r"must end in \.keras"),
    case("train-under-file", "train -o afile/m.keras", 2, NOT_A_FOLDER),
    case("train-dataset", "train --dataset nosuch -o m.keras", 2, r"unknown dataset 'nosuch'"),
    case("train-garbage", "train --dataset {in}/garbage.npz -o m.keras", 2, r"not a readable"),
    case("train-hidden", "train --hidden 0 -o m.keras", 2, USAGE),
    case("train-arch", "train --arch nosuch -o m.keras", 2, USAGE),
    case("train-bigru", "train --arch bilstm --cell gru -o m.keras", 2, r"needs --cell lstm"),
    # quantize
    case("quantize-missing", "quantize {in}/missing.keras --calib {in}/data.npz -o o.tflite",
         2, r"does not exist"),
    case("quantize-garbage", QUANT + " -o o.tflite", 2, r"not a Keras model"),
    case("quantize-calib", "quantize {in}/garbage.keras --calib {in}/garbage.npz -o o.tflite",
         2, r"garbage\.npz is not a readable \.npz"),
    case("quantize-under-file", QUANT + " -o afile/o.tflite", 2, NOT_A_FOLDER),
    case("quantize-no-calib", "quantize {in}/garbage.keras -o o.tflite", 2, USAGE),
    # inspect
    case("inspect-missing", "inspect {in}/missing.tflite", 2, r"cannot read .*missing\.tflite"),
    case("inspect-garbage", "inspect {in}/garbage.tflite", 2, r"not a \.tflite model"),
    # reference
    case("reference-garbage-model", "reference {in}/garbage.tflite --data {in}/data.npz "
         "-o o.npz", 2, r"not a \.tflite model"),
    case("reference-missing-data", "reference {in}/good.tflite --data {in}/missing.npz -o o.npz",
         2, r"does not exist"),
    case("reference-garbage-csv", "reference {in}/good.tflite --data {in}/garbage.csv -o o.npz",
         2, r"not a readable \.csv"),
    case("reference-shape", "reference {in}/good.tflite --data {in}/wrong_shape.npz -o o.npz",
         2, r"the model needs \[N, 1, 1\]"),
    case("reference-under-file", REF + " -o afile/o.npz", 2, NOT_A_FOLDER),
    case("reference-unwritable", REF + f" -o {UNWRITABLE}/o.npz", 2, r"cannot write"),
    case("reference-activations", REF + " -o o.npz --activations nosuch", 2, USAGE),
    # export
    case("export-board", "export {in}/good.tflite --board nosuch -o fw", 2, UNKNOWN_BOARD),
    case("export-board-env", "export {in}/good.tflite -o fw", 2, FROM_ENV, BOARD_ENV),
    case("export-file", "export {in}/good.tflite -o afile", 2, r"afile exists and is not a folder"),
    case("export-devnull", "export {in}/good.tflite -o /dev/null", 2, r"is not a folder"),
    case("export-under-file", "export {in}/good.tflite -o afile/fw", 2, NOT_A_FOLDER),
    case("export-unwritable", "export {in}/good.tflite -o " + UNWRITABLE + "/fw", 2,
         r"cannot create /proc/edge-lstm-test"),
    case("export-not-ours", "export {in}/good.tflite -o userdir", 2,
         r"userdir is a non-empty folder that edge-lstm did not write .*--force"),
    case("export-missing", "export {in}/missing.tflite -o fw", 2, r"cannot read"),
    case("export-garbage", "export {in}/garbage.tflite -o fw", 2, r"not a \.tflite model"),
    case("export-tflm-env", "export {in}/good.tflite --runtime tflm -o fw", 2,
         r"invalid value for '--tflm-dir'.*good\.tflite' is a file", TFLM_ENV),
    # boards
    case("boards-option", "boards --nosuch", 2, USAGE),
    # build
    case("build-missing", "build {in}/missing", 2, r"does not exist"),
    case("build-no-makefile", "build userdir", 2, r"has no Makefile"),
    case("build-garbled", "build {in}/garbled", 2, r"edge_lstm\.json is not readable JSON"),
    case("build-old", "build {in}/old", 2, r"edge_lstm\.json names no board"),
    case("build-board", "build {in}/fw --board nosuch", 2, UNKNOWN_BOARD),
    case("build-other-board", "build {in}/fw --board nucleo-f446re", 2,
         r"exported for qemu-cortex-m4, not nucleo-f446re"),
    # flash
    case("flash-missing", "flash {in}/missing", 2, r"does not exist"),
    case("flash-board", "flash {in}/fw --board nosuch --dry-run", 2, UNKNOWN_BOARD),
    case("flash-other-board", "flash {in}/fw --board nucleo-f446re --dry-run", 2,
         r"exported for qemu-cortex-m4, not nucleo-f446re.*--force"),
    case("flash-unbuilt", "flash {in}/fw --dry-run", 2, r"build first"),
    case("flash-garbled", "flash {in}/garbled --dry-run", 2, r"not readable JSON"),
    # validate: everything is checked before a board starts
    case("validate-elf", "validate --elf {in}/missing.elf --model {in}/good.tflite "
         "--data {in}/data.npz", 2, r"--elf .*missing\.elf: no such firmware file"),
    case("validate-board", VALIDATE + " --board nosuch", 2, UNKNOWN_BOARD),
    case("validate-board-env", VALIDATE, 2, FROM_ENV, BOARD_ENV),
    case("validate-model", "validate --elf {in}/garbage.elf --model {in}/garbage.tflite "
         "--data {in}/data.npz", 2, r"not a \.tflite model"),
    case("validate-shape", "validate --elf {in}/garbage.elf --model {in}/good.tflite "
         "--data {in}/wrong_shape.npz", 2, r"the model needs"),
    case("validate-outputs", VALIDATE + " --outputs afile/o.npz", 2, NOT_A_FOLDER),
    case("validate-outputs-devnull", VALIDATE + " --outputs /dev/null", 2, NOT_A_FILE),
    case("validate-report", VALIDATE + " --report afile", 2, r"afile exists and is not a folder"),
    case("validate-no-board", "validate --model {in}/good.tflite --data {in}/data.npz", 2,
         r"give --port PORT .* or --elf"),
    case("validate-port-env", "validate --model {in}/good.tflite --data {in}/data.npz", 3,
         r"cannot open serial port '/dev/nonexistent-port'",
         {"EDGE_LSTM_PORT": "/dev/nonexistent-port"}),
    # run
    case("run-board", RUN + " --board nosuch", 2, UNKNOWN_BOARD),
    case("run-board-env", RUN, 2, FROM_ENV, BOARD_ENV),
    case("run-work-file", RUN + " --work afile", 2, r"--work afile exists and is not a folder"),
    case("run-report", RUN + " --report afile", 2, r"--report afile exists and is not a folder"),
    case("run-missing-model", "run {in}/missing.keras --calib {in}/data.npz --test "
         "{in}/data.npz", 2, r"does not exist"),
    case("run-garbage-calib", "run {in}/garbage.keras --calib {in}/garbage.npz --test "
         "{in}/data.npz", 2, r"not a readable"),
    # compare-cells: checked before the first training
    case("compare-board", "compare-cells --board nosuch", 2, UNKNOWN_BOARD),
    case("compare-board-env", "compare-cells", 2, FROM_ENV, BOARD_ENV),
    case("compare-dataset", "compare-cells --dataset nosuch", 2, r"unknown dataset 'nosuch'"),
    case("compare-garbage", "compare-cells --dataset {in}/garbage.npz", 2, r"not a readable"),
    case("compare-cells", "compare-cells --cells lstm,lstn", 2, r"--cells .lstm,lstn.*, gru,"),
    case("compare-twice", "compare-cells --cells gru,gru", 2, r"a cell is named twice"),
    case("compare-work", "compare-cells --work afile", 2, r"--work afile exists and is not a"),
    case("compare-out", "compare-cells -o afile", 2, r"-o afile exists and is not a folder"),
    case("compare-hidden", "compare-cells --hidden 0", 2, USAGE),
    # demo: checked before training
    case("demo-board", "demo --board nosuch", 2, UNKNOWN_BOARD),
    case("demo-board-env", "demo", 2, FROM_ENV, BOARD_ENV),
    case("demo-dataset", "demo --dataset nosuch", 2, r"unknown dataset 'nosuch'"),
    case("demo-work", "demo --work afile", 2, r"--work afile exists and is not a folder"),
    case("demo-hidden", "demo --hidden 0", 2, USAGE),
    case("ports-option", "ports --nosuch", 2, USAGE),
]  # fmt: skip

COMMANDS = set(CLI_COMMANDS)  # every command the CLI has


def make_inputs(folder: Path) -> Path:
    """The input files of every case: good ones, missing ones and random bytes."""
    folder.mkdir()
    (folder / "good.tflite").write_bytes(tflite_path("tiny").read_bytes())  # 1 step, 1 feature
    rng = np.random.default_rng(0)
    for name in ("garbage.tflite", "garbage.npz", "garbage.keras", "garbage.elf", "garbage.csv"):
        (folder / name).write_bytes(rng.bytes(2048))
    np.savez(folder / "data.npz", x=rng.normal(size=(6, 1, 1)).astype(np.float32), y=np.ones(6))
    np.savez(folder / "wrong_shape.npz", x=np.zeros((3, 4, 2), np.float32))
    for name, manifest in (("garbled", "{not json"), ("old", '{"tool": "edge-lstm"}')):
        (folder / name).mkdir()
        (folder / name / "Makefile").write_text("all:\n\tfalse\n")
        (folder / name / "edge_lstm.json").write_text(manifest)
    done = cli(["export", str(folder / "good.tflite"), "-o", str(folder / "fw")], folder, {})
    assert done.returncode == 0, done.stderr
    return folder


def make_workspace(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "afile").write_text("a file, not a folder\n")
    (folder / "userdir").mkdir()
    (folder / "userdir" / "notes.txt").write_text("someone's notes\n")
    return folder


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its content (None for folders)."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_LSTM_")}
    return subprocess.run(
        [sys.executable, "-m", "edge_lstm.cli", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Run every case at once: {case id: (completed process, workspace before, after)}."""
    root = tmp_path_factory.mktemp("bad-input")
    inputs = make_inputs(root / "in")
    inputs_before = snapshot(inputs)

    def run(c: Case) -> tuple:
        workspace = make_workspace(root / c.id)
        before = snapshot(workspace)
        args = [a.replace("{in}", str(inputs)) for a in c.args]
        env = {k: v.replace("{in}", str(inputs)) for k, v in c.env}
        done = cli(args, workspace, env)
        return done, before, snapshot(workspace)

    with ThreadPoolExecutor(max_workers=4) as pool:
        out = dict(zip([c.id for c in CASES], pool.map(run, CASES), strict=True))
    assert snapshot(inputs) == inputs_before, "a case changed the shared input files"
    assert not list(Path("/dev").glob(".null.*")), "a temporary file left in /dev"
    assert Path("/dev/null").is_char_device()
    assert not Path(UNWRITABLE).exists()
    return out


def test_every_command_has_bad_input_cases() -> None:
    assert {c.args[0] for c in CASES} == COMMANDS
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_cleanly(results: dict[str, tuple], c: Case) -> None:
    done, before, after = results[c.id]
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == c.code, output
    errors = [line for line in done.stderr.splitlines() if line.lower().startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert re.search(c.says, errors[0], re.IGNORECASE), errors[0]
    assert after == before, f"left behind: {sorted(set(after) - set(before))}"


def test_missing_tensorflow_is_one_line_with_the_install_command(tmp_path: Path) -> None:
    """A base install (no [tf] extra): the commands that need TensorFlow say how to get it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    x = np.random.default_rng(1).normal(size=(20, 2, 1)).astype(np.float32)
    np.savez(inputs / "train.npz", x=x, y=np.arange(20) % 2)
    with zipfile.ZipFile(inputs / "model.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_TENSORFLOW)
    env = {"PYTHONPATH": str(blocker)}
    commands = {
        "quantize": ["quantize", str(inputs / "model.keras"), "--calib", str(inputs / "train.npz"),
                     "-o", "m.tflite"],
        "train": ["train", "--dataset", str(inputs / "train.npz"), "-o", "m.keras"],
        "demo": ["demo", "--work", "w"],
        "compare-cells": ["compare-cells", "--work", "w", "-o", "o"],
    }  # fmt: skip
    for name, args in commands.items():
        workspace = tmp_path / name
        workspace.mkdir()
        done = cli(args, workspace, env)
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        assert 'pip install "edge-lstm[tf]"' in lines[0]
        assert list(workspace.iterdir()) == [], f"{name} left files behind"


def test_export_replaces_its_own_folder_and_others_only_with_force(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from edge_lstm.cli import main

    model = str(tflite_path("tiny"))
    fw = tmp_path / "fw"
    first = CliRunner().invoke(main, ["export", model, "-o", str(fw)])
    assert first.exit_code == 0, first.output
    (fw / "build").mkdir()
    (fw / "build" / "firmware.elf").write_bytes(b"old")
    again = CliRunner().invoke(main, ["export", model, "-o", str(fw)])
    assert again.exit_code == 0, again.output
    assert f"replaced the earlier export in {fw}, with its build/" in again.stderr
    assert not (fw / "build").exists() and (fw / "edge_lstm.json").is_file()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused = CliRunner().invoke(main, ["export", model, "-o", str(mine)])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert (mine / "notes.txt").read_text() == "keep"
    forced = CliRunner().invoke(main, ["export", model, "-o", str(mine), "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (mine / "notes.txt").exists() and (mine / "edge_lstm.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fw", "mine"]  # no temporary folders


def test_a_failed_build_is_one_error_line_with_the_compiler_output_indented(
    tmp_path: Path,
) -> None:
    require("make")
    require("cc")
    project = tmp_path / "fw"
    project.mkdir()
    (project / "Makefile").write_text("all:\n\t@echo 'model.c:3: error: oops' >&2; exit 1\n")
    (project / "edge_lstm.json").write_text('{"tool": "edge-lstm", "board": "host"}\n')
    done = cli(["build", str(project)], tmp_path, {})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    first, *rest = done.stderr.splitlines()
    assert first.startswith(f"error: make failed in {project}"), done.stderr
    assert "  model.c:3: error: oops" in rest
    assert all(line.startswith("  ") for line in rest), done.stderr


def test_flash_to_another_board_needs_force(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from edge_lstm.cli import main

    fw = tmp_path / "fw"
    exported = CliRunner().invoke(main, ["export", str(tflite_path("tiny")), "-o", str(fw)])
    assert exported.exit_code == 0, exported.output
    (fw / "build").mkdir()
    for ext in ("elf", "bin", "hex"):  # the plan needs the paths, not a real image
        (fw / "build" / f"firmware.{ext}").write_bytes(b"\0")
    args = ["flash", str(fw), "--board", "nucleo-f446re", "--dry-run"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert "exported for qemu-cortex-m4, not nucleo-f446re" in refused.stderr
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "board: nucleo-f446re" in forced.stdout and "pyocd flash" in forced.stdout
    same = CliRunner().invoke(main, ["flash", str(fw), "--board", "qemu-cortex-m4", "--dry-run"])
    assert same.exit_code == 0 and "qemu-system-arm" in same.stdout
