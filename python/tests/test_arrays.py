"""Float32 C-contiguous input is read in place; other input is converted (and then has the bits
of the float32 conversion); the GIL is released while the library computes."""

import threading
import time
import tracemalloc

import numpy as np
import pytest
import smoothscore
from conftest import same_bits


def test_float32_c_contiguous_input_is_borrowed():
    array = np.arange(12, dtype=np.float32).reshape(6, 2)
    address, borrowed = smoothscore.input_address(array)
    assert borrowed and address == array.__array_interface__["data"][0]
    # A C-contiguous row slice is borrowed too, at its own offset.
    rows = array[2:5]
    address, borrowed = smoothscore.input_address(rows)
    assert borrowed and address == rows.__array_interface__["data"][0]


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float64).reshape(6, 2),
        np.asfortranarray(np.arange(12, dtype=np.float32).reshape(6, 2)),
        np.arange(24, dtype=np.float32).reshape(6, 4)[:, ::2],
        np.arange(12, dtype=">f4").reshape(6, 2),
        [[0.0, 1.0], [2.0, 3.0]],
    ],
    ids=["float64", "fortran", "strided", "big-endian", "list"],
)
def test_other_input_is_converted(array):
    address, borrowed = smoothscore.input_address(array)
    assert not borrowed
    if isinstance(array, np.ndarray):
        assert address != array.__array_interface__["data"][0]


def test_converted_input_has_the_bits_of_its_float32_conversion():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(50, 3))
    queries = rng.normal(size=(7, 3))
    want = smoothscore.score(data.astype(np.float32), queries.astype(np.float32), 0.2)
    assert same_bits(smoothscore.score(data, queries, 0.2), want)
    assert same_bits(smoothscore.score(np.asfortranarray(data), queries.tolist(), 0.2), want)


def test_score_makes_no_copy_of_float32_input():
    """tracemalloc sees NumPy's allocations: a converted copy of 32 MB of input would show."""
    rng = np.random.default_rng(1)
    data = rng.normal(size=(200_000, 20)).astype(np.float32)  # 16 MB
    queries = data[:8]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        smoothscore.score(data, queries, 0.5)
        borrowed_peak = tracemalloc.get_traced_memory()[1]
        data64 = data.astype(np.float64)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        smoothscore.score(data64, queries, 0.5)
        converted_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert borrowed_peak < 1_000_000, borrowed_peak
    assert converted_peak >= data.nbytes, converted_peak


def test_the_gil_is_released_while_computing():
    rng = np.random.default_rng(2)
    data = rng.normal(size=(20_000, 64)).astype(np.float32)
    queries = rng.normal(size=(2_000, 64)).astype(np.float32)
    elapsed = []

    def work():
        start = time.perf_counter()
        smoothscore.score(data, queries, 0.3, threads=1)
        elapsed.append(time.perf_counter() - start)

    worker = threading.Thread(target=work)
    ticks = 0
    worker.start()
    while worker.is_alive():
        time.sleep(0.001)  # needs the GIL back after each sleep
        ticks += 1
    worker.join()
    assert elapsed and elapsed[0] > 0.05, "the call was too short to tell"
    # Holding the GIL for the whole call would allow a few ticks at most.
    assert ticks >= 10, (ticks, elapsed)


def test_results_are_new_float32_c_arrays():
    out = smoothscore.sample(n_samples=5, steps=10)
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    assert out.shape == (5, 2) and out.flags["WRITEABLE"]
