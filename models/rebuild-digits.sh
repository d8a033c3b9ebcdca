#!/usr/bin/env bash
# Rebuild the digits bundles from MNIST: train the modern LeNet on all 60,000 training
# images, convert it to full-integer int8 (the edge-run default) and float32, and verify
# each file on the 10,000 test images (numbers land in each model.json).
#
#   models/rebuild-digits.sh [MNIST_DIR]          # bundles in runs/, the shipped ones untouched
#   models/rebuild-digits.sh --ship [MNIST_DIR]   # overwrite models/digits-lenet-{int8,float32}
#
# MNIST_DIR: default $EDGE_DATA_DIR or the Keras cache. The Keras model stays in
# runs/digits-lenet (the base for edge-train lenet --init-from). Without --ship the
# bundles are runs/digits-lenet-int8 and runs/digits-lenet-float32: compare them with
# edge-eval --model digits --model runs/digits-lenet-int8 --dataset mnist.
# About 15-25 minutes on a 2-core x86-64 laptop CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=runs
if [ "${1:-}" = "--ship" ]; then
    dest=models
    shift
fi
data=()
dir="${1:-${EDGE_DATA_DIR:-}}"
[ -n "$dir" ] && data=(--data-dir "$dir")
run=runs/digits-lenet

edge-train lenet --variant modern --validation-split 0 --epochs 20 --seed 0 --out "$run" "${data[@]}"
edge-convert "$run/model.keras" --quant int8 --dataset mnist "${data[@]}" \
    --name digits-lenet-int8 --out "$dest/digits-lenet-int8" --min-agreement 0.998
edge-convert "$run/model.keras" --quant float32 --dataset mnist "${data[@]}" \
    --name digits-lenet-float32 --out "$dest/digits-lenet-float32"
cp "$run/curves.png" "$run/confusion.png" "$dest/digits-lenet-int8/" 2>/dev/null || true
edge-eval --model "$dest/digits-lenet-int8" --dataset mnist "${data[@]}"
echo "bundles written to $dest/digits-lenet-int8 and $dest/digits-lenet-float32"
