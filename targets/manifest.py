"""edge_lstm.json, the record an export leaves in its firmware folder: read in one place.

export writes it; build, flash and a later export read it to know the board, the weight storage
and whether a folder is edge-lstm's own. Every reader goes through ``read_manifest`` so that a
missing, garbled or outdated file gives the same clear error wherever it is met.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from targets.errors import ManifestError

MANIFEST = "edge_lstm.json"


@dataclass(frozen=True)
class Manifest:
    path: Path
    board: str | None  # None in an Arduino library: the Arduino core supplies the board
    runtime: str | None
    format: str
    weight_storage: str | None  # native runtime only
    model_sha256: str | None
    version: str | None
    data: dict[str, Any] = field(default_factory=dict)  # every field, for rewriting the file

    @property
    def folder(self) -> Path:
        return self.path.parent

    def require_board(self) -> str:
        """The board the folder was exported for; an error when the file records none."""
        if self.board is None:
            raise ManifestError(
                f"{self.path} names no board (an Arduino library, or written by an older "
                "edge-lstm): pass --board, or export the model again"
            )
        return self.board


def manifest_path(folder: str | Path) -> Path:
    return Path(folder) / MANIFEST


def has_manifest(folder: str | Path) -> bool:
    return manifest_path(folder).is_file()


def read_manifest(folder: str | Path) -> Manifest:
    """The manifest of an exported folder; ManifestError (exit 2) when it is missing or broken."""
    path = manifest_path(folder)
    if not path.is_file():
        raise ManifestError(
            f"{folder} has no {MANIFEST}: not a firmware folder written by `edge-lstm export` "
            "(export one, or pass the board)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(
            f"{path} is not readable JSON ({exc}); export the model again"
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path} holds {type(data).__name__}, not an object; export again")
    for key in ("board", "runtime", "format", "weight_storage", "model_sha256", "version"):
        if key in data and not isinstance(data[key], str):
            raise ManifestError(
                f"{path}: field {key!r} is {data[key]!r}, not a string; export the model again"
            )
    return Manifest(
        path=path,
        board=data.get("board"),
        runtime=data.get("runtime"),
        format=data.get("format", "make"),
        weight_storage=data.get("weight_storage"),
        model_sha256=data.get("model_sha256"),
        version=data.get("version"),
        data=data,
    )


def find_manifest(folder: str | Path) -> Manifest | None:
    """The manifest if the folder has one (a broken one is still an error), else None."""
    return read_manifest(folder) if has_manifest(folder) else None


def write_manifest(folder: str | Path, data: dict[str, Any]) -> None:
    manifest_path(folder).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
