#!/usr/bin/env bash
# Rebuild the digits bundles from MNIST and verify each file on the 10,000 test images
# (numbers land in each model.json).
#
# Without options: the MNIST-only model (--model digits-mnist, the default until --camera's
# model replaced it): the modern LeNet at width 16 (about a quarter of the
# width-32 model's multiply-adds): 20 epochs with augmentation, then 4 epochs without
# it at a low learning rate (which brings MNIST test from 99.4% to 99.6%), converted to
# full-integer int8 (the fastest of its files on the 2-core x86-64 VM: edge-bench latency
# says which) and float32. --large rebuilds the earlier width-32 model instead
# (--model digits-large; runs/digits-lenet, the base of the retraining walkthrough).
# --student builds the faster candidate instead: the "strided" LeNet at width 16 (a
# stride-2 first convolution instead of the 28x28 stage: 3.2 M multiply-adds, about half
# the int8 time of a 5-digit call) with the same two stages at dropout 0.1 (at 0.3 it
# underfits: MNIST test 99.4%); runs/digits-strided16-{int8,float32}, not the default.
# --camera builds the camera model (--model digits-cam, the default from when it replaced the
# MNIST-only model until --negatives' model replaced it): the
# same width-16 network trained on MNIST plus 24,000 MNIST *training* digits drawn by the
# camera-like benchmark's renderer and read back by the device's crop preprocessing
# (python -m train.camera_digits, rendered to runs/camera-mnist-24k.npz; about 8 CPU-minutes,
# 4-5 minutes with 2 workers). The file is reused when it holds a set of the same format, n
# and seed (--reuse), else rendered again. Then the default's two stages (20 epochs with
# augmentation, 4 without); runs/digits-lenet16cam-{int8,float32} (models/digits-lenet16cam-*,
# --model digits-cam). The shipped ones were trained on a set rendered with the crop step of
# commit d692947, before the loose-crop repairs (edge/preprocess/loose_ink.py, MIN_DIGIT_SHARE
# in edge/preprocess/locate.py): a rebuild from today's code renders slightly different inputs.
# --student --camera together: the student's network (strided, width 16, dropout 0.1) trained
# like --camera (the same camera set and two stages); runs/digits-strided16cam-{int8,float32}.
# --wide (implies --student): the student's network is the "wide-strided" LeNet instead (a 5x5
# stride-2 first convolution of 32 filters: 4.2 M multiply-adds, still under half the
# default's int8 time per call here), the same dropout and stages; runs/digits-widestrided16-*
# (runs/digits-widestrided16cam-* with --camera). --width N (with --student or --wide): the
# student at width N instead of 16 (named ...N, e.g. --student --camera --width 24:
# runs/digits-strided24cam-*: 7.2 M multiply-adds, yet about the int8 time of width 16 on an
# x86-64 CPU with VNNI/AMX int8; float32 is slower than the default's).
# --negatives NPZ (with --camera; repeatable): Outlier Exposure (Hendrycks, Mazeika & Dietterich,
# ICLR 2019): the same network, camera set and two stages, with the non-digit model inputs of NPZ
# (python -m train.digit_negatives: what the device's segmenter and preprocessing make of clutter
# in camera-like frames and of digit-free photos) trained towards the uniform distribution over
# the ten classes at weight 0.5 (edge-train lenet --negatives); runs/digits-lenet16camoe-{int8,float32}
# (models/digits-lenet16camoe-*, the default bundles: --model digits). The negatives files are
# derived from third-party data: never commit them.
#
#   models/rebuild-digits.sh [--large|--student|--camera|--student --camera] [MNIST_DIR]   # in runs/
#   models/rebuild-digits.sh --camera --negatives NPZ [--negatives NPZ2] [MNIST_DIR]   # Outlier Exposure
#   models/rebuild-digits.sh [--student|--wide] [--camera] [--width N] [MNIST_DIR]  # a student
#   models/rebuild-digits.sh --ship [same options] [MNIST_DIR]             # write them to models/
#
# MNIST_DIR: default $EDGE_DATA_DIR or the Keras cache. The Keras models stay in
# runs/digits-lenet16 (and runs/digits-lenet with --large: the base for edge-train lenet
# --init-from). Without --ship the bundles are runs/digits-lenet16-int8 and
# runs/digits-lenet16-float32: compare them with the shipped MNIST-only model:
# edge-eval --model digits-mnist --model runs/digits-lenet16-int8 --dataset mnist.
# About 30-40 minutes on a 2-core x86-64 laptop CPU (--large: 15-25, --student: 15-25,
# --camera: 40-55, or 35-50 when the camera set is reused; --student --camera: about 30 with the
# set reused; --negatives adds a few minutes per 10,000 negatives).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=runs
large=0
student=0
wide=0
width=
camera=0
negs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ship) dest=models; shift ;;
        --large) large=1; shift ;;
        --student) student=1; shift ;;
        --wide) student=1; wide=1; shift ;;
        --width) width=$2; shift 2 ;;
        --camera) camera=1; shift ;;
        --negatives) negs+=(--negatives "$2"); shift 2 ;;
        *) break ;;
    esac
done
if [ $((large + student)) -gt 1 ] || [ $((large + camera)) -gt 1 ]; then
    echo "error: --large builds a different model: pass it without --student or --camera" >&2
    exit 2
fi
if [ -n "$width" ] && [ "$student" = 0 ]; then
    echo "error: --width sets the student's width: pass it with --student or --wide" >&2
    exit 2
fi
if [ ${#negs[@]} -gt 0 ] && { [ "$camera" = 0 ] || [ "$student" = 1 ]; }; then
    echo "error: --negatives trains the default's network: pass it with --camera (without --student)" >&2
    exit 2
fi
width=${width:-16}
data=()
dir="${1:-${EDGE_DATA_DIR:-}}"
[ -n "$dir" ] && data=(--data-dir "$dir")

if [ "$camera" = 1 ]; then
    cam=runs/camera-mnist-24k.npz
    # renders the set unless $cam already holds one of this format, n and seed
    "${PYTHON:-python}" -m train.camera_digits --out "$cam" --n 24000 --seed 0 --workers 2 --reuse \
        "${data[@]}"
    mix=(--dataset mnist+camera --camera-data "$cam")
fi
if [ "$student" = 1 ]; then
    variant=strided
    [ "$wide" = 1 ] && variant=wide-strided
    name=digits-${variant//-/}$width
    [ "$camera" = 1 ] && name=${name}cam
    run=runs/$name
    mixed=()
    [ "$camera" = 1 ] && mixed=("${mix[@]}")
    edge-train lenet --variant "$variant" --width "$width" --dropout 0.1 --validation-split 0 --epochs 20 \
        --seed 0 "${mixed[@]}" --out "$run-aug" "${data[@]}"
    edge-train lenet --init-from "$run-aug" --width "$width" --learning-rate 3e-4 --epochs 4 \
        --no-augment --validation-split 0 --seed 2 "${mixed[@]}" --out "$run" "${data[@]}"
elif [ "$camera" = 1 ]; then
    name=digits-lenet16cam
    [ ${#negs[@]} -gt 0 ] && name=digits-lenet16camoe
    run=runs/$name
    mix+=("${negs[@]}")
    edge-train lenet --variant modern --width 16 --validation-split 0 --epochs 20 --seed 0 \
        "${mix[@]}" --out "$run-aug" "${data[@]}"
    edge-train lenet --init-from "$run-aug" --width 16 --learning-rate 3e-4 --epochs 4 \
        --no-augment --validation-split 0 --seed 2 "${mix[@]}" --out "$run" "${data[@]}"
elif [ "$large" = 0 ]; then
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
if [ "$camera" = 1 ] && [ "$student" = 0 ]; then  # against the MNIST-only model it replaces
    edge-bench latency --model digits-mnist --model "$dest/$name-int8" --model "$dest/$name-float32" \
        --batch 1 5 "${data[@]}"
elif [ "$student" = 1 ]; then
    edge-bench latency --model digits --model "$dest/$name-int8" --model "$dest/$name-float32" \
        --batch 1 5 "${data[@]}"
elif [ "$large" = 0 ]; then
    edge-bench latency --model "$dest/$name-int8" --model "$dest/$name-float32" "${data[@]}"
fi
echo "bundles written to $dest/$name-int8 and $dest/$name-float32"
