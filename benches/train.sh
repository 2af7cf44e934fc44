#!/usr/bin/env bash
# Training-speed benchmark of `smoothscore train` on one core (a benchmark, not a timed test):
# the default 2-D network (width 128, depth 3, silu, K = 8, 20 000 steps of batch 256) on the
# built-in set, and a d = 50 network (width 256, depth 3) on 2000 Gaussian points. Prints, per
# run, the wall and CPU (user + system) seconds: CPU time is the better measure on a shared
# machine, where the wall time also counts other processes' turns.
#
# One core: RAYON_NUM_THREADS=1 (candle's matrix products read it), --threads 1 and, where
# taskset exists, pinned to CPU 0. Uses the release binary (what `cargo install` gives users;
# the Python package's build shares it); PROFILE=test times the test-profile build (opt-level
# 2) that the tests share.
#
#   benches/train.sh                            # both networks
#   STEPS=2000 benches/train.sh                 # shorter
#   PROFILE=test benches/train.sh               # the test-profile build
#   ONLY=2d benches/train.sh                    # one network (2d or d50)
#   BASELINE=/path/to/old/smoothscore ROUNDS=3 benches/train.sh
#                                               # A/B: baseline and this build alternated
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-20000}
rounds=${ROUNDS:-1}
only=${ONLY:-all}
profile=${PROFILE:-release}
cargo build -q --profile "$profile" -p smoothscore --bin smoothscore
case $profile in
  test | dev) current=$PWD/target/debug/smoothscore ;;
  *) current=$PWD/target/$profile/smoothscore ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
"$current" -q data generate gaussian --n 2000 --dim 50 --seed 1 --out "$work/d50.npy" >/dev/null

# time_run LABEL BINARY ARGS…: one training run; prints "LABEL: wall W s, cpu C s".
time_run() {
  local label=$1 bin=$2
  shift 2
  local start end usage
  start=$(date +%s.%N)
  usage=$( { RAYON_NUM_THREADS=1 "${pin[@]}" /usr/bin/env time -f '%U %S' "$bin" -q train --threads 1 \
    --steps "$steps" --batch 256 "$@" >/dev/null; } 2>&1 | tail -n 1)
  end=$(date +%s.%N)
  awk -v l="$label" -v s="$start" -v e="$end" -v u="$usage" \
    'BEGIN { split(u, p, " "); printf "%s: wall %.1f s, cpu %.1f s\n", l, e - s, p[1] + p[2] }'
}

networks() {
  local name=$1 bin=$2
  if [ "$only" = all ] || [ "$only" = 2d ]; then
    time_run "$name d = 2, width 128, depth 3, silu, $steps steps" "$bin" \
      --width 128 --depth 3 --activation silu --out "$work/2d.safetensors"
  fi
  if [ "$only" = all ] || [ "$only" = d50 ]; then
    time_run "$name d = 50, width 256, depth 3, silu, $steps steps" "$bin" \
      --data "$work/d50.npy" --width 256 --depth 3 --activation silu --out "$work/d50.safetensors"
  fi
}

for round in $(seq "$rounds"); do
  echo "== round $round"
  if [ -n "${BASELINE:-}" ]; then
    networks baseline "$BASELINE"
  fi
  networks current "$current"
done
