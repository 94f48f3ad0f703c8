"""The fresh-machine check: scripts/setup.sh --check passes, and it checks every tool tests need.

scripts/system-packages.tsv is the one list of system packages (setup.sh installs and checks
it). A test that starts to `require("tool")` a tool no row provides would pass on the machine of
whoever wrote it and fail on a fresh one, so the second test ties the two lists together.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
from toolchain import in_ci

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "scripts" / "system-packages.tsv"
TESTS = Path(__file__).resolve().parent


def table_rows() -> dict[str, str]:
    """{Debian package: shell check} from the tsv (comments and blank lines skipped)."""
    rows: dict[str, str] = {}
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 2 and all(f.strip() for f in fields), (
            f"{TABLE.name}:{number}: expected 'package<TAB>check', got {line!r}"
        )
        assert fields[0] not in rows, f"{TABLE.name}:{number}: {fields[0]} listed twice"
        rows[fields[0]] = fields[1]
    return rows


def tool_names(node: ast.expr) -> list[str]:
    """The tool names an argument of require() can take: a string, or either side of an `if`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return tool_names(node.body) + tool_names(node.orelse)
    raise AssertionError(f"require() of {ast.unparse(node)}: give the tool as a string")


def required_tools() -> dict[str, list[str]]:
    """{tool: test files} for every require(...) call under tests/."""
    tools: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if any(part.startswith(".") for part in path.relative_to(TESTS).parts):
            continue  # tests/.cache holds the venvs some tests build: not the suite's code
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "require"
                and node.args
            ):
                for tool in tool_names(node.args[0]):
                    tools.setdefault(tool, []).append(path.name)
    return tools


def test_setup_check_passes() -> None:
    done = subprocess.run(
        ["bash", "scripts/setup.sh", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    missing = done.returncode == 3 and "missing system packages" in done.stderr
    if missing:
        # the same policy as toolchain.require: a developer's machine may lack them, CI not
        message = f"{done.stderr.strip()} (run ./scripts/setup.sh to install them)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every system package" in done.stdout


def uncovered(tools: dict[str, list[str]], rows: dict[str, str]) -> dict[str, list[str]]:
    """The tools whose `command -v TOOL` appears in no row's check."""
    return {
        tool: files
        for tool, files in tools.items()
        if not any(re.search(rf"command -v {re.escape(tool)}(\s|$|;|&)", c) for c in rows.values())
    }


def test_every_required_tool_has_a_setup_row() -> None:
    tools = required_tools()
    # the tools the suite is known to need; a much shorter list means the scan broke
    assert {"arm-none-eabi-gcc", "qemu-system-arm", "make", "cmake", "cc"} <= set(tools)
    missing = uncovered(tools, table_rows())
    assert not missing, (
        f"tests require tools that no row of scripts/system-packages.tsv checks "
        f"(add a 'package<TAB>command -v TOOL' row): {missing}"
    )


def test_a_tool_without_a_row_is_reported() -> None:
    rows = table_rows()
    tools = {"verilator": ["test_new.py"], "cc": ["test_old.py"], "arm-none-eabi-g": ["t.py"]}
    # cc is checked by the gcc row; a prefix of a checked tool is not the tool
    assert uncovered(tools, rows) == {"verilator": ["test_new.py"], "arm-none-eabi-g": ["t.py"]}
