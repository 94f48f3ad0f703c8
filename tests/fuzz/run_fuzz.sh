#!/bin/sh
# Build the frame-parser and chunk-message fuzz target with libFuzzer + ASan + UBSan and run it.
#   tests/fuzz/run_fuzz.sh [RUNS] [extra libFuzzer flags...]   (default 1000000 runs)
# Needs clang with its runtime (Debian: apt-get install clang, which brings libclang-rt-dev).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-1000000}
[ $# -gt 0 ] && shift
out=${FUZZ_OUT:-$(mktemp -d)}
python=${PYTHON:-python3}
"$python" -m edge_lstm.harness.cgen -o "$out/gen" >/dev/null
clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$out/gen" -I"$repo/firmware_gen/runtime/app" \
    "$here/fuzz_frame.c" "$repo/firmware_gen/runtime/app/el_frame.c" \
    "$repo/firmware_gen/runtime/app/el_chunk.c" -o "$out/fuzz_frame"
mkdir -p "$out/corpus"
exec "$out/fuzz_frame" -runs="$runs" -max_len=4096 "$@" "$out/corpus" "$here/corpus"
