#!/usr/bin/env python3
"""Two modes.

`sample_run.py peers BIN [THREADS] [REPEATS] [SAMPLES]`: the main job against NumPy and PyTorch
(CPU, float32): MNIST, the first 10 000 training digits (d = 784), the reverse VP-SDE (linear
schedule) by Euler–Maruyama, 100 steps on the geometric grid from T = 1 to t_min = 1e-3, the
standard normal prior, the denoised final step, SAMPLES samples (default 256), THREADS threads
(default 1; the peers' BLAS pools are capped to it). The digits come from `BIN data generate
mnist`, which reads SMOOTHSCORE_MNIST (e.g. ../shared/data/mnist); the shipped subset is too small. The peers are the batched samplers a
NumPy/PyTorch user writes (squared distances by the matmul expansion / torch.cdist, softmax,
weighted sum by matmul). All three run interleaved REPEATS times (default 3), each timed end to
end (smoothscore as a process; the peers from inside Python, after import and with the data
already loaded, which favours them). Prints the best times, the peers/ours ratios, and the
largest differences between the sample sets' per-coordinate means and standard deviations
(different random streams: they agree in distribution, not sample by sample; with 256 samples
the sampling noise of a coordinate's mean is about its standard deviation / 16).

`sample_run.py OLD_BIN NEW_BIN [THREADS] [REPEATS]`: whole `smoothscore sample` runs of two binaries (e.g. before and after a change), timed end to
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



def peers(binary, threads, repeats, samples):
    """The `peers` mode (see the module docstring)."""
    import math

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import numpy as np

    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    steps, t_min, beta_min, beta_max = 100, 1e-3, 0.1, 20.0
    work = tempfile.mkdtemp(prefix="sample_peers-")
    data_path = os.path.join(work, "mnist10k.npy")
    subprocess.run([binary, "data", "generate", "mnist", "--n", "10000", "--out", data_path, "-q"],
                   check=True, stdout=subprocess.DEVNULL)
    data = np.load(data_path).astype(np.float32)
    if data.shape[0] < 10000:
        sys.exit(f"only {data.shape[0]} MNIST digits: set SMOOTHSCORE_MNIST to the full MNIST folder")
    grid = [math.exp(k / steps * math.log(t_min)) for k in range(steps + 1)]

    def coefficients(t):
        integral = beta_min * t + 0.5 * (beta_max - beta_min) * t * t
        return math.exp(-0.5 * integral), -math.expm1(-integral)

    def numpy_mean(y, alpha, sigma2):
        scaled = np.float32(alpha) * data
        d2 = (y * y).sum(1)[:, None] + (scaled * scaled).sum(1)[None, :] - 2.0 * y @ scaled.T
        logits = d2 * np.float32(-0.5 / sigma2)
        logits -= logits.max(1, keepdims=True)
        w = np.exp(logits)
        w /= w.sum(1, keepdims=True)
        return w @ data

    def numpy_run():
        rng = np.random.default_rng(3)
        y = rng.standard_normal((samples, data.shape[1]), dtype=np.float32)
        for t, t_next in zip(grid, grid[1:]):
            alpha, sigma2 = coefficients(t)
            beta = beta_min + t * (beta_max - beta_min)
            score = (np.float32(alpha) * numpy_mean(y, alpha, sigma2) - y) / np.float32(sigma2)
            dt = t - t_next
            drift = np.float32(-0.5 * beta) * y - np.float32(beta) * score
            noise = rng.standard_normal(y.shape, dtype=np.float32)
            y = y - drift * np.float32(dt) + np.float32(math.sqrt(beta * dt)) * noise
        alpha, sigma2 = coefficients(grid[-1])
        return numpy_mean(y, alpha, sigma2)

    def torch_run():
        tdata = torch.from_numpy(data)
        gen = torch.Generator().manual_seed(3)
        with torch.no_grad():
            def mean(y, alpha, sigma2):
                d2 = torch.cdist(y, alpha * tdata).square()
                return torch.softmax(d2 * (-0.5 / sigma2), dim=1) @ tdata

            y = torch.randn(samples, data.shape[1], generator=gen, dtype=torch.float32)
            for t, t_next in zip(grid, grid[1:]):
                alpha, sigma2 = coefficients(t)
                beta = beta_min + t * (beta_max - beta_min)
                score = (alpha * mean(y, alpha, sigma2) - y) / sigma2
                dt = t - t_next
                noise = torch.randn(y.shape, generator=gen, dtype=torch.float32)
                y = y - (-0.5 * beta * y - beta * score) * dt + math.sqrt(beta * dt) * noise
            alpha, sigma2 = coefficients(grid[-1])
            return mean(y, alpha, sigma2).numpy()

    ours_path = os.path.join(work, "ours.npy")

    def ours_run():
        subprocess.run([binary, "sample", "--data", data_path, "--n-samples", str(samples),
                        "--steps", str(steps), "--sampler", "em", "--t-min", str(t_min),
                        "--seed", "3", "--threads", str(threads), "--out", ours_path, "-q"],
                       check=True, stdout=subprocess.DEVNULL)
        return np.load(ours_path)

    runners = {"smoothscore": ours_run, "numpy": numpy_run}
    if torch is not None:
        runners["torch"] = torch_run
    best, outputs = {name: math.inf for name in runners}, {}
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            outputs[name] = run()
            best[name] = min(best[name], time.perf_counter() - start)
    print(f"MNIST 10 000 x 784, {samples} samples, VP EM {steps} steps, {threads} thread(s), "
          f"best of {repeats} interleaved runs (seconds)")
    ours = outputs["smoothscore"]
    spread = float(data.std(0).max())
    for name in runners:
        line = f"{name:<12} {best[name]:8.2f} s"
        if name != "smoothscore":
            mean_gap = float(np.abs(outputs[name].mean(0) - ours.mean(0)).max())
            std_gap = float(np.abs(outputs[name].std(0) - ours.std(0)).max())
            line += (f"   {name}/smoothscore {best[name] / best['smoothscore']:5.2f}x   "
                     f"max |mean gap| {mean_gap:.3f}, max |std gap| {std_gap:.3f} "
                     f"(data's largest coordinate std {spread:.3f})")
        print(line)


if sys.argv[1] == "peers":
    peers(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1,
          int(sys.argv[4]) if len(sys.argv) > 4 else 3,
          int(sys.argv[5]) if len(sys.argv) > 5 else 256)
    sys.exit(0)

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
