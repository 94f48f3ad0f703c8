"""Shared helpers for the board tests (no tests here): build the echo fixture for a board."""

from __future__ import annotations

import shutil
from pathlib import Path

from targets.build import BuildResult, build_project
from targets.project import add_board_support
from targets.registry import get_board

ECHO_APP = Path(__file__).parent / "fixtures" / "echo_app"


def build_echo(tmp: Path, board_name: str) -> BuildResult:
    project = tmp / board_name
    shutil.copytree(ECHO_APP, project)
    add_board_support(project, get_board(board_name))
    return build_project(project, jobs=2)
