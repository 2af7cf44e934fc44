"""Shared fixtures: the CLI binary the bindings are compared with, and a scratch folder."""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# The trained 2-D network the firmware runs (VP linear), shipped with the repository.
NETWORK = REPO / "embedded" / "network.safetensors"


def _target_dir() -> pathlib.Path:
    if os.environ.get("CARGO_TARGET_DIR"):
        return pathlib.Path(os.environ["CARGO_TARGET_DIR"])
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return pathlib.Path(json.loads(metadata.stdout)["target_directory"])


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The `smoothscore` binary: $SMOOTHSCORE_BIN, else the workspace's release build (built
    here when missing; the bit contract makes every profile write the same bits)."""
    if os.environ.get("SMOOTHSCORE_BIN"):
        path = pathlib.Path(os.environ["SMOOTHSCORE_BIN"])
        assert path.is_file(), f"SMOOTHSCORE_BIN={path} is not a file"
        return path
    path = _target_dir() / "release" / "smoothscore"
    if not path.is_file():
        print(f"building the CLI for the comparisons: {path}")
        subprocess.run(
            ["cargo", "build", "--release", "-p", "smoothscore", "--bin", "smoothscore"],
            cwd=REPO,
            check=True,
        )
    return path


@pytest.fixture
def run_cli(cli, tmp_path):
    """Runs the CLI with `args` in `tmp_path` (quiet); returns the completed process. With
    `ok=True` (default) a failure fails the test with the CLI's stderr."""

    def run(*args, ok=True):
        process = subprocess.run(
            [str(cli), "-q", *map(str, args)], cwd=tmp_path, capture_output=True, text=True
        )
        if ok:
            assert process.returncode == 0, process.stderr
        return process

    return run


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, shape and bytes (NaN payloads included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
