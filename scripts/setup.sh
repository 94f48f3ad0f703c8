#!/usr/bin/env bash
# Set up everything edge-lstm needs on a fresh Linux machine; safe to run again.
#   - the system packages in scripts/system-packages.tsv, installed with apt-get when missing:
#     arm-none-eabi-gcc with newlib and libstdc++, qemu-system-arm, gcc/g++, make, cmake, and
#     clang with its fuzzer and sanitizer runtime (libclang-rt-dev)
#   - a Python venv in .venv with edge-lstm installed editable, with its dev extras
# scripts/setup.sh --check only checks the system packages: it names every missing one, exit 3.
set -euo pipefail
cd "$(dirname "$0")/.."

missing_packages() {
  local package check
  while IFS=$'\t' read -r package check; do
    case "$package" in ''|'#'*) continue ;; esac
    sh -c "$check" >/dev/null 2>&1 || echo "$package"
  done < scripts/system-packages.tsv
}

mapfile -t need_apt < <(missing_packages)
if [ "${1:-}" = "--check" ]; then
  if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: missing system packages: ${need_apt[*]}" >&2
    exit 3
  fi
  echo "setup: every system package in scripts/system-packages.tsv is present"
  exit 0
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need_apt[*]}" >&2
    echo "setup: install them with:  sudo apt-get install -y ${need_apt[*]}" >&2
    exit 3
  fi
  mapfile -t still_missing < <(missing_packages)
  if [ ${#still_missing[@]} -gt 0 ]; then
    echo "setup: still missing after apt-get: ${still_missing[*]}" >&2
    exit 3
  fi
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))'; then
  echo "setup: edge-lstm needs Python 3.10 to 3.12; set PYTHON=/path/to/python3.x" >&2
  exit 3
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.edge-lstm-installed"
want="$(cat pyproject.toml scripts/system-packages.tsv | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (TensorFlow is large: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/edge-lstm --version))"
