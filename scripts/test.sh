#!/usr/bin/env bash
# Set everything up, then run the whole test suite (extra arguments go to pytest).
# The tests run in parallel, one worker per core (EDGE_LSTM_TEST_WORKERS overrides it; 0 runs
# them in this process); each test file stays on one worker.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest -n "${EDGE_LSTM_TEST_WORKERS:-auto}" --dist loadfile "$@"
