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


def stub_literals(function):
    """The options of `function` in the stub whose type is a Literal (directly or through a
    module-level alias), with the Literal's values."""
    tree = ast.parse(STUB.read_text())
    aliases = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    out = {}
    for arg in node.args.args + node.args.kwonlyargs:
        annotation = arg.annotation
        if isinstance(annotation, ast.Name) and annotation.id in aliases:
            annotation = aliases[annotation.id]
        if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", None) == "Literal":
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            out[arg.arg] = [ast.literal_eval(item) for item in items]
    return out


@pytest.mark.parametrize("function", ["score", "sample", "eval", "generate"])
def test_stub_literals_are_the_cli_choices(function):
    stub = {name: values for name, values in stub_literals(function).items() if name != "name"}
    cli = smoothscore.choices(function)
    assert set(stub) == set(cli), f"only in the stub: {set(stub) - set(cli)}; only in the CLI: {set(cli) - set(stub)}"
    for name, values in cli.items():
        assert stub[name] == values, name


def test_the_data_set_literal_is_the_cli_list():
    assert stub_literals("generate")["name"] == list(smoothscore.datasets.names())
