"""Assemble a firmware folder: model code, runtime, app, protocol header, board support.

Each part comes from its own package (firmware_gen for the model and the runtime, the harness
for the protocol header, targets for the board); this module only puts them side by side,
in a temporary folder renamed into place at the end so that a failed export leaves nothing
half-written behind. The folder is always assembled for make first; other build systems
(edge_lstm.project_formats) rearrange or extend that one folder, so every format compiles the
same sources.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_lstm import __version__
from edge_lstm.errors import BadInputError
from targets.errors import ManifestError
from targets.manifest import has_manifest, read_manifest, write_manifest

RUNTIMES = ("native", "tflm")
WEIGHT_STORAGE = ("int8", "int16")  # the native engine's LSTM weight storage
TFLM_KERNELS = ("reference", "cmsis-nn")


@dataclass
class ExportResult:
    out_dir: Path
    board: str
    runtime: str
    model_sha256: str
    flash_bytes: int  # weights + code estimate (the built ELF gives the exact figure)
    ram_bytes: int  # state + scratch (+ arena) + stack estimate
    details: dict[str, Any] = field(default_factory=dict)
    format: str = "make"
    replaced_build: bool = False  # an earlier export's build/ was deleted with it

    def to_json(self) -> dict[str, Any]:
        return {
            **self.details,
            "out_dir": str(self.out_dir),
            "board": self.board,
            "runtime": self.runtime,
            "format": self.format,
            "model_sha256": self.model_sha256,
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
        }


# Code size of the runtime, app and board support, and the stack the app needs: estimates
# for `export --json`, before any compiler ran; `build` reports the exact figures from the ELF.
CODE_BYTES_ESTIMATE = 14 * 1024  # engine + app + board support, -O2, measured on Cortex-M4
STACK_BYTES_ESTIMATE = 1024


def export_project(
    model_path: Path,
    board_name: str,
    out_dir: Path,
    runtime: str = "native",
    tflm_kernels: str = "reference",
    tflm_dir: Path | None = None,
    fmt: str = "make",
    weight_storage: str = "int8",
    force: bool = False,
    name: str = "el_model",
) -> ExportResult:
    """Write the firmware folder ``out_dir``, replacing it only when that is safe or forced.

    An existing folder is replaced when edge-lstm wrote it (it holds edge_lstm.json) or it is
    empty; any other non-empty folder is the user's and is refused without ``force``. Files and
    devices are never replaced. Every check runs before anything is written.

    ``name`` is the model's C name (the prefix of its functions, NAME.h): models exported with
    different names link into one image. The library formats (cmake-lib, zephyr,
    platformio-lib) hold the model and the engine only: no app, no board code.
    """
    from edge_lstm.harness.cgen import write_c_header
    from edge_lstm.library_formats import DEFAULT_NAME, check_name
    from edge_lstm.project_formats import check_format
    from quantize.tflite_ir import read_model
    from targets.project import add_board_support
    from targets.registry import get_board

    if runtime not in RUNTIMES:
        raise BadInputError(f"unknown runtime '{runtime}'; choose one of {', '.join(RUNTIMES)}")
    if weight_storage not in WEIGHT_STORAGE:
        raise BadInputError(
            f"unknown weight storage '{weight_storage}'; choose one of {', '.join(WEIGHT_STORAGE)}"
        )
    if weight_storage != "int8" and runtime != "native":
        raise BadInputError(
            f"--weights {weight_storage} is a native-engine option; TFLM reads the .tflite "
            "weights as they are (drop --weights or use --runtime native)"
        )
    check_name(name)
    if name != DEFAULT_NAME and runtime != "native":
        raise BadInputError(
            f"--name is an option of the native runtime (the TFLM glue keeps el_model_*); "
            f"drop --name {name} or use --runtime native"
        )
    board = get_board(board_name)
    check_format(fmt, runtime, board.name)
    out_dir = Path(out_dir)
    replaced_build = check_output_folder(out_dir, force)
    model = read_model(model_path)
    created = _make_parents(out_dir.parent)
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        _remove_created(created)
        raise BadInputError(f"cannot write into {out_dir.parent}: {exc.strerror}") from None
    try:
        details: dict[str, Any]
        if runtime == "native":
            from edge_lstm.library_formats import name_model
            from firmware_gen.native import generate

            native = generate(model, work, weight_storage=weight_storage)
            name_model(work / "model", name)
            details = native.as_dict()
            flash = native.weights_bytes + CODE_BYTES_ESTIMATE
            ram = native.ram_bytes + STACK_BYTES_ESTIMATE
        else:
            from firmware_gen.tflm import generate as generate_tflm

            tflm = generate_tflm(
                Path(model_path), work, kernels=tflm_kernels, tflm_dir=tflm_dir, mve=board.mve
            )
            details = tflm.as_dict()
            flash = model.size_bytes + CODE_BYTES_ESTIMATE
            ram = int(details.get("arena_bytes", 0)) + STACK_BYTES_ESTIMATE
        app_dir = work / "app"
        app_dir.mkdir(exist_ok=True)
        from firmware_gen import include_dir

        for src in sorted((include_dir() / "app").iterdir()):
            if src.suffix in (".c", ".h"):
                shutil.copy2(src, app_dir / src.name)
        write_c_header(app_dir)
        shutil.copy2(model_path, work / "model.tflite")
        meta = {
            "tool": "edge-lstm",
            "version": __version__,
            "runtime": runtime,
            "model": "model.tflite",
            "model_sha256": model.sha256,
            "board": board.name,
        }
        if runtime == "native":
            meta["weight_storage"] = weight_storage
        write_manifest(work, meta)
        add_board_support(work, board)
        if name != DEFAULT_NAME:
            meta["name"] = name
            write_manifest(work, meta)
            details["name"] = name
        if name != DEFAULT_NAME and fmt not in LIBRARY_LAYOUTS:
            from edge_lstm.library_formats import public_header

            (work / "model" / f"{name}.h").write_text(
                public_header(work / "model", name, Path(model_path).name, model.sha256),
                encoding="utf-8",
            )
        if fmt != "make":
            library = _apply_format(
                work, fmt, board, Path(model_path), model.sha256, name, flash, ram, details
            )
            if fmt == "arduino" or fmt in LIBRARY_LAYOUTS:
                details["library"] = library
        _move_into_place(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        _remove_created(created)
        raise
    return ExportResult(
        out_dir=out_dir,
        board=board.name,
        runtime=runtime,
        model_sha256=model.sha256,
        flash_bytes=flash,
        ram_bytes=ram,
        details=details,
        format=fmt,
        replaced_build=replaced_build,
    )


def check_output_folder(out_dir: Path, force: bool = False) -> bool:
    """Refuse an -o that export must not replace; True when it replaces an export's build/.

    edge-lstm recognizes its own folders by edge_lstm.json: replacing one is a re-export, which
    the user expects; a non-empty folder without it holds someone's files, which only --force
    may delete. A file or a device at -o is never deleted, not even with --force.
    """
    if out_dir.is_symlink():
        raise BadInputError(f"-o {out_dir} is a symbolic link; give the folder it points to")
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(
            f"-o {out_dir} exists and is not a folder; remove it or choose another -o"
        )
    parent = next((p for p in out_dir.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise BadInputError(f"-o {out_dir}: {parent} is a file, not a folder; choose another -o")
    if not out_dir.exists():
        return False
    try:
        entries = list(out_dir.iterdir())
    except OSError as exc:
        raise BadInputError(f"-o {out_dir}: cannot read the folder ({exc.strerror})") from None
    if not entries:
        return False
    if force:
        return has_manifest(out_dir) and (out_dir / "build").is_dir()
    if not has_manifest(out_dir):
        raise BadInputError(
            f"-o {out_dir} is a non-empty folder that edge-lstm did not write (no "
            f"edge_lstm.json); choose a new or empty folder, or pass --force to replace it"
        )
    try:
        read_manifest(out_dir)
    except ManifestError:
        raise BadInputError(
            f"-o {out_dir}: its edge_lstm.json is broken, so it may not be an edge-lstm export; "
            "pass --force to replace the folder, or choose another -o"
        ) from None
    return (out_dir / "build").is_dir()


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, so a failure can undo them."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(missing)
        raise BadInputError(f"cannot create {folder}: {exc.strerror}") from None
    return missing


def _remove_created(created: list[Path]) -> None:
    for folder in created:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            pass


def _move_into_place(work: Path, out_dir: Path) -> None:
    """Swap the finished folder in with renames, so ``out_dir`` is never half-written."""
    if not out_dir.exists():
        work.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        work.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


#: Formats whose folder is laid out by edge_lstm.library_formats (NAME.h in include/).
LIBRARY_LAYOUTS = ("cmake-lib", "zephyr", "platformio-lib")


def _apply_format(
    work: Path,
    fmt: str,
    board: Any,
    model_path: Path,
    sha256: str,
    c_name: str = "el_model",
    flash: int = 0,
    ram: int = 0,
    details: dict[str, Any] | None = None,
) -> str:
    """Turn the assembled make folder into ``fmt`` and record the format in edge_lstm.json;
    the library's name (Arduino, PlatformIO)."""
    from edge_lstm import library_formats, project_formats

    if c_name != library_formats.DEFAULT_NAME:
        name = c_name
    else:
        name = project_formats.library_name(model_path)
    if fmt == "cmake":
        project_formats.write_cmake(work, board)
    elif fmt == "platformio":
        project_formats.to_platformio(work, board, name)
    elif fmt == "arduino":
        project_formats.to_arduino(work, name, model_path.name, sha256, c_name)
    elif fmt in LIBRARY_LAYOUTS:
        arch = board.gcc_arch_flags() if not board.is_host else []
        library_formats.to_library(
            work, fmt, c_name, model_path.name, sha256, arch, flash, ram, details or {}
        )
    meta = read_manifest(work).data
    meta["format"] = fmt
    if fmt == "arduino" or fmt in LIBRARY_LAYOUTS:
        # The Arduino core, or the user's firmware, supplies start-up and the serial port.
        meta.pop("board", None)
        meta["library"] = name
    write_manifest(work, meta)
    if fmt == "arduino":
        project_formats.arduino_zip(work, name)
    return name
