"""Helpers shared by the ``rtrl-theory`` commands (:mod:`rtrl_theory.commands`).

Argument types and flag groups, output preparation with the standard error message, and
:func:`run_one_command` (``python -m rtrl_theory.<module>``). No command logic lives here, and
nothing here imports a command or the entry point :mod:`rtrl_theory.cli`.
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "add_model_args",
    "seed_arg",
    "terminal_width",
    "prepare_outputs_or_report",
    "pick",
    "error",
    "run_one_command",
]


def add_model_args(p):
    """Return the paper RNN's flags, shared by train and assumptions."""
    p.add_argument("--n-hidden", type=int, default=4, help="N (default 4)")
    p.add_argument("--n-input", type=int, default=2, help="d (default 2)")
    p.add_argument("--c-f", type=float, default=None, help="scale of f (default 0.5/N)")
    p.add_argument("--c-g", type=float, default=1.0, help="scale of g (default 1)")
    p.add_argument("--bounded-map", default="tanh", help="tanh (default) or sigmoid")


def seed_arg(text: str) -> int:
    """``--seed``: a non-negative integer (argparse type; a clear error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed: expected a non-negative integer, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed: expected a non-negative integer, got {value}")
    return value


def terminal_width() -> int | None:
    """Return the terminal's width when standard output is one, else None (the fixed default widths)."""
    import shutil

    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns



def prepare_outputs_or_report(command: str, options, binary=()):
    """Check (and lock) a command's outputs before any work (:mod:`rtrl_theory._outputs`).

    ``options`` is a sequence of ``(flag, path or None)``; flags in ``binary`` need a regular
    file (no '-', no device). Returns the :class:`~rtrl_theory._outputs.Outputs`, or None after
    printing the error (the caller exits 2).
    """
    from rtrl_theory._outputs import OutputError, OutputSpec, prepare_outputs

    specs = [
        OutputSpec(flag, path, stdout_ok=flag not in binary, stream_ok=flag not in binary)
        for flag, path in options
    ]
    try:
        return prepare_outputs(specs)
    except OutputError as exc:
        print(f"rtrl-theory {command}: error: {exc} (nothing was run)", file=sys.stderr)
        return None


def pick(value, default):
    return default if value is None else value



def error(command: str, msg, code: int = 2) -> int:
    """Print ``rtrl-theory <command>: error: <msg>`` on standard error; return ``code``."""
    print(f"rtrl-theory {command}: error: {msg}", file=sys.stderr)
    return code


def run_one_command(name: str, add_parser, argv=None) -> int:
    """Run one subcommand ``name`` (registered by ``add_parser(subparsers)``) outside ``main``.

    For ``python -m rtrl_theory.<module>``: ``argv`` may omit the command's name.
    """
    parser = argparse.ArgumentParser(prog="rtrl-theory")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != name:
        argv = [name, *argv]
    args = parser.parse_args(argv)
    args._argv = argv
    return args.func(args)

