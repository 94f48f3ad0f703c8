"""A short libFuzzer run of the firmware's frame parser under AddressSanitizer and UBSan.

The long run (>= 1 million inputs) is ``tests/fuzz/run_fuzz.sh 1000000``; see docs/protocol.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from toolchain import require

SCRIPT = Path(__file__).resolve().parent / "fuzz" / "run_fuzz.sh"


@pytest.mark.toolchain
def test_short_fuzz_of_frame_parser(tmp_path: Path) -> None:
    require("clang")
    env = dict(os.environ, FUZZ_OUT=str(tmp_path), PYTHON=sys.executable)
    result = subprocess.run(
        # The parser's heap stays at a few MB (libFuzzer's own corpus included); under a loaded
        # machine ASan's allocator has been seen holding 2.5 GB of RSS, past libFuzzer's
        # default 2 GB limit, with 24 MB live: the limit is raised, the heap is still checked
        # by ASan and LeakSanitizer.
        [
            "sh",
            str(SCRIPT),
            "200000",
            "-max_total_time=20",
            "-print_final_stats=1",
            "-rss_limit_mb=8192",
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    log = result.stderr
    assert result.returncode == 0, log[-3000:]
    done = re.search(r"Done (\d+) runs", log)
    assert done is not None and int(done.group(1)) > 10_000, log[-3000:]
    assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log
