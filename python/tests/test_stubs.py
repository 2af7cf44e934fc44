"""The type stubs ship and name every option with the CLI's default."""

import ast
import pathlib

import pytest
import smoothscore

STUB = pathlib.Path(smoothscore.__file__).with_name("_native.pyi")


def stub_defaults(function):
    tree = ast.parse(STUB.read_text())
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    args = node.args
    return {a.arg: ast.literal_eval(d) for a, d in zip(args.kwonlyargs, args.kw_defaults)}


def test_the_package_ships_stubs_and_py_typed():
    assert STUB.is_file()
    assert STUB.with_name("py.typed").is_file()


@pytest.mark.parametrize("function", ["score", "sample", "eval", "generate"])
def test_stub_defaults_are_the_cli_defaults(function):
    stub = stub_defaults(function)
    cli = smoothscore.defaults(function)
    assert set(stub) == set(cli), f"only in the stub: {set(stub) - set(cli)}; only in the CLI: {set(cli) - set(stub)}"
    for name, default in cli.items():
        if default is None or isinstance(stub[name], str):
            assert stub[name] == default, name
        else:
            assert float(default) == stub[name], name
