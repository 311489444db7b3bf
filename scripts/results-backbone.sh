#!/bin/sh
# docs/results/pretrained-backbone.md: a cnn trained on one dataset's classes 0-4 as the
# frozen (or last-layer fine-tuned) backbone of a head on the other dataset, beside the
# same cnn trained from scratch there with the same budget (epochs x pairs per epoch).
# Usage: sh scripts/results-backbone.sh OUT_DIR   (run from the repository root; minutes)
set -eu
OUT=${1:?usage: sh scripts/results-backbone.sh OUT_DIR}
EPOCHS=${EPOCHS:-3}
PAIRS=${PAIRS:-8000}
CLI="node --conditions=contrastive-source --import tsx packages/cli/src/cli/main.ts"
BUDGET="--epochs $EPOCHS --pairs-per-epoch $PAIRS --patience 0 --no-report --seed 7"
mkdir -p "$OUT"
# The backbones: the reference cnn on classes 0-4 only (5-9 held out of training).
$CLI train --dataset fashion-mnist --encoder cnn --holdout-classes 5,6,7,8,9 $BUDGET --out "$OUT/backbone-fashion04" --force --json > "$OUT/backbone-fashion04.jsonl"
$CLI train --dataset mnist --encoder cnn --holdout-classes 5,6,7,8,9 $BUDGET --out "$OUT/backbone-mnist04" --force --json > "$OUT/backbone-mnist04.jsonl"
for pair in "mnist fashion04" "fashion-mnist mnist04"; do
  set -- $pair
  data=$1; bb=$2
  $CLI train --dataset "$data" --encoder cnn $BUDGET --out "$OUT/$data-scratch" --force --json > "$OUT/$data-scratch.jsonl"
  # Frozen: no augmentation (the features are computed once); the scratch run keeps the default 1-pixel shift.
  $CLI train --dataset "$data" --backbone "$OUT/backbone-$bb/model" --backbone-layer flatten_Flatten1 $BUDGET --out "$OUT/$data-frozen-$bb" --force --json > "$OUT/$data-frozen-$bb.jsonl"
  $CLI train --dataset "$data" --backbone "$OUT/backbone-$bb/model" --backbone-layer flatten_Flatten1 --fine-tune 1 $BUDGET --out "$OUT/$data-finetune1-$bb" --force --json > "$OUT/$data-finetune1-$bb.jsonl"
done
