#!/usr/bin/env bash
# Builds the same sampling run (embedded/twin: 64 exact + 64 kernel-smoothed samples of the
# default set through the core) twice — for this machine's CPU (-C target-cpu=native: AVX2/AVX-512,
# FMA available to LLVM) and for the baseline x86-64 — and compares the printed f32 bits. The last
# line is the verdict; exit status non-zero on any difference.
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
[ "$same" -eq "$total" ] && [ "$total" -gt 0 ]
