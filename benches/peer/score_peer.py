#!/usr/bin/env python3
"""The empirical score of B queries against N points in d dimensions, the way a NumPy or
PyTorch user writes it (float32): squared distances (torch.cdist / the matmul expansion),
softmax over N, weighted sum (matmul), s = (alpha m - x) / sigma^2.

Usage: score_peer.py B N D THREADS REPEATS  ->  one JSON line with the best wall time of
each peer in seconds (null when the peer is not installed). `smoothscore bench` calls it.
"""
import json
import os
import sys
import time

B, N, D, THREADS, REPEATS = (int(a) for a in sys.argv[1:6])
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
os.environ.setdefault("MKL_NUM_THREADS", str(THREADS))
ALPHA, SIGMA2 = 0.8, 0.36


def best(run):
    run()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


result = {"torch_seconds": None, "numpy_seconds": None, "torch_version": None}
try:
    import numpy as np

    rng = np.random.default_rng(0)
    data = rng.standard_normal((N, D), dtype=np.float32)
    queries = rng.standard_normal((B, D), dtype=np.float32)

    def numpy_score():
        scaled = ALPHA * data
        d2 = (queries * queries).sum(1)[:, None] + (scaled * scaled).sum(1)[None, :] - 2.0 * queries @ scaled.T
        logits = d2 * np.float32(-0.5 / SIGMA2)
        logits -= logits.max(1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(1, keepdims=True)
        return (ALPHA * (w @ data) - queries) / SIGMA2

    result["numpy_seconds"] = best(numpy_score)
except ImportError:
    pass
try:
    import torch

    torch.set_num_threads(THREADS)
    gen = torch.Generator().manual_seed(0)
    tdata = torch.randn(N, D, generator=gen, dtype=torch.float32)
    tqueries = torch.randn(B, D, generator=gen, dtype=torch.float32)

    def torch_score():
        with torch.no_grad():
            d2 = torch.cdist(tqueries, ALPHA * tdata).square()
            w = torch.softmax(d2 * (-0.5 / SIGMA2), dim=1)
            return (ALPHA * (w @ tdata) - tqueries) / SIGMA2

    result["torch_seconds"] = best(torch_score)
    result["torch_version"] = torch.__version__
except ImportError:
    pass
print(json.dumps(result))
