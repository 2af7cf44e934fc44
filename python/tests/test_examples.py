"""The examples run, and the figure example gets the experiment's numbers."""

import csv
import pathlib
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run_example(name, *args, cwd):
    process = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)], cwd=cwd, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    return process.stdout


def within_fraction(line):
    return float(line.split("within 1e-2 of a training point: ")[1].split("%")[0])


def test_denoiser_loop_on_numpy(tmp_path):
    out = run_example("torch_denoiser.py", "--backend", "numpy", "--n", 64, "--steps", 60, cwd=tmp_path)
    # The exact empirical denoiser memorizes: (nearly) every DDIM sample ends on a training point.
    assert within_fraction(out) >= 95.0, out


def test_denoiser_loop_on_torch(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is not installed: the torch backend of the example is not run")
    out = run_example("torch_denoiser.py", "--backend", "torch", "--n", 64, "--steps", 60, cwd=tmp_path)
    assert out.startswith("torch:") and within_fraction(out) >= 95.0, out


def test_memorization_figure_has_the_experiment_numbers(run_cli, tmp_path):
    sweep = ["--datasets", "default,gmm-ring", "--bandwidths", "0,0.1,0.5", "--n-samples", 16, "--steps", 20]
    run_cli("experiment", "memorization", *sweep, "--replicates", 1, "--out-dir", "cli", "--seed", 1)
    run_example("memorization_figure.py", *sweep, "--seed", 1, "--csv", "python.csv", cwd=tmp_path)

    def rows(path):  # the experiment writes h as the f64 of its f32
        with open(path) as file:
            return [(r["dataset"], np.float32(r["bandwidth"]), float(r["memorized_fraction"])) for r in csv.DictReader(file)]

    got, want = rows(tmp_path / "python.csv"), rows(tmp_path / "cli" / "memorization.csv")
    assert len(got) == 6 and got == want
