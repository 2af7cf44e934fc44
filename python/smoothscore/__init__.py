"""smoothscore: the closed-form empirical diffusion score and its samplers, from Python.

The functions are the CLI's commands on NumPy arrays, computed by the same Rust library with the
same parameters (keyword arguments are the CLI's long options with ``_`` for ``-``: ``n_samples``
is ``--n-samples``), so they give the same bits as the CLI:

- :func:`score` — ``smoothscore score``: the score (or weights, posterior mean, denoiser, drift)
  of the empirical distribution at time ``t`` for every query row.
- :func:`sample` — ``smoothscore sample``: samples of the reverse process (``shard=(k, K)``: only
  shard ``k`` of ``K``, for splitting a run over machines).
- :func:`eval` — ``smoothscore eval``: sample-quality metrics as a dict.
- :mod:`smoothscore.datasets` — ``smoothscore data``: the built-in and synthetic data sets.

Arrays: a float32, C-contiguous 2-D array is read in place (no copy); anything else is converted
first with ``numpy.ascontiguousarray(x, dtype=numpy.float32)`` (float64 rounds to nearest, as the
CLI does when it reads a float64 ``.npy``). Results are new float32 arrays. The GIL is released
while the library computes; do not write to an input array from another thread meanwhile.

Errors are ``ValueError`` (``OSError`` for files that cannot be read) with the CLI's one-line
message; an unknown keyword argument is a ``TypeError``.
"""

from . import datasets
from ._native import __version__, choices, defaults, eval, input_address, sample, score

__all__ = ["score", "sample", "eval", "datasets", "defaults", "choices", "input_address", "__version__"]
