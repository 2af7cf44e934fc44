"""Type stubs of the native module. Keyword arguments are the CLI's long options (``_`` for
``-``) with the CLI's defaults; ``tests/test_stubs.py`` checks these defaults against the CLI's
own definition (``defaults()``)."""

import os
from typing import Dict, List, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

ArrayLike = npt.ArrayLike
Float = Union[float, np.floating]
Process = Literal["vp", "ou", "ve", "brownian", "pbm"]
Schedule = Literal["linear", "cosine"]
Score = Literal["exact", "kernel", "pl", "smoothed-pl", "net"]
BandwidthMode = Literal["const", "sigma"]
KernelRule = Literal["auto", "gauss-hermite", "quasi", "mc"]
DataSet = Literal["default", "gaussian", "gmm-ring", "gmm50", "funnel", "two-moons", "circle", "line", "mnist"]

def score(
    data: ArrayLike,
    queries: ArrayLike,
    t: Float,
    *,
    process: Process = "vp",
    schedule: Schedule = "linear",
    beta_min: Float = 0.1,
    beta_max: Float = 20.0,
    sigma_min: Float = 0.01,
    sigma_max: Float = 10.0,
    horizon: Optional[Float] = None,
    pbm_sigma: Float = 1.0,
    what: Literal["score", "weights", "mean", "denoiser", "drift"] = "score",
    score: Score = "exact",
    bandwidth: Float = 0.0,
    bandwidth_mode: BandwidthMode = "const",
    kernel_points: int = 64,
    kernel_rule: KernelRule = "auto",
    kernel_seed: int = 0,
    kappa: Float = 0.5,
    net: Optional[Union[str, os.PathLike]] = None,
    threads: int = 0,
) -> npt.NDArray[np.float32]:
    """``smoothscore score``: ``what`` at time ``t`` for every row of ``queries`` (B × d), with
    ``data`` (N × d) as the training set (``score="net"``: the network file ``net`` from
    ``smoothscore train``; ``data`` then only gives the dimension). Returns B × d
    (``what="weights"``: B × N) float32."""

def sample(
    data: Optional[ArrayLike] = None,
    *,
    process: Process = "vp",
    schedule: Schedule = "linear",
    beta_min: Float = 0.1,
    beta_max: Float = 20.0,
    sigma_min: Float = 0.01,
    sigma_max: Float = 10.0,
    horizon: Optional[Float] = None,
    pbm_sigma: Float = 1.0,
    sampler: Literal["em", "euler", "heun", "ddim", "dpmpp-2m", "edm"] = "em",
    eta: Optional[Float] = None,
    churn: Optional[Float] = None,
    s_noise: Optional[Float] = None,
    s_tmin: Optional[Float] = None,
    s_tmax: Optional[Float] = None,
    grid: Literal["auto", "uniform", "geometric", "karras", "cosine"] = "auto",
    rho: Float = 7.0,
    prior: Literal["auto", "standard", "moment-matched"] = "auto",
    steps: int = 1000,
    t_min: Float = 0.001,
    final: Literal["denoised", "state"] = "denoised",
    n_samples: int = 256,
    seed: int = 0,
    shard: Optional[Union[Tuple[int, int], str]] = None,
    threads: int = 0,
    score: Score = "exact",
    bandwidth: Float = 0.0,
    bandwidth_mode: BandwidthMode = "const",
    kernel_points: int = 64,
    kernel_rule: KernelRule = "auto",
    kernel_seed: int = 0,
    kappa: Float = 0.5,
    net: Optional[Union[str, os.PathLike]] = None,
) -> npt.NDArray[np.float32]:
    """``smoothscore sample``: ``n_samples`` × d float32 samples (``data=None``: the built-in
    2-D set). ``shard=(k, K)``: only the rows ⌊k·n/K⌋ … ⌊(k+1)·n/K⌋ − 1 of that run.
    ``eta`` is DDIM's (default 0), ``churn``/``s_noise``/``s_tmin``/``s_tmax`` EDM's (defaults
    0, 1, 0, ∞); ``grid="auto"`` and ``prior="auto"`` choose per process as the CLI does."""

def eval(
    samples: ArrayLike,
    train: ArrayLike,
    test: Optional[ArrayLike] = None,
    *,
    radius: float = 0.001,
    projections: int = 128,
    seed: int = 0,
    epsilon: float = 0.1,
    knn_k: int = 3,
) -> Dict[str, Optional[Union[int, float]]]:
    """``smoothscore eval --json``: the sample-quality metrics, keyed as in its JSON."""

def generate(
    name: DataSet,
    *,
    n: int = 256,
    dim: Optional[int] = None,
    seed: int = 0,
    noise: Float = 0.0,
    mnist: Optional[Union[str, os.PathLike]] = None,
    digits: Optional[Sequence[int]] = None,
    scale: Literal["unit", "symmetric"] = "unit",
) -> npt.NDArray[np.float32]:
    """``smoothscore data generate NAME``: the data set as an n × d float32 array."""

def data_sets() -> Dict[str, str]:
    """The names ``generate`` knows, each with a line that says what it is."""

def defaults(function: Literal["score", "sample", "eval", "generate"]) -> Dict[str, Optional[str]]:
    """The keyword options of ``function`` with the CLI's defaults as it spells them."""

def choices(function: Literal["score", "sample", "eval", "generate"]) -> Dict[str, List[str]]:
    """The keyword options of ``function`` that take one of a few values, with those values as
    the CLI spells them."""

def input_address(array: ArrayLike) -> Tuple[int, bool]:
    """The address of the values read for ``array`` and whether they are ``array``'s own memory
    (``True``: read in place, no copy)."""
