#!/usr/bin/env python3
"""The samplers' law on Gaussian data with the exact Gaussian score, in f64 and without the
empirical score's finite N: what tests/sampler_accuracy.rs measures, with as many samples as
asked, and how often its criterion passes at a given number of samples.

A NumPy re-implementation of core/src/sampler/ (the same steps, grids and priors, not the same
bits), for choosing default grids; README "Samplers" quotes its numbers:

    python3 scripts/sampler_law_model.py law                     # every cell at the defaults
    python3 scripts/sampler_law_model.py law --grid karras7      # one grid for every cell
    python3 scripts/sampler_law_model.py passrate --sampler heun --steps 50 --samples 500

Grids: geometric, uniform (in t), karras<ρ> (the EDM schedule in λ = σ/α), atan<c> (the cosine
grid: λ = c tan θ, θ uniform; `--grid cosine` is atan0.5).
"""
import argparse

import numpy as np

MEAN = np.array([1.0, -2.0, 0.5])
FACTOR = np.array([[1.0, 0, 0], [0.5, 0.8, 0], [-0.3, 0.2, 0.5]])
COVARIANCE = FACTOR @ FACTOR.T


class VpLinear:
    name, horizon, beta_min, beta_max = "vp-linear", 1.0, 0.1, 20.0
    def integrated(self, t): return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t
    def alpha(self, t): return np.exp(-0.5 * self.integrated(t))
    def sigma2(self, t): return -np.expm1(-self.integrated(t))
    def drift(self, t): return -0.5 * (self.beta_min + t * (self.beta_max - self.beta_min))
    def diffusion2(self, t): return -2 * self.drift(t)
    def time(self, level):
        b = np.log1p(level * level)
        return 2 * b / (self.beta_min + np.sqrt(self.beta_min ** 2 + 2 * (self.beta_max - self.beta_min) * b))


class VpCosine:
    name, horizon, offset = "vp-cosine", 0.999, 0.008
    def angle(self, t): return (t + self.offset) / (1 + self.offset) * np.pi / 2
    def alpha(self, t): return np.cos(self.angle(t)) / np.cos(self.angle(0))
    def sigma2(self, t): return 1 - self.alpha(t) ** 2
    def drift(self, t): return -0.5 * np.pi / (1 + self.offset) * np.tan(self.angle(t))
    def diffusion2(self, t): return -2 * self.drift(t)
    def time(self, level):
        theta = np.arccos(np.cos(self.angle(0)) / np.sqrt(1 + level * level))
        return theta * 2 * (1 + self.offset) / np.pi - self.offset


class Ou:
    name, horizon = "ou", 5.0
    def alpha(self, t): return np.exp(-t)
    def sigma2(self, t): return -np.expm1(-2 * t)
    def drift(self, t): return -1.0
    def diffusion2(self, t): return 2.0
    def time(self, level): return 0.5 * np.log1p(level * level)


class Ve:
    name, horizon, sigma_min, sigma_max = "ve", 1.0, 0.01, 10.0
    def alpha(self, t): return 1.0
    def sigma2(self, t): return (self.sigma_min * (self.sigma_max / self.sigma_min) ** t) ** 2
    def drift(self, t): return 0.0
    def diffusion2(self, t): return 2 * np.log(self.sigma_max / self.sigma_min) * self.sigma2(t)
    def time(self, level): return np.log(level / self.sigma_min) / np.log(self.sigma_max / self.sigma_min)


class Brownian:
    name, horizon = "brownian", 10.0
    def alpha(self, t): return 1.0
    def sigma2(self, t): return t
    def drift(self, t): return 0.0
    def diffusion2(self, t): return 1.0
    def time(self, level): return level * level


PROCESSES = {p.name: p for p in (VpLinear(), VpCosine(), Ou(), Ve(), Brownian())}


def level(process, t):
    return np.sqrt(process.sigma2(t)) / process.alpha(t)


def grid(process, kind, steps, t_min):
    k = np.arange(steps + 1) / steps
    top = process.horizon
    if kind == "geometric":
        times = top * np.exp(k * np.log(t_min / top))
    elif kind == "uniform":
        times = top + k * (t_min - top)
    elif kind.startswith("karras"):
        rho = float(kind[6:] or 7)
        a, b = level(process, top) ** (1 / rho), level(process, t_min) ** (1 / rho)
        times = process.time((a + k * (b - a)) ** rho)
    elif kind.startswith("atan"):
        c = float(kind[4:])
        a, b = np.arctan(level(process, top) / c), np.arctan(level(process, t_min) / c)
        times = process.time(c * np.tan(a + k * (b - a)))
    else:
        raise SystemExit(f"unknown grid {kind}")
    times[0], times[-1] = top, t_min
    return times


def default_grid(process, sampler, churn):
    """ProcessSpec::default_spacing."""
    if sampler == "ddim" or (sampler == "edm" and churn):
        return "atan0.5"
    return "karras7" if process.name in ("vp-cosine", "ve") else "geometric"


def run(process, sampler, steps, kind, count, rng, eta=0.0, churn=None, t_min=1e-3):
    """`count` samples of `sampler` from the prior down the grid, denoised at t_min."""
    times = grid(process, kind, steps, t_min)
    def score(t, y):
        a, s2 = process.alpha(t), process.sigma2(t)
        return -np.linalg.solve(a * a * COVARIANCE + s2 * np.eye(3), (y - a * MEAN).T).T
    normals = lambda: rng.standard_normal((count, 3))
    a, s2 = process.alpha(times[0]), process.sigma2(times[0])
    if process.name in ("ve", "brownian"):  # --prior auto: moment-matched
        y = a * MEAN + normals() @ np.linalg.cholesky(a * a * COVARIANCE + s2 * np.eye(3)).T
    else:
        y = np.sqrt(s2) * normals()
    kept = None
    for k in range(steps):
        t, to = times[k], times[k + 1]
        dt = t - to
        if sampler == "em":
            drift = process.drift(t) * y - process.diffusion2(t) * score(t, y)
            y = y - drift * dt + np.sqrt(process.diffusion2(t) * dt) * normals()
        elif sampler == "euler":
            y = y - (process.drift(t) * y - 0.5 * process.diffusion2(t) * score(t, y)) * dt
        elif sampler == "heun":
            v1 = process.drift(t) * y - 0.5 * process.diffusion2(t) * score(t, y)
            trial = y - v1 * dt
            v2 = process.drift(to) * trial - 0.5 * process.diffusion2(to) * score(to, trial)
            y = y - 0.5 * (v1 + v2) * dt
        elif sampler in ("ddim", "dpmpp-2m"):
            af, s2f, at, s2t = process.alpha(t), process.sigma2(t), process.alpha(to), process.sigma2(to)
            denoised = (y + s2f * score(t, y)) / af
            if sampler == "ddim":
                r = (np.sqrt(s2t) / at) / (np.sqrt(s2f) / af)
                posterior = max(1 - r * r, 0)
                epsilon = (y - af * denoised) / np.sqrt(s2f)
                y = (at * denoised + np.sqrt(s2t) * np.sqrt(1 - eta * eta * posterior) * epsilon
                     + eta * np.sqrt(s2t * posterior) * normals())
            else:
                h = np.log(level(process, t) / level(process, to))
                used = denoised
                if k > 0:
                    q = h / (2 * np.log(level(process, times[k - 1]) / level(process, t)))
                    used = (1 + q) * denoised - q * kept
                y = np.sqrt(s2t / s2f) * y - at * np.expm1(-h) * used
                kept = denoised
        elif sampler == "edm":
            s_churn, s_noise, s_tmin, s_tmax = churn or (0.0, 1.0, 0.0, np.inf)
            af = process.alpha(t)
            lf = level(process, t)
            gamma = min(s_churn / steps, np.sqrt(2) - 1) if s_tmin <= lf <= s_tmax else 0.0
            t_hat, a_hat, l_hat = t, af, lf
            if gamma > 0:
                t_try = min(process.time(min(lf * (1 + gamma), level(process, process.horizon))), process.horizon)
                if t_try > t:
                    t_hat, a_hat, l_hat = t_try, process.alpha(t_try), level(process, t_try)
                    y = (a_hat / af) * y + a_hat * np.sqrt(max(l_hat ** 2 - lf ** 2, 0)) * s_noise * normals()
            at = process.alpha(to)
            step = level(process, to) - l_hat
            e1 = -np.sqrt(process.sigma2(t_hat)) * score(t_hat, y)
            trial = at * (y / a_hat + step * e1)
            e2 = -np.sqrt(process.sigma2(to)) * score(to, trial)
            y = at * (y / a_hat + step * 0.5 * (e1 + e2))
    a, s2 = process.alpha(t_min), process.sigma2(t_min)
    return (y + s2 * score(t_min, y)) / a


def measure(samples):
    """Largest mean |z| (at the samples' own count), smallest and largest variance ratio."""
    count = len(samples)
    z = np.max(np.abs(samples.mean(0) - MEAN) / np.sqrt(np.diag(COVARIANCE) / count))
    inverse = np.linalg.inv(np.linalg.cholesky(COVARIANCE))
    ratios = np.linalg.eigvalsh(inverse @ np.cov(samples.T) @ inverse.T)
    return z, ratios.min(), ratios.max()


CELLS = [("em", 100, {}), ("euler", 100, {}), ("heun", 50, {}), ("ddim", 100, {}),
         ("ddim", 100, {"eta": 1.0}), ("dpmpp-2m", 100, {}), ("edm", 50, {}),
         ("edm", 50, {"churn": (10, 1.003, 0.05, 50)})]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["law", "passrate"])
    parser.add_argument("--grid", help="one grid for every cell (default: the defaults)")
    parser.add_argument("--process", action="append", help="default: every reverse process")
    parser.add_argument("--sampler", help="passrate: the sampler (law: every sampler)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--eta", type=float, default=0.0)
    parser.add_argument("--churn", action="store_true", help="edm: the test's churn settings")
    parser.add_argument("--samples", type=int, default=2000, help="passrate: samples per trial")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--reference", type=int, default=200_000, help="samples of the law")
    args = parser.parse_args()
    names = args.process or list(PROCESSES)
    rng = np.random.default_rng(5)
    if args.command == "law":
        for name in names:
            process = PROCESSES[name]
            for sampler, steps, options in CELLS:
                kind = args.grid or default_grid(process, sampler, "churn" in options)
                z, low, high = measure(run(process, sampler, steps, kind, args.reference, rng, **options))
                z_at = z * np.sqrt(args.samples / args.reference)
                print(f"{name:<10} {sampler:<9} {options!s:<34} {kind:<9} mean |z| at "
                      f"{args.samples} samples {z_at:5.2f}  variance ratios {low:.3f}-{high:.3f}")
        return
    options = {"eta": args.eta} if args.sampler == "ddim" else {}
    if args.churn:
        options["churn"] = (10, 1.003, 0.05, 50)
    for name in names:
        process = PROCESSES[name]
        kind = args.grid or default_grid(process, args.sampler, args.churn)
        passed = 0
        for _ in range(args.trials):
            z, low, high = measure(run(process, args.sampler, args.steps, kind, args.samples, rng, **options))
            passed += z <= 4 and low >= 0.85 and high <= 1.18
        print(f"{name:<10} {args.sampler} {options} {kind}: passes {passed}/{args.trials} at {args.samples} samples")


if __name__ == "__main__":
    main()
