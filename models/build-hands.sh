#!/usr/bin/env bash
# Build the hands bundles from folders of gesture photos (rock/ paper/ scissors/ none/):
#
#   models/build-hands.sh lenet [DATA_DIR]    # the shipped default: models/hands-lenet-int8
#   models/build-hands.sh vgg16 [DATA_DIR] [WEIGHTS] [SIZE]
#                                             # out/hands-vgg16-<SIZE>-int8 (not committed)
#
# DATA_DIR: a folder of sources (each a folder of class folders) or one source;
# default $EDGE_DATA_DIR/rps, else ../shared/data/rps. WEIGHTS for VGG16: imagenet (the
# normal Keras download, default), a local notop .h5 file, or none (random: timing only).
# SIZE: VGG16 input side, 64..224 (default 96).
#
# Training splits by person (split.json, counts.txt in the run folder); edge-convert
# calibrates int8 on augmented training samples and verifies the file on the
# held-out people (numbers land in model.json). LeNet: about 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${1:-lenet}"
data=()
dir="${2:-}"
[ -n "$dir" ] && data=(--data "$dir")

case "$arch" in
lenet)
    run=runs/hands-lenet
    edge-train hands --arch lenet --epochs 50 --patience 12 --seed 0 --out "$run" "${data[@]}"
    edge-convert "$run/model.keras" --task hands --quant int8 \
        --rep-data "$run/calibration.npy" --verify-data "$run/val.npz" \
        --name hands-lenet-int8 --out models/hands-lenet-int8 --min-agreement 0.97
    cp "$run/curves.png" "$run/confusion.png" "$run/counts.txt" models/hands-lenet-int8/
    # Calibrate min_score on the held-out people as camera frames (the ordinary-room
    # sources; all sources when those are not in the data).
    rm -rf "$run/val-photos"
    python -m train.hand_data export "$run/split.json" --split val --out "$run/val-photos" \
        --source github-webcam-rps --source subhih-handsdataset \
        || python -m train.hand_data export "$run/split.json" --split val --out "$run/val-photos"
    edge-eval --model models/hands-lenet-int8 --images "$run/val-photos" --frame --calibrate-min-score 0.02
    ;;
vgg16)
    weights="${3:-imagenet}"
    size="${4:-96}"
    run="runs/hands-vgg16-$size"
    edge-train hands --arch vgg16 --weights "$weights" --input-size "$size" --seed 0 \
        --out "$run" "${data[@]}"
    edge-convert "$run/model.keras" --task hands --quant int8 \
        --rep-data "$run/calibration.npy" --verify-data "$run/val.npz" \
        --name "hands-vgg16-$size-int8" --out "out/hands-vgg16-$size-int8"
    ;;
*)
    echo "usage: models/build-hands.sh lenet|vgg16 [DATA_DIR] [WEIGHTS] [SIZE]" >&2
    exit 2
    ;;
esac
