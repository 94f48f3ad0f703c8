"""el_protocol.h, generated from harness.protocol, says what the Python definition says:
a C program prints the header's constants and the test compares them with Python's."""

from __future__ import annotations

import subprocess
from pathlib import Path

from toolchain import require

from edge_lstm import __version__
from edge_lstm.harness import protocol as p
from edge_lstm.harness.cgen import write_c_header


def _c_names() -> dict[str, int]:
    names: dict[str, int] = {f"EL_PROTO_{k}": v for k, v in p.SCALARS.items()}
    names.update({f"EL_MSG_{t.name}": int(t) for t in p.MsgType})
    names.update({f"EL_ERR_{e.name}": int(e) for e in p.ErrorCode})
    for layout in p.LAYOUTS:
        names[f"EL_PROTO_{layout.name}_SIZE"] = layout.size
        for field, offset in layout.offsets.items():
            names[f"EL_PROTO_{layout.name}_OFF_{field.upper()}"] = offset
    return names


def test_generated_header_matches_python(tmp_path: Path) -> None:
    cc = require("cc")
    header = write_c_header(tmp_path)
    text = header.read_text()
    assert f"edge-lstm {__version__}" in text.splitlines()[0]
    assert "#ifndef EL_PROTOCOL_H" in text and text.rstrip().endswith("#endif /* EL_PROTOCOL_H */")
    names = _c_names()
    body = "\n".join(f'    printf("{n} %lu\\n", (unsigned long)({n}));' for n in names)
    requests = "\n".join(
        f'    printf("IS_REQUEST {t} %d\\n", EL_PROTO_IS_REQUEST({t}) ? 1 : 0);' for t in range(256)
    )
    source = tmp_path / "print.c"
    source.write_text(
        f'#include <stdio.h>\n#include "el_protocol.h"\nint main(void)\n{{\n'
        f"{body}\n{requests}\n    return 0;\n}}\n"
    )
    exe = tmp_path / "print"
    subprocess.run(
        [
            cc,
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            f"-I{tmp_path}",
            str(source),
            "-o",
            str(exe),
        ],
        check=True,
    )
    lines = subprocess.run(
        [str(exe)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    seen: dict[str, int] = {}
    requests_c: set[int] = set()
    for line in lines:
        parts = line.split()
        if parts[0] == "IS_REQUEST":
            if parts[2] == "1":
                requests_c.add(int(parts[1]))
        else:
            seen[parts[0]] = int(parts[1])
    assert seen == names
    assert requests_c == set(p.REQUEST_TYPES)


def test_static_asserts_reject_a_bad_configuration(tmp_path: Path) -> None:
    cc = require("cc")
    write_c_header(tmp_path)
    source = tmp_path / "bad.c"
    source.write_text(
        '#include "el_protocol.h"\n'
        "EL_STATIC_ASSERT(EL_PROTO_MAX_PAYLOAD < 100u, too_small);\n"
        "int main(void) { return 0; }\n"
    )
    result = subprocess.run(
        [
            cc,
            "-std=c99",
            "-pedantic",
            "-Werror",
            f"-I{tmp_path}",
            str(source),
            "-o",
            str(tmp_path / "bad"),
        ],
        capture_output=True,
    )
    assert result.returncode != 0
