"""The app's compile-time checks, and a clean build for Cortex-M with the firmware's flags."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures.fake_model.hostapp import APP_DIR, BSP_API_DIR, CFLAGS, HERE
from toolchain import require

from edge_lstm.harness.cgen import write_c_header

STRICT = [*CFLAGS, "-Wconversion", "-Wshadow"]


def _compile_app(cc: str, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    write_c_header(out)
    return subprocess.run(
        [
            cc,
            *STRICT,
            *flags,
            f"-I{out}",
            f"-I{APP_DIR}",
            f"-I{HERE}",
            f"-I{BSP_API_DIR}",
            "-c",
            str(APP_DIR / "el_app.c"),
            "-o",
            str(out / "el_app.o"),
        ],
        capture_output=True,
        text=True,
    )


def test_input_larger_than_a_frame_does_not_compile(tmp_path: Path) -> None:
    cc = require("cc")
    assert _compile_app(cc, tmp_path).returncode == 0
    # 128 x 40 = 5120 bytes fits the 8192-byte payload; 128 x 64 = 8192 plus BENCH's header
    # does not.
    assert (
        _compile_app(cc, tmp_path, "-DEL_MODEL_TIMESTEPS=128", "-DEL_MODEL_FEATURES=40").returncode
        == 0
    )
    result = _compile_app(cc, tmp_path, "-DEL_MODEL_TIMESTEPS=128", "-DEL_MODEL_FEATURES=64")
    assert result.returncode != 0
    assert "el_app_input_fits_a_frame" in result.stderr


@pytest.mark.toolchain
@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m4", "cortex-m55"])
def test_app_builds_for_cortex_m(tmp_path: Path, cpu: str) -> None:
    cc = require("arm-none-eabi-gcc")
    write_c_header(tmp_path)
    for source in ("el_app.c", "el_frame.c", "el_chunk.c"):
        subprocess.run(
            [
                cc,
                f"-mcpu={cpu}",
                "-mthumb",
                *STRICT,
                "-Os",
                f"-I{tmp_path}",
                f"-I{APP_DIR}",
                f"-I{HERE}",
                f"-I{BSP_API_DIR}",
                "-c",
                str(APP_DIR / source),
                "-o",
                str(tmp_path / f"{source}.o"),
            ],
            check=True,
        )
