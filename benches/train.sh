#!/usr/bin/env bash
# Training-speed benchmark of `smoothscore train` on one core (not a timed test): the default
# 2-D network (width 128, depth 3, K = 8, 20 000 steps of batch 256; silu and relu) on the
# built-in set, and a d = 50 network (width 256, depth 3) on 2000 Gaussian points. Prints each
# run's report (its time included). One core: RAYON_NUM_THREADS=1, --threads 1 and, where
# taskset exists, pinned to CPU 0. Uses the test-profile binary (opt-level 2, the build the
# tests and scripts share, so candle is not compiled a second time).
#
#   benches/train.sh            # all three runs
#   STEPS=2000 benches/train.sh # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-20000}
cargo build -q --profile test -p smoothscore --bin smoothscore
bin=$PWD/target/debug/smoothscore
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
run() {
  RAYON_NUM_THREADS=1 "${pin[@]}" "$bin" -q train --threads 1 --steps "$steps" --batch 256 "$@"
}
echo "== d = 2, width 128, depth 3, silu"
run --width 128 --depth 3 --activation silu --out "$work/silu.safetensors"
echo "== d = 2, width 128, depth 3, relu"
run --width 128 --depth 3 --activation relu --out "$work/relu.safetensors"
echo "== d = 50, width 256, depth 3, silu (2000 Gaussian points)"
"$bin" -q data generate gaussian --n 2000 --dim 50 --seed 1 --out "$work/d50.npy" >/dev/null
run --data "$work/d50.npy" --width 256 --depth 3 --activation silu --out "$work/d50.safetensors"
