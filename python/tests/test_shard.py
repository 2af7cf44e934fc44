"""`shard=(k, K)` / `--shard k/K`: the K shards concatenated in order are the one-machine run,
bit for bit (each sample on its own stream, whatever the shard)."""

import numpy as np
import pytest
import smoothscore
from conftest import same_bits

RUNS = [
    dict(n_samples=23, steps=30),
    dict(n_samples=23, steps=20, sampler="heun", seed=5),
    dict(n_samples=23, steps=20, score="kernel", bandwidth=0.1, kernel_points=4),
    dict(n_samples=23, steps=20, process="pbm"),
]


@pytest.mark.parametrize("run", RUNS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_python_shards_concatenate_to_the_whole_run(run):
    whole = smoothscore.sample(**run)
    for count in (1, 2, 3, 7):
        parts = [smoothscore.sample(**run, shard=(index, count)) for index in range(count)]
        assert sum(len(part) for part in parts) == len(whole)
        assert same_bits(np.concatenate(parts), whole), f"K = {count}"


def test_cli_shards_concatenate_to_the_whole_run(run_cli, tmp_path):
    run = ["--n-samples", 23, "--steps", 30, "--seed", 3]
    run_cli("sample", *run, "--out", "whole.npy")
    run_cli("sample", *run, "--out", "whole.csv")
    whole = np.load(tmp_path / "whole.npy")
    for count in (1, 2, 3, 7):
        names = [f"shard-{index:02}-of-{count}" for index in range(count)]
        for index, name in enumerate(names):
            run_cli("sample", *run, "--shard", f"{index}/{count}", "--out", f"{name}.npy")
            run_cli("sample", *run, "--shard", f"{index}/{count}", "--out", f"{name}.csv")
        parts = [np.load(tmp_path / f"{name}.npy") for name in names]
        assert same_bits(np.concatenate(parts), whole), f"K = {count}"
        # The CSV shards joined with `cat` are the whole CSV file, byte for byte.
        joined = b"".join((tmp_path / f"{name}.csv").read_bytes() for name in names)
        assert joined == (tmp_path / "whole.csv").read_bytes(), f"K = {count}"
        # `smoothscore concat` writes the whole run's files, byte for byte.
        for ext in ("npy", "csv"):
            run_cli("concat", *[f"{name}.{ext}" for name in names], "--out", f"joined-{count}.{ext}")
            assert (tmp_path / f"joined-{count}.{ext}").read_bytes() == (tmp_path / f"whole.{ext}").read_bytes()
        # Python's shard k is the CLI's shard k.
        assert same_bits(smoothscore.sample(n_samples=23, steps=30, seed=3, shard=(1 % count, count)), parts[1 % count])


def test_concat_refuses_to_overwrite_an_input(run_cli, tmp_path):
    run_cli("sample", "--n-samples", 4, "--steps", 5, "--out", "a.npy")
    before = (tmp_path / "a.npy").read_bytes()
    process = run_cli("concat", "a.npy", "a.npy", "--out", "a.npy", ok=False)
    assert process.returncode == 1 and "never overwrites its inputs" in process.stderr
    assert (tmp_path / "a.npy").read_bytes() == before


def test_bad_shards_are_one_line_errors(run_cli):
    for shard, message in [("3/3", "below K = 3"), ("1/0", "at least 1"), ("x", "expected k/K")]:
        process = run_cli("sample", "--n-samples", 4, "--steps", 5, "--shard", shard, "--out", "s.npy", ok=False)
        assert process.returncode == 2 and message in process.stderr, process.stderr
        with pytest.raises(ValueError, match=message):
            smoothscore.sample(n_samples=4, steps=5, shard=shard)
    process = run_cli("sample", "--n-samples", 4, "--steps", 5, "--shard", "5/7", "--out", "s.npy", ok=False)
    assert process.returncode == 1 and "cannot be split over 7 shards" in process.stderr
    assert len(process.stderr.strip().splitlines()) == 1
    with pytest.raises(ValueError) as error:
        smoothscore.sample(n_samples=4, steps=5, shard=(5, 7))
    assert str(error.value) == process.stderr.strip().removeprefix("error: ")
