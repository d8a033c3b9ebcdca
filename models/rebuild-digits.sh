#!/usr/bin/env bash
# Rebuild the shipped digits bundles from MNIST: train the modern LeNet on all 60,000
# training images, convert it to full-integer int8 (the edge-run default) and float32,
# and verify each file on the 10,000 test images (numbers land in each model.json).
#
#   models/rebuild-digits.sh [MNIST_DIR]        # default: $EDGE_DATA_DIR or the Keras cache
#
# About 15-25 minutes on a 2-core x86-64 laptop CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
data=()
dir="${1:-${EDGE_DATA_DIR:-}}"
[ -n "$dir" ] && data=(--data-dir "$dir")
run=runs/digits-lenet

edge-train lenet --variant modern --validation-split 0 --epochs 20 --seed 0 --out "$run" "${data[@]}"
edge-convert "$run/model.keras" --quant int8 --dataset mnist "${data[@]}" \
    --name digits-lenet-int8 --out models/digits-lenet-int8 --min-agreement 0.998
edge-convert "$run/model.keras" --quant float32 --dataset mnist "${data[@]}" \
    --name digits-lenet-float32 --out models/digits-lenet-float32
cp "$run/curves.png" "$run/confusion.png" models/digits-lenet-int8/ 2>/dev/null || true
edge-eval --model digits --dataset mnist "${data[@]}"
