"""Errors are Python exceptions carrying the CLI's one-line message."""

import numpy as np
import pytest
import smoothscore


def cli_message(process):
    """The CLI's one error line without its `error: ` prefix and ` (see --help)` suffix."""
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    return lines[0].removeprefix("error: ").removesuffix(" (see --help)")


def test_an_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match=r"sample\(\) got an unexpected keyword argument 'n_sample'"):
        smoothscore.sample(n_sample=3)
    with pytest.raises(TypeError, match="the samples are returned"):
        smoothscore.sample(out="samples.npy")
    with pytest.raises(TypeError, match=r"score\(\) got an unexpected keyword argument 'out'"):
        smoothscore.score(np.zeros((2, 2)), np.zeros((1, 2)), 0.1, out="x.npy")


@pytest.mark.parametrize(
    "flag, value, keyword",
    [("--steps", "many", {"steps": "many"}), ("--steps", "0", {"steps": 0}), ("--process", "vq", {"process": "vq"})],
)
def test_a_bad_value_has_the_cli_message(run_cli, flag, value, keyword):
    process = run_cli("sample", flag, value, ok=False)
    assert process.returncode == 2
    with pytest.raises(ValueError) as error:
        smoothscore.sample(**keyword)
    assert str(error.value) == cli_message(process)


def test_a_misspelt_choice_names_the_nearest(run_cli):
    process = run_cli("data", "generate", "two-mons", "--out", "x.csv", ok=False)
    assert process.returncode == 2
    with pytest.raises(ValueError, match="a similar value exists: 'two-moons'") as error:
        smoothscore.datasets.generate("two-mons")
    assert str(error.value) == cli_message(process)


def test_a_library_error_has_the_cli_message(run_cli, tmp_path):
    data = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    np.save(tmp_path / "data.npy", data)
    for args, call in [
        (["--t", "-1"], lambda: smoothscore.score(data, data, -1)),
        (["--t", "0.1", "--what", "drift"], lambda: smoothscore.score(data, data, 0.1, what="drift")),
    ]:
        process = run_cli("score", "--data", "data.npy", "--queries", "data.npy", *args, "--out", "o.npy", ok=False)
        assert process.returncode == 1
        with pytest.raises(ValueError) as error:
            call()
        assert str(error.value) == cli_message(process)
        assert not (tmp_path / "o.npy").exists()


def test_shapes_are_checked():
    data = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="2-D"):
        smoothscore.score(data, np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="queries have 3 columns but the data has dimension 2"):
        smoothscore.score(data, np.zeros((1, 3)), 0.1)
    with pytest.raises(ValueError, match="not an array of numbers"):
        smoothscore.score(data, [["a", "b"]], 0.1)


def test_a_missing_file_is_an_os_error():
    with pytest.raises(OSError):
        smoothscore.datasets.generate("mnist", 4, mnist="/nonexistent/train-images-idx3-ubyte.gz")
