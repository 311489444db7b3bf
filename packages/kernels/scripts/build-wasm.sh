#!/bin/sh
# Rebuilds the kernels in wasm/ from csrc/*.c (kernels.c, loss.c; needs clang and lld >= 14:
# apt-get install clang lld). Output is deterministic for a given compiler version.
#   contrastive-kernels.wasm         runs inside the tfjs wasm backend's memory (imported)
#   contrastive-kernels-shared.wasm  the same kernels on a shared memory, for the helper thread
# Usage: scripts/build-wasm.sh [outdir]   (default: wasm/)
set -eu
cd "$(dirname "$0")/.."
CLANG="${CLANG:-clang}"
OUTDIR="${1:-wasm}"
mkdir -p "$OUTDIR"
# One module: every source links into the same binary (its exports are the union).
SOURCES="csrc/kernels.c csrc/loss.c"
# Batch norm (bn): its own file.
SOURCES="$SOURCES csrc/batch-norm.c"
FLAGS="--target=wasm32 -msimd128 -mmutable-globals -mbulk-memory -O3 -fno-math-errno -nostdlib
  -Wall -Wextra -Werror -Wno-unused-parameter -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all"
# shellcheck disable=SC2086
"$CLANG" $FLAGS -Wl,--export=__stack_pointer -o "$OUTDIR/contrastive-kernels.wasm" $SOURCES
# shellcheck disable=SC2086
"$CLANG" $FLAGS -matomics -Wl,--shared-memory -Wl,--max-memory=2147483648 \
  -o "$OUTDIR/contrastive-kernels-shared.wasm" $SOURCES
# The compiler that made the committed binaries: the rebuild test compares bytes only with the same one.
if [ "$OUTDIR" = "wasm" ]; then
  "$CLANG" --version | head -n 1 > wasm/contrastive-kernels.compiler.txt
fi
# The page and Node load the kernels from base64 embedded in src/wasm-binary.ts.
if [ "$OUTDIR" = "wasm" ]; then
  node scripts/embed-wasm.mjs
fi
