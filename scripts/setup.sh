#!/usr/bin/env bash
# Set up everything edge-lstm needs on a fresh Linux machine; safe to run again.
#   - the Arm toolchain, newlib, QEMU and clang (fuzzing) from the distribution, when missing
#   - a Python venv in .venv with edge-lstm installed editable, with its dev extras
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm clang make"
need_apt=()
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi)
[ -e /usr/lib/arm-none-eabi/newlib ] || [ -e /usr/lib/arm-none-eabi/lib ] || need_apt+=(libnewlib-arm-none-eabi)
command -v arm-none-eabi-g++ >/dev/null || need_apt+=(libstdc++-arm-none-eabi-newlib)
command -v qemu-system-arm >/dev/null || need_apt+=(qemu-system-arm)
command -v clang >/dev/null || need_apt+=(clang)
command -v make >/dev/null || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need_apt[*]}" >&2
    echo "setup: install them with:  sudo apt-get install -y $APT_PACKAGES" >&2
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
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (TensorFlow is large: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
echo "setup: ready ($(.venv/bin/edge-lstm --version))"
