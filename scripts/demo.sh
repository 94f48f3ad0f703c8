#!/usr/bin/env bash
# Set everything up, then run the end-to-end demo on the emulated Cortex-M4 board.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/edge-lstm demo "$@"
