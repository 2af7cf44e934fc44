"""The data sets of ``smoothscore data``: :func:`generate` one as an array, :func:`names` lists them."""

from typing import Dict

from . import _native


def generate(name: str, n: int = 256, **options):
    """The data set ``name`` (one of :func:`names`) with ``n`` points, as ``smoothscore data generate NAME --n N`` makes it.

    Options are those of ``data generate``: ``seed=0``, ``dim=None`` (gaussian, gmm50, funnel,
    line), ``noise=0.0`` (two-moons, circle), ``mnist=None`` (path), ``digits=None`` (e.g.
    ``[0, 1]``), ``scale="unit"`` (``"symmetric"``: pixels in [−1, 1]). Returns an n × d float32
    array, bit for bit the file the CLI writes.
    """
    return _native.generate(name, n=n, **options)


def names() -> Dict[str, str]:
    """The names :func:`generate` knows, each with a line that says what it is."""
    return _native.data_sets()


__all__ = ["generate", "names"]
