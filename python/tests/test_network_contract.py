"""docs/network-contract.md is complete: a NumPy reader written from that page alone (the
safetensors header parsed by hand, the forward pass in f64) gives the CLI's learned score, noise
prediction and posterior mean on the shipped network within the contract's f32 error bound
(measured: 2–4·10⁻⁷ relative for the score, up to 3.5·10⁻⁶ for the mean at t = 0.6)."""

import json
import struct

import numpy as np
import pytest
from conftest import NETWORK


def read_network(path):
    """The tensors (f64) and the metadata of a smoothscore network file."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    metadata = header.pop("__metadata__")
    body = raw[8 + header_len :]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        start, end = entry["data_offsets"]
        values = np.frombuffer(body[start:end], dtype="<f4").astype(np.float64)
        tensors[name] = values.reshape(entry["shape"])
    return tensors, metadata


def vp_linear(metadata, t):
    """α_t and σ_t² of the VP process with a linear β schedule."""
    beta_min, beta_max = float(metadata["beta_min"]), float(metadata["beta_max"])
    integrated = beta_min * t + 0.5 * (beta_max - beta_min) * t * t
    return np.exp(-0.5 * integrated), -np.expm1(-integrated)


def epsilon_hat(tensors, metadata, x, t, alpha, sigma_squared, time_input=None):
    """ε̂(x, t) for every row of x, by the page's four steps, given α_t and σ_t²."""
    mean, std = tensors["data_mean"], float(tensors["data_std"])
    c_in = 1.0 / np.sqrt(alpha**2 * std**2 + sigma_squared)
    c = {
        "log_sigma": 0.5 * np.log(sigma_squared),
        "time": t,
        "log_snr": 0.5 * (np.log(alpha**2) - np.log(sigma_squared)),
    }[time_input or metadata["time_input"]]
    angles = tensors["time_frequencies"] * c
    features = np.concatenate([np.sin(angles), np.cos(angles)])
    h = np.hstack([c_in * (x - alpha * mean), np.tile(features, (len(x), 1))])
    depth = int(metadata["depth"])
    for layer in range(depth + 1):
        h = h @ tensors[f"layers.{layer}.weight"].T + tensors[f"layers.{layer}.bias"]
        if layer < depth:
            h = np.maximum(h, 0.0) if metadata["activation"] == "relu" else h / (1.0 + np.exp(-h))
    return h


def test_the_shipped_network_is_what_the_page_describes():
    tensors, metadata = read_network(NETWORK)
    assert metadata["format"] == "smoothscore-network-v1"
    assert (metadata["process"], metadata["schedule"], metadata["output"]) == ("vp", "linear", "epsilon")
    d, width, depth, k = (int(metadata[key]) for key in ("dim", "width", "depth", "time_features"))
    sizes = [d + 2 * k] + [width] * depth + [d]
    for layer in range(depth + 1):
        assert tensors[f"layers.{layer}.weight"].shape == (sizes[layer + 1], sizes[layer])
        assert tensors[f"layers.{layer}.bias"].shape == (sizes[layer + 1],)
    assert tensors["time_frequencies"].shape == (k,)
    assert tensors["data_mean"].shape == (d,) and tensors["data_std"].shape == ()
    assert int(metadata["parameter_count"]) == sum(a * b + b for a, b in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("t", [0.05, 0.2, 0.6])
def test_a_numpy_reader_gives_the_cli_score_noise_and_mean(run_cli, tmp_path, t):
    tensors, metadata = read_network(NETWORK)
    run_cli("data", "generate", "default", "--n", 41, "--seed", 7, "--out", "queries.npy")
    queries = np.load(tmp_path / "queries.npy").astype(np.float64)
    for what in ["score", "denoiser", "mean"]:
        run_cli("score", "--score", "net", "--net", NETWORK, "--data", "queries.npy", "--queries", "queries.npy", "--t", t, "--what", what, "--out", f"{what}.npy")
    alpha, sigma_squared = vp_linear(metadata, t)
    noise = epsilon_hat(tensors, metadata, queries, t, alpha, sigma_squared)
    score = -noise / np.sqrt(sigma_squared)
    mean = (queries + sigma_squared * score) / alpha
    for what, want in [("score", score), ("denoiser", noise), ("mean", mean)]:
        got = np.load(tmp_path / f"{what}.npy").astype(np.float64)
        error = np.linalg.norm(got - want) / np.linalg.norm(want)
        print(f"t = {t}, {what}: relative L2 difference CLI (f32) vs the page's f64 reader {error:.2e}")
        # The contract's bound for this 10-32-32-2 network is ≈ 1e-6 of the terms' magnitudes;
        # 1e-4 leaves room for the f32 rounding of α_t, σ_t² and the features (each ≤ 1e-6).
        assert error < 1e-4, (what, error)
    # The test can fail: the same reader with the wrong time input is far off.
    wrong = -epsilon_hat(tensors, metadata, queries, t, alpha, sigma_squared, "time") / np.sqrt(sigma_squared)
    assert np.linalg.norm(wrong - score) / np.linalg.norm(score) > 1e-2
