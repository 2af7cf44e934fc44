"""The README's memorization figure (docs/gallery/memorization.png) from Python.

The CLI draws it with

    smoothscore experiment memorization --datasets default,gmm-ring \
        --bandwidths 0,0.05,0.1,0.2,0.3,0.5 --n-samples 64 --steps 100 --plot memorization.png

This script computes the same curves — the fraction of memorized samples (d₁/d₂ < 1/3) as the
kernel bandwidth h grows, h in units of the data's RMS spread per coordinate — with
``smoothscore.sample`` and ``smoothscore.eval``, and gets the same numbers as the experiment's
table (`memorization.csv`). It writes them as CSV, and draws the figure when matplotlib is
installed.

    python examples/memorization_figure.py --out memorization-python.png
"""

import argparse
import csv
import sys

import numpy as np
import smoothscore


def training_set(name: str, seed: int) -> np.ndarray:
    """The experiment's training sets (its `sources`): the built-in set, or 128 ring-GMM points."""
    if name == "default":
        return smoothscore.datasets.generate("default")
    if name == "gmm-ring":
        return smoothscore.datasets.generate("gmm-ring", 128, seed=seed)
    raise SystemExit(f"unknown data set {name!r} (this example knows default and gmm-ring)")


def sequential_sum(values: np.ndarray) -> float:
    """Left-to-right f64 sum, the order the Rust experiment adds in (np.sum adds pairwise)."""
    return float(np.cumsum(values, dtype=np.float64)[-1])


def coordinate_spread(data: np.ndarray) -> np.float32:
    """√(Σ_k Var_k / d) in f64, then f32, as the experiment computes it."""
    x = data.astype(np.float64)
    n, d = x.shape
    variances = [sequential_sum((x[:, k] - sequential_sum(x[:, k]) / n) ** 2) / n for k in range(d)]
    return np.float32(np.sqrt(sequential_sum(np.array(variances)) / d))


def memorized_fraction(name, relative, *, n_samples, steps, seed, kernel_points):
    train = training_set(name, seed)
    bandwidth = np.float32(relative) * coordinate_spread(train)
    options = dict(n_samples=n_samples, steps=steps, seed=seed, sampler="em")
    if bandwidth > 0:
        options.update(score="kernel", bandwidth=bandwidth, kernel_points=kernel_points, kernel_seed=seed)
    samples = smoothscore.sample(train, **options)
    return smoothscore.eval(samples, train)["memorized_fraction"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="default,gmm-ring")
    parser.add_argument("--bandwidths", default="0,0.05,0.1,0.2,0.3,0.5")
    parser.add_argument("--n-samples", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--kernel-points", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default="memorization-python.csv")
    parser.add_argument("--out", help="also draw the figure (.png; needs matplotlib)")
    args = parser.parse_args()

    rows = []
    for name in args.datasets.split(","):
        for relative in (float(h) for h in args.bandwidths.split(",")):
            fraction = memorized_fraction(
                name, relative, n_samples=args.n_samples, steps=args.steps, seed=args.seed,
                kernel_points=args.kernel_points,
            )
            rows.append((name, relative, fraction))
            print(f"{name:<9} h = {relative:<5} memorized fraction {fraction:.4f}")
    with open(args.csv, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["dataset", "bandwidth", "memorized_fraction"])
        writer.writerows(rows)
    print(f"wrote {args.csv}")

    if args.out:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            sys.exit("drawing the figure needs matplotlib (pip install matplotlib); the CSV is written")
        figure, axes = plt.subplots(figsize=(6, 4))
        for name in dict.fromkeys(row[0] for row in rows):
            points = [(h, f) for n, h, f in rows if n == name]
            axes.plot(*zip(*points), marker="o", label=name)
        axes.set_xlabel("bandwidth h / RMS spread")
        axes.set_ylabel("memorized fraction (d1/d2 < 1/3)")
        axes.set_ylim(-0.02, 1.02)
        axes.legend()
        figure.tight_layout()
        figure.savefig(args.out, dpi=120)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
