#!/bin/sh
# Rebuilds wasm/contrastive-kernels.wasm from csrc/kernels.c (needs clang and lld >= 14:
# apt-get install clang lld). The output is deterministic for a given compiler version.
set -eu
cd "$(dirname "$0")/.."
CLANG="${CLANG:-clang}"
OUT="${1:-wasm/contrastive-kernels.wasm}"
mkdir -p "$(dirname "$OUT")"
"$CLANG" --target=wasm32 -msimd128 -mmutable-globals -O3 -mbulk-memory -fno-math-errno -nostdlib \
  -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wl,--no-entry -Wl,--import-memory -Wl,--export=__stack_pointer -Wl,--strip-all \
  -o "$OUT" csrc/kernels.c
# The compiler that made the committed binary: the rebuild test compares bytes only with the same one.
if [ "$OUT" = "wasm/contrastive-kernels.wasm" ]; then
  "$CLANG" --version | head -n 1 > wasm/contrastive-kernels.compiler.txt
fi
