#!/usr/bin/env python3
"""Whole `smoothscore sample` runs of two binaries (e.g. before and after a change), timed end to
end as processes, interleaved and repeated so that both see the same machine state, with their
outputs compared byte for byte (the sampler promises the same bits).

Cases: 64 samples × 100 steps on the first 10 000 MNIST training digits (d = 784) with each
integrator (em, euler, heun; final step denoised), and the CLI defaults (256 samples × 1000
steps, EM) on the built-in 2-D set.

Usage: sample_run.py OLD_BIN NEW_BIN [THREADS] [REPEATS]
  THREADS: comma-separated thread counts (default 1,2); REPEATS: default 3.
The MNIST subset is written with `NEW_BIN data generate mnist` (from ../shared/data/mnist, or
the fixture). Prints one row per case and thread count: best time of each binary, old/new
ratio of every repeat, and whether every pair of outputs was identical.
"""
import os
import subprocess
import sys
import tempfile
import time

OLD, NEW = sys.argv[1], sys.argv[2]
THREADS = [int(t) for t in (sys.argv[3] if len(sys.argv) > 3 else "1,2").split(",")]
REPEATS = int(sys.argv[4]) if len(sys.argv) > 4 else 3

work = tempfile.mkdtemp(prefix="sample_run-")
mnist = os.path.join(work, "mnist10k.npy")
subprocess.run([NEW, "data", "generate", "mnist", "--n", "10000", "--out", mnist, "-q"],
               check=True, stdout=subprocess.DEVNULL)
CASES = [(f"mnist 64x100 {s}", ["--data", mnist, "--n-samples", "64", "--steps", "100",
                                 "--sampler", s, "--seed", "3"]) for s in ("em", "euler", "heun")]
CASES.append(("default 256x1000 em", ["--seed", "3"]))


def run(binary, args, threads, out):
    start = time.perf_counter()
    subprocess.run([binary, "sample", *args, "--threads", str(threads), "--out", out, "-q"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


times = {}
identical = {}
for repeat in range(REPEATS):
    for threads in THREADS:
        for name, args in CASES:
            outs = [os.path.join(work, f"{which}.npy") for which in ("old", "new")]
            pair = [run(b, args, threads, o) for b, o in zip((OLD, NEW), outs)]
            times.setdefault((name, threads), []).append(pair)
            same = open(outs[0], "rb").read() == open(outs[1], "rb").read()
            identical[(name, threads)] = identical.get((name, threads), True) and same

print(f"{REPEATS} interleaved repeats, seconds end to end (best of the repeats), old/new per repeat")
print(f"{'case':<22} {'threads':>7} {'old':>8} {'new':>8}  old/new per repeat      bits")
for (name, threads), pairs in times.items():
    ratios = " ".join(f"{o / n:5.2f}×" for o, n in pairs)
    same = "identical" if identical[(name, threads)] else "DIFFERENT"
    print(f"{name:<22} {threads:>7} {min(o for o, _ in pairs):8.2f} "
          f"{min(n for _, n in pairs):8.2f}  {ratios:<22} {same}")
