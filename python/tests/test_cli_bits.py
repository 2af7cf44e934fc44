"""The Python functions give the CLI's bits: the same parameters, the CLI's .npy output files
compared byte for byte with the arrays the functions return."""

import json

import numpy as np
import pytest
import smoothscore
from conftest import NETWORK, same_bits


def cli_flags(options):
    """`--long-name=value` for each keyword argument."""
    return [f"--{key.replace('_', '-')}={value}" for key, value in options.items()]


@pytest.fixture
def data_files(run_cli, tmp_path):
    """A 300×3 training set and 37 queries written by `data generate`, and the same read back."""
    run_cli("data", "generate", "gaussian", "--n", 300, "--dim", 3, "--seed", 4, "--out", "data.npy")
    run_cli("data", "generate", "gaussian", "--n", 37, "--dim", 3, "--seed", 5, "--out", "queries.npy")
    return np.load(tmp_path / "data.npy"), np.load(tmp_path / "queries.npy")


def test_generate_matches_data_generate(run_cli, tmp_path):
    for name, options in [
        ("gaussian", dict(dim=3, seed=4)),
        ("two-moons", dict(noise=0.02, seed=9)),
        ("gmm-ring", dict(seed=1)),
        ("line", dict(dim=5)),
        ("default", dict()),
    ]:
        run_cli("data", "generate", name, "--n", 50, *cli_flags(options), "--out", f"{name}.npy")
        want = np.load(tmp_path / f"{name}.npy")
        got = smoothscore.datasets.generate(name, 50, **options)
        assert same_bits(got, want), name


SCORE_CASES = [
    dict(),
    dict(what="mean"),
    dict(what="weights", process="ve"),
    dict(what="denoiser", process="vp", schedule="cosine"),
    dict(process="ou", horizon=3.5),
    dict(score="kernel", bandwidth=0.3, kernel_points=16),
    dict(score="kernel", bandwidth=0.2, bandwidth_mode="sigma", kernel_rule="mc", kernel_points=8, kernel_seed=3),
    dict(process="pbm", what="drift", pbm_sigma=0.7),
]


@pytest.mark.parametrize("options", SCORE_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_score_matches_the_cli(run_cli, tmp_path, data_files, options):
    data, queries = data_files
    t = 0.5 if options.get("process") == "pbm" else 0.1
    run_cli("score", "--data", "data.npy", "--queries", "queries.npy", "--t", t, *cli_flags(options), "--out", "out.npy")
    want = np.load(tmp_path / "out.npy")
    got = smoothscore.score(data, queries, t, **options)
    assert same_bits(got, want)


SAMPLE_CASES = [
    dict(steps=50),
    dict(steps=40, sampler="heun", final="state"),
    dict(steps=40, sampler="euler", process="brownian", grid="uniform"),
    dict(steps=30, process="ou", seed=11, t_min=0.01),
    dict(steps=30, process="pbm"),
    dict(steps=20, score="kernel", bandwidth=0.1, kernel_points=4),
]


@pytest.mark.parametrize("options", SAMPLE_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sample_matches_the_cli(run_cli, tmp_path, options):
    run_cli("sample", "--n-samples", 24, *cli_flags(options), "--out", "s.npy")
    want = np.load(tmp_path / "s.npy")
    got = smoothscore.sample(n_samples=24, **options)
    assert same_bits(got, want)


def test_sample_on_given_data_matches_the_cli(run_cli, tmp_path, data_files):
    data, _ = data_files
    run_cli("sample", "--data", "data.npy", "--n-samples", 10, "--steps", 30, "--seed", 2, "--out", "s.npy")
    assert same_bits(smoothscore.sample(data, n_samples=10, steps=30, seed=2), np.load(tmp_path / "s.npy"))


def test_eval_matches_the_cli(run_cli, tmp_path, data_files):
    data, queries = data_files
    run_cli("data", "generate", "gaussian", "--n", 40, "--dim", 3, "--seed", 6, "--out", "test.npy")
    process = run_cli("eval", "--samples", "queries.npy", "--train", "data.npy", "--test", "test.npy", "--json", "--projections", 16)
    want = json.loads(process.stdout)
    got = smoothscore.eval(queries, data, np.load(tmp_path / "test.npy"), projections=16)
    assert got == want
    assert list(got) == list(want)


@pytest.mark.parametrize("options", [dict(), dict(what="denoiser"), dict(what="mean")], ids=lambda o: o.get("what", "score"))
def test_network_score_matches_the_cli(run_cli, tmp_path, options):
    """The trained 2-D network the firmware runs (VP linear): its score, denoiser and mean."""
    run_cli("data", "generate", "default", "--n", 33, "--out", "queries.npy")
    queries = np.load(tmp_path / "queries.npy")
    run_cli("score", "--score", "net", "--net", NETWORK, "--data", "queries.npy", "--queries", "queries.npy", "--t", 0.2, *cli_flags(options), "--out", "out.npy")
    want = np.load(tmp_path / "out.npy")
    got = smoothscore.score(queries, queries, 0.2, score="net", net=NETWORK, **options)
    assert got.shape == queries.shape
    assert np.isfinite(got).all()
    assert same_bits(got, want)


@pytest.mark.parametrize("sampler", ["em", "heun", "ddim"])
def test_network_sample_matches_the_cli(run_cli, tmp_path, sampler):
    run_cli("sample", "--score", "net", "--net", NETWORK, "--sampler", sampler, "--steps", 30, "--n-samples", 16, "--seed", 3, "--out", "s.npy")
    want = np.load(tmp_path / "s.npy")
    got = smoothscore.sample(score="net", net=NETWORK, sampler=sampler, steps=30, n_samples=16, seed=3)
    assert same_bits(got, want)


def test_network_for_another_process_is_the_cli_error(run_cli):
    process = run_cli("sample", "--score", "net", "--net", NETWORK, "--process", "ve", "--steps", 10, "--n-samples", 2, ok=False)
    assert process.returncode != 0
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    with pytest.raises(ValueError) as error:
        smoothscore.sample(score="net", net=NETWORK, process="ve", steps=10, n_samples=2)
    assert str(error.value) == lines[0].removeprefix("error: ").removesuffix(" (see --help)")
    assert "ve" in str(error.value)
