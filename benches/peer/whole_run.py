#!/usr/bin/env python3
"""Whole runs on the same files: `smoothscore score` against NumPy and PyTorch (float32), each
loading the training set and the queries from .npy, computing the empirical score at time t
(VP linear schedule, as `smoothscore score --t`), and saving it to .npy. Same thread count for
all. Every program is timed end to end (process start to file written; the Python peers are
timed from inside, after `import`, which favours them) in one interleaved run, so the ratios
come from the same machine state. The peers' outputs are compared with smoothscore's.

Usage: whole_run.py SMOOTHSCORE_BIN SHAPES [THREADS] [REPEATS] [TIMES]
  SHAPES: comma-separated BxNxd, e.g. 256x10000x2,256x60000x784
  TIMES: comma-separated t, default 0.05 (t = 0.5: every weight non-zero; t = 0.05: a few)
Prints one table row per shape and t, and a final JSON line (keys per shape and t, BxNxd@t: smoothscore_seconds,
numpy_seconds, torch_seconds, numpy_ratio, torch_ratio, max_relative_difference).
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
SHAPES = [tuple(int(v) for v in s.split("x")) for s in sys.argv[2].split(",")]
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
REPEATS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)
TIMES = [float(t) for t in (sys.argv[5] if len(sys.argv) > 5 else "0.05").split(",")]
BETA_MIN, BETA_MAX = 0.1, 20.0

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(THREADS)
except ImportError:
    torch = None


def coefficients(t):
    """alpha_t, sigma_t^2 of the linear VP schedule (SPEC: alpha = exp(-B(t)/2), sigma^2 = 1 - alpha^2)."""
    integral = BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t
    alpha = math.exp(-0.5 * integral)
    return alpha, -math.expm1(-integral)


def numpy_run(T, data_path, query_path, out_path):
    data = np.load(data_path)
    queries = np.load(query_path)
    alpha, sigma2 = coefficients(T)
    scaled = np.float32(alpha) * data
    d2 = (queries * queries).sum(1)[:, None] + (scaled * scaled).sum(1)[None, :] - 2.0 * queries @ scaled.T
    logits = d2 * np.float32(-0.5 / sigma2)
    logits -= logits.max(1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(1, keepdims=True)
    score = (np.float32(alpha) * (w @ data) - queries) / np.float32(sigma2)
    np.save(out_path, score.astype(np.float32))


def torch_run(T, data_path, query_path, out_path):
    data = torch.from_numpy(np.load(data_path))
    queries = torch.from_numpy(np.load(query_path))
    alpha, sigma2 = coefficients(T)
    with torch.no_grad():
        d2 = torch.cdist(queries, alpha * data).square()
        w = torch.softmax(d2 * (-0.5 / sigma2), dim=1)
        score = (alpha * (w @ data) - queries) / sigma2
    np.save(out_path, score.numpy().astype(np.float32))


def smoothscore_run(T, data_path, query_path, out_path):
    subprocess.run(
        [BIN, "-q", "score", "--data", data_path, "--queries", query_path, "--t", str(T),
         "--threads", str(THREADS), "--out", out_path],
        check=True, stdout=subprocess.DEVNULL)


def timed(run, *paths):
    start = time.perf_counter()
    run(*paths)
    return time.perf_counter() - start


results = {}
print(f"threads: {THREADS}, best of {REPEATS} interleaved runs, seconds end to end (load, score, save)")
print(f"{'B':>6} {'N':>7} {'d':>4} {'t':>5} {'smoothscore':>12} {'numpy':>9} {'torch':>9} {'numpy/ours':>11} {'torch/ours':>11} {'max rel diff':>13}")
with tempfile.TemporaryDirectory() as work:
    for (b, n, d), T in [(shape, t) for shape in SHAPES for t in TIMES]:
        rng = np.random.default_rng(7)
        data_path = os.path.join(work, f"data-{n}x{d}.npy")
        query_path = os.path.join(work, f"queries-{b}x{d}.npy")
        np.save(data_path, rng.standard_normal((n, d), dtype=np.float32))
        # Queries near the data (noised training points), as the sampler sees them.
        base = np.load(data_path)[rng.integers(0, n, b)]
        alpha, sigma2 = coefficients(T)
        noised = alpha * base + math.sqrt(sigma2) * rng.standard_normal((b, d), dtype=np.float32)
        np.save(query_path, noised.astype(np.float32))
        runners = {"smoothscore": smoothscore_run, "numpy": numpy_run}
        if torch is not None:
            runners["torch"] = torch_run
        best = {name: math.inf for name in runners}
        for _ in range(REPEATS):
            for name, run in runners.items():
                out = os.path.join(work, f"{name}.npy")
                best[name] = min(best[name], timed(run, T, data_path, query_path, out))
        ours = np.load(os.path.join(work, "smoothscore.npy"))
        difference = 0.0
        for name in runners:
            if name != "smoothscore":
                theirs = np.load(os.path.join(work, f"{name}.npy"))
                scale = np.abs(ours).max() + 1e-30
                difference = max(difference, float(np.abs(theirs - ours).max() / scale))
        row = {
            "smoothscore_seconds": best["smoothscore"],
            "numpy_seconds": best["numpy"],
            "torch_seconds": best.get("torch"),
            "numpy_ratio": best["numpy"] / best["smoothscore"],
            "torch_ratio": best["torch"] / best["smoothscore"] if "torch" in best else None,
            "max_relative_difference": difference,
        }
        results[f"{b}x{n}x{d}@{T}"] = row
        torch_text = f"{best['torch']:9.4f}" if "torch" in best else f"{'—':>9}"
        torch_ratio = f"{row['torch_ratio']:10.2f}×" if row["torch_ratio"] else f"{'—':>11}"
        print(f"{b:>6} {n:>7} {d:>4} {T:>5} {best['smoothscore']:12.4f} {best['numpy']:9.4f} {torch_text} "
              f"{row['numpy_ratio']:10.2f}× {torch_ratio} {difference:13.2e}")
print(json.dumps(results))
