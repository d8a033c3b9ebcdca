#!/usr/bin/env bash
# Rebuild the digits bundles from MNIST and verify each file on the 10,000 test images
# (numbers land in each model.json).
#
# The default (--model digits): the modern LeNet at width 16 (about a quarter of the
# width-32 model's multiply-adds): 20 epochs with augmentation, then 4 epochs without
# it at a low learning rate (which brings MNIST test from 99.4% to 99.6%), converted to
# full-integer int8 (the fastest of its files on the 2-core x86-64 VM: edge-bench latency
# says which) and float32. --large rebuilds the earlier width-32 model instead
# (--model digits-large; runs/digits-lenet, the base of the retraining walkthrough).
#
#   models/rebuild-digits.sh [--large] [MNIST_DIR]          # bundles in runs/, the shipped ones untouched
#   models/rebuild-digits.sh --ship [--large] [MNIST_DIR]   # overwrite models/digits-lenet16-{int8,float32}
#
# MNIST_DIR: default $EDGE_DATA_DIR or the Keras cache. The Keras models stay in
# runs/digits-lenet16 (and runs/digits-lenet with --large: the base for edge-train lenet
# --init-from). Without --ship the bundles are runs/digits-lenet16-int8 and
# runs/digits-lenet16-float32: compare them with
# edge-eval --model digits --model runs/digits-lenet16-int8 --dataset mnist.
# About 30-40 minutes on a 2-core x86-64 laptop CPU (--large: 15-25).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=runs
large=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ship) dest=models; shift ;;
        --large) large=1; shift ;;
        *) break ;;
    esac
done
data=()
dir="${1:-${EDGE_DATA_DIR:-}}"
[ -n "$dir" ] && data=(--data-dir "$dir")

if [ "$large" = 0 ]; then
    name=digits-lenet16
    run=runs/digits-lenet16
    edge-train lenet --variant modern --width 16 --validation-split 0 --epochs 20 --seed 0 \
        --out runs/digits-lenet16-aug "${data[@]}"
    edge-train lenet --init-from runs/digits-lenet16-aug --width 16 --learning-rate 3e-4 --epochs 4 \
        --no-augment --validation-split 0 --seed 2 --out "$run" "${data[@]}"
else
    name=digits-lenet
    run=runs/digits-lenet
    edge-train lenet --variant modern --validation-split 0 --epochs 20 --seed 0 --out "$run" "${data[@]}"
fi
edge-convert "$run/model.keras" --quant int8 --dataset mnist "${data[@]}" \
    --name "$name-int8" --out "$dest/$name-int8" --min-agreement 0.998
edge-convert "$run/model.keras" --quant float32 --dataset mnist "${data[@]}" \
    --name "$name-float32" --out "$dest/$name-float32"
cp "$run/curves.png" "$run/confusion.png" "$dest/$name-int8/" 2>/dev/null || true
edge-eval --model "$dest/$name-int8" --dataset mnist "${data[@]}"
if [ "$large" = 0 ]; then
    edge-bench latency --model "$dest/$name-int8" --model "$dest/$name-float32" "${data[@]}"
fi
echo "bundles written to $dest/$name-int8 and $dest/$name-float32"
