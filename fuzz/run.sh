#!/usr/bin/env bash
# Usage: fuzz/run.sh [SECONDS] [--dev]
# Runs every fuzz target for SECONDS (default 30) each, seeded from fixtures/fuzz-corpus/<target>,
# and prints one summary line per target plus a total: executions and crashes. Fails on a crash
# and on a target that executed nothing (a build or start-up failure is not a pass).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). `--dev` builds the
# targets without optimizations (with ASAN, as always): 144 s instead of 405 s from scratch on
# a 2-core machine, fewer executions per second; CI's smoke run uses it.
set -uo pipefail
seconds="${1:-30}"
profile=()
case "${2:-}" in
  "") ;;
  --dev) profile=(--dev) ;;
  *) echo "error: fuzz/run.sh [SECONDS] [--dev]: unknown option '$2'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
root="$(pwd)"
targets=(csv npy idx gz core_score core_step manifest config)
total_execs=0
total_crashes=0
not_run=0
for target in "${targets[@]}"; do
  corpus="$(mktemp -d)"
  cp -r "$root/fixtures/fuzz-corpus/$target/." "$corpus/" 2>/dev/null || true
  log="$(mktemp)"
  (cd fuzz && cargo +nightly fuzz run "${profile[@]}" "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 >"$log" 2>&1)
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$execs" ] || execs=$(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#')
  [ -n "$execs" ] || execs=0
  crashes=$(ls fuzz/artifacts/"$target"/crash-* 2>/dev/null | wc -l)
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; tail -20 "$log"; fi
  if [ "$execs" -eq 0 ]; then
    echo "fuzz $target: did not execute (no executions counted); the log ends:"
    tail -20 "$log"
    not_run=$((not_run + 1))
  fi
  echo "fuzz $target: ${seconds}s, $execs executions, $crashes crashes"
  total_execs=$((total_execs + execs))
  total_crashes=$((total_crashes + crashes))
  rm -rf "$corpus" "$log"
done
echo "fuzz total: $total_execs executions, $total_crashes crashes, $not_run targets that did not run"
[ "$total_crashes" -eq 0 ] && [ "$not_run" -eq 0 ]
