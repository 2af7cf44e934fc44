#!/usr/bin/env bash
# Builds the same sampling run (embedded/twin: 64 exact + 64 kernel-smoothed samples of the
# default set through the core) twice — for this machine's CPU (-C target-cpu=native: AVX2/AVX-512,
# FMA available to LLVM) and for the baseline x86-64 — and compares the printed f32 bits. The last
# line is the verdict; exit status non-zero on any difference. Then the host's run-time SIMD
# dispatch: `smoothscore score` with AVX-512, AVX2 and the baseline kernel, compared byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${SMOOTHSCORE_DETERMINISM_TARGET_DIR:-$PWD/target/determinism}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for flavour in baseline native; do
  flags=""
  [ "$flavour" = native ] && flags="-C target-cpu=native"
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="$base/$flavour" \
    cargo run -q --release --manifest-path embedded/twin/Cargo.toml >"$work/$flavour.txt"
done
features=$(grep -o -w -E 'avx512f|avx2|fma' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ' || true)
echo "native CPU features: ${features:-unknown}"
total=$(grep -c -E '^(exact|kernel) ' "$work/baseline.txt")
same=$(paste -d'|' "$work/baseline.txt" "$work/native.txt" | awk -F'|' '$1 ~ /^(exact|kernel) / && $1 == $2' | wc -l)
echo "target-cpu=native vs baseline: bit-identical: $same/$total samples"
if [ "$same" -ne "$total" ] || [ "$total" -eq 0 ]; then exit 1; fi

# The host's batched score is compiled for AVX-512, AVX2 and the baseline and picked at run time
# (host/src/simd/mod.rs); `smoothscore score` must write the same bytes with each.
# (--no-default-features: this check needs no `train`, and leaving candle out keeps the release
# build — shared with the Python package's, which has no `train` either — small.)
cargo build -q --release -p smoothscore --no-default-features
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/smoothscore
for dim in 2 5 50 784; do
  "$bin" data generate gaussian --n 700 --dim "$dim" --seed 1 --out "$work/data-$dim.npy" >/dev/null
  "$bin" data generate gaussian --n 37 --dim "$dim" --seed 2 --out "$work/queries-$dim.npy" >/dev/null
  for simd in baseline avx2 avx512; do
    SMOOTHSCORE_SIMD=$simd "$bin" -q score --data "$work/data-$dim.npy" --queries "$work/queries-$dim.npy" \
      --t 0.05 --out "$work/score-$dim-$simd.npy" >/dev/null
  done
  cmp "$work/score-$dim-baseline.npy" "$work/score-$dim-avx2.npy"
  cmp "$work/score-$dim-baseline.npy" "$work/score-$dim-avx512.npy"
done
echo "batched score, baseline vs AVX2 vs AVX-512 dispatch (d = 2, 5, 50, 784): identical bytes"
