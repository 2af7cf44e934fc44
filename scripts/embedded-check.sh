#!/usr/bin/env bash
# Builds the Cortex-M4F firmware (embedded/), checks at link time that no panic is reachable,
# runs it in QEMU (mps2-an386), runs the same run on the host (embedded/twin, and the exact
# configuration through the smoothscore CLI; the learned score of the firmware's trained network
# too, from embedded/network.safetensors),
# compares the f32 bits, and prints the verdict as
# its last line: `bit-identical: N/N samples`. Exit status non-zero on any difference.
#
#   scripts/embedded-check.sh            # the check, plus sizes and stack
#   SMOOTHSCORE_FLIP_BIT=1 scripts/...   # self-test: flips one bit of the host's output first,
#                                        # so the check must fail
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
embedded_target=${SMOOTHSCORE_EMBEDDED_TARGET_DIR:-$root/target/embedded}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rustup target add thumbv7em-none-eabihf >/dev/null 2>&1 || true
need_apt=()
command -v qemu-system-arm >/dev/null 2>&1 || need_apt+=(qemu-system-arm)
command -v llvm-nm >/dev/null 2>&1 || need_apt+=(llvm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]}"
  apt-get update >/dev/null && apt-get install -y "${need_apt[@]}" >/dev/null
fi

echo "== firmware (release: the panic handler references an undefined symbol)"
(cd embedded && CARGO_TARGET_DIR="$embedded_target" cargo build --release)
firmware=$embedded_target/thumbv7em-none-eabihf/release/smoothscore-firmware
echo "no-panic link check: passed (no panic path is reachable)"
if (cd embedded && CARGO_TARGET_DIR="$embedded_target" cargo build --release --features panic-probe >"$work/probe.log" 2>&1); then
  echo "error: the link check did not catch the planted panic (--features panic-probe)"
  exit 1
fi
grep -q smoothscore_firmware_has_a_reachable_panic "$work/probe.log"
echo "no-panic link check catches a planted out-of-bounds index: yes"

echo "== sizes (llvm-size / llvm-nm on $firmware)"
llvm-size -A "$firmware" | awk '$1 ~ /^\.(text|rodata|data|bss)$/ {printf "firmware %-8s %7d bytes\n", $1, $2}'
llvm-nm -C -S "$firmware" | python3 -c '
import sys, collections
sizes = collections.Counter()
for line in sys.stdin:
    parts = line.split(None, 3)
    if len(parts) < 4:
        continue
    section = {"t": ".text", "r": ".rodata", "b": ".bss", "d": ".data"}.get(parts[2].lower())
    if section is None:
        continue
    name = parts[3]
    owner = ("core" if "smoothscore_core" in name else "libm" if "libm::" in name
             else "compiler_builtins" if "compiler_builtins" in name
             else "firmware" if "smoothscore_firmware" in name else "cortex-m-rt, other")
    sizes[(owner, section)] += int(parts[1], 16)
for (owner, section), size in sorted(sizes.items()):
    print(f"symbols of {owner:<18} {section:<8} {size:7d} bytes")
'

echo "== QEMU (Cortex-M4F, mps2-an386)"
timeout 600 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -semihosting-config enable=on,target=native -kernel "$firmware" >"$work/firmware.txt"
grep -q '^done$' "$work/firmware.txt" || { echo "error: the firmware did not finish"; tail -3 "$work/firmware.txt"; exit 1; }
grep '^stack ' "$work/firmware.txt" | awk '{print "stack high-water mark of the sampling call: " $2 " bytes"}'

echo "== fused multiply-add on the Cortex-M4F (VFMA.F32) against libm's software fmaf (--features fma-sweep)"
(cd embedded && CARGO_TARGET_DIR="$embedded_target/fma-sweep" cargo build -q --release --features fma-sweep)
timeout 600 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
  -semihosting-config enable=on,target=native \
  -kernel "$embedded_target/fma-sweep/thumbv7em-none-eabihf/release/smoothscore-firmware" >"$work/fma.txt"
grep -q '^done$' "$work/fma.txt" || { echo "error: the fma sweep did not finish"; tail -3 "$work/fma.txt"; exit 1; }
awk '$1 ~ /^fma/ {print $1 " equal to libm::fmaf: " $2 "/" $3; if ($2 != $3 || $3 == 0) bad = 1} END {exit bad}' "$work/fma.txt" \
  || { echo "error: the firmware's fused multiply-add differs from libm::fmaf"; exit 1; }

echo "== host twin (same core, same run.rs, x86_64)"
CARGO_TARGET_DIR="$embedded_target" cargo run -q --release --manifest-path embedded/twin/Cargo.toml >"$work/twin.txt"
if [ "${SMOOTHSCORE_FLIP_BIT:-0}" = 1 ]; then
  python3 - "$work/twin.txt" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().split("\n")
fields = lines[0].split()
fields[2] = "%08x" % (int(fields[2], 16) ^ 1)
lines[0] = " ".join(fields)
open(path, "w").write("\n".join(lines))
PY
  echo "(self-test: one bit of the host output flipped)"
fi

# The CLI: $SMOOTHSCORE_CLI when set (CI passes the binary `cargo test` built), else built here.
smoothscore() {
  if [ -n "${SMOOTHSCORE_CLI:-}" ]; then
    "$SMOOTHSCORE_CLI" "$@"
  else
    cargo run -q --profile test -p smoothscore --bin smoothscore -- "$@"
  fi
}
echo "== smoothscore CLI, exact configuration (sample --steps 100 --n-samples 64 --seed 2026), and ddim (--sampler ddim --grid geometric --n-samples 16)"
smoothscore sample --steps 100 --n-samples 64 \
  --seed 2026 --out "$work/cli.npy" >/dev/null
smoothscore sample --sampler ddim --grid geometric \
  --steps 100 --n-samples 16 --seed 2026 --out "$work/cli-ddim.npy" >/dev/null
echo "== smoothscore CLI, network configuration (sample --score net --net embedded/network.safetensors)"
smoothscore sample --steps 100 --n-samples 64 \
  --seed 2026 --score net --net embedded/network.safetensors --out "$work/cli-net.npy" >/dev/null
python3 - "$work/cli.npy" "$work/cli-ddim.npy" "$work/cli-net.npy" >"$work/cli.txt" <<'PY'
import struct, sys
for label, path in zip(("exact", "ddim", "network"), sys.argv[1:4]):
    data = open(path, "rb").read()
    header_len = struct.unpack("<H", data[8:10])[0]
    body = data[10 + header_len:]
    values = struct.unpack("<%dI" % (len(body) // 4), body)
    for i in range(len(values) // 2):
        print("%s %d %08x %08x" % (label, i, values[2 * i], values[2 * i + 1]))
PY

python3 - "$work/firmware.txt" "$work/twin.txt" "$work/cli.txt" <<'PY'
import sys
def samples(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) > 2 and f[0] in ("exact", "kernel", "network", "ddim"):
            out[(f[0], int(f[1]))] = f[2:]
    return out
firmware, twin, cli = (samples(p) for p in sys.argv[1:4])
twin_same = sum(1 for k, v in firmware.items() if twin.get(k) == v)
cli_keys = [k for k in firmware if k[0] in ("exact", "ddim")]
cli_same = sum(1 for k in cli_keys if cli.get(k) == firmware[k])
print(f"firmware vs smoothscore CLI (exact, ddim): {cli_same}/{len(cli_keys)} samples bit-identical")
ddim_keys = [k for k in firmware if k[0] == "ddim"]
ddim_same = sum(1 for k in ddim_keys if twin.get(k) == firmware[k] and cli.get(k) == firmware[k])
print(f"ddim samples: {ddim_same}/{len(ddim_keys)} bit-identical (firmware vs host twin and CLI)")
network_keys = [k for k in firmware if k[0] == "network"]
network_same = sum(1 for k in network_keys if twin.get(k) == firmware[k])
print(f"network score: {network_same}/{len(network_keys)} samples bit-identical (firmware vs host twin)")
network_cli = sum(1 for k in network_keys if cli.get(k) == firmware[k])
print(f"network score: {network_cli}/{len(network_keys)} samples bit-identical (firmware vs smoothscore CLI --score net)")
total = len(firmware)
ok = total > 0 and len(network_keys) > 0 and len(ddim_keys) > 0 and ddim_same == len(ddim_keys) and twin_same == total and cli_same == len(cli_keys) and network_cli == len(network_keys) and len(twin) == total
print(f"bit-identical: {twin_same}/{total} samples")
sys.exit(0 if ok else 1)
PY
