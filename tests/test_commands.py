"""The command modules are thin callers (issue 16, item 1), and the moved names still work.

Truths: the source files themselves (line counts), argparse's own parsing of the parsers built
from the declared option tables, and object identity for the deprecated aliases (each must be
the very object of its new home, reached with a DeprecationWarning).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest

import rtrl_theory
from rtrl_theory._options import Option, flag
from rtrl_theory._train_options import TRAIN_DEFAULTS, TRAIN_OPTIONS, TRAIN_SCOPES
from rtrl_theory.cli import build_parser
from rtrl_theory.commands import COMMANDS
from rtrl_theory.commands._common import add_command, add_options

ROOT = Path(rtrl_theory.__file__).parent


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_module_is_under_60_lines(name):
    """The whole module counts: docstring, flags, handler (issue 16: under 60 lines a command)."""
    n = len((ROOT / "commands" / f"{name}.py").read_text().splitlines())
    assert n < 60, f"commands/{name}.py has {n} lines; move its logic into the library"


def test_the_entry_point_is_under_300_lines():
    assert len((ROOT / "cli.py").read_text().splitlines()) < 300


def test_every_command_is_registered_with_its_handler():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    names = {n.replace("_", "-") for n in COMMANDS}
    assert set(sub.choices) == names
    for parser in sub.choices.values():
        assert callable(parser.get_default("func"))


def test_a_group_of_declared_flags_is_mutually_exclusive():
    parser = argparse.ArgumentParser(prog="x", exit_on_error=False)
    add_options(parser, (
        flag("--quick", dest="quick", action="store_true", default=True, group="mode"),
        flag("--full", dest="quick", action="store_false", group="mode"),
        flag("--n", type=int, default=3),
    ))
    assert parser.parse_args(["--full"]).quick is False
    assert parser.parse_args([]).n == 3
    with pytest.raises(argparse.ArgumentError, match="not allowed with"):
        parser.parse_args(["--quick", "--full"])


def test_flag_refuses_no_names_and_names_its_dest():
    with pytest.raises(ValueError, match="flags"):
        flag()
    assert flag("-o", "--out-dir").dest == "out_dir"
    assert flag("--full", dest="quick").dest == "quick"
    assert isinstance(flag("datasets", nargs="+"), Option)


def test_add_command_registers_the_handler_and_the_texts():
    parser = argparse.ArgumentParser(prog="x")
    sub = parser.add_subparsers(dest="command")
    p = add_command(sub, "go", "short help", "long description", (flag("--k", type=int),), len)
    assert p.description == "long description"
    args = parser.parse_args(["go", "--k", "2"])
    assert args.func is len and args.k == 2


def test_train_scopes_and_defaults_name_flags_that_default_to_none():
    """A set-up-specific flag counts as given when not None: its parser default must be None."""
    defaults = {o.dest: o.kwargs.get("default") for o in TRAIN_OPTIONS}
    for dest, name, _applies, _where in TRAIN_SCOPES:
        assert dest in defaults and defaults[dest] is None, name
        assert name in next(o.flags for o in TRAIN_OPTIONS if o.dest == dest)
    for dest in TRAIN_DEFAULTS:
        assert dest in defaults and defaults[dest] is None, dest


def test_a_train_flag_outside_its_scope_is_refused(capsys):
    from rtrl_theory.cli import main

    assert main(["train", "--data", "synthetic", "--cell", "gru", "--out", "-"]) == 2
    err = capsys.readouterr().err
    assert "rtrl-theory train: error: --cell: applies only to --data shakespeare" in err


MOVED = [
    ("rtrl_theory.figures_cli", "run_figures", "rtrl_theory.figures", "run_figures"),
    ("rtrl_theory.figures_cli", "MANIFEST_SCHEMA", "rtrl_theory.figures", "MANIFEST_SCHEMA"),
    ("rtrl_theory.figures_cli", "_load_manifest", "rtrl_theory.figures", "_load_manifest"),
    ("rtrl_theory.figures_cli", "main", "rtrl_theory.commands.figures", "main"),
    ("rtrl_theory.figures_cli", "add_parser", "rtrl_theory.commands.figures", "add_parser"),
    ("rtrl_theory.report", "main", "rtrl_theory.commands.report", "main"),
    ("rtrl_theory.report", "add_parser", "rtrl_theory.commands.report", "add_parser"),
    ("rtrl_theory.online._cli", "format_table", "rtrl_theory.online._bias_table", "format_table"),
    ("rtrl_theory.online._cli", "cmd_estimators", "rtrl_theory.commands.estimators",
     "cmd_estimators"),
]


@pytest.mark.parametrize("old, name, new, new_name", MOVED)
def test_a_moved_name_warns_and_is_the_object_of_its_new_home(old, name, new, new_name):
    target = getattr(importlib.import_module(new), new_name)
    with pytest.warns(DeprecationWarning, match=new):
        assert getattr(importlib.import_module(old), name) is target


def test_the_deprecated_report_main_still_runs_the_command(tmp_path):
    from rtrl_theory import report

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.warns(DeprecationWarning):
        main = report.main
    assert main(["--verify-json", str(bad), "--out", str(tmp_path / "r")]) == 2
