"""Helpers shared by the ``rtrl-theory`` commands (:mod:`rtrl_theory.commands`).

The generic parser builder :func:`add_command` (a command's flags are a tuple of
:class:`~rtrl_theory._options.Option`), argument types and flag groups, output preparation with
the standard error message, the "wrote PATH" writers, and :func:`run_one_command` (``python -m``
of one command). No command logic lives here, and nothing here imports a command or the entry
point :mod:`rtrl_theory.cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from rtrl_theory._options import MODEL_OPTIONS

__all__ = [
    "MODEL_OPTIONS",
    "add_command",
    "add_model_args",
    "add_options",
    "announce_json",
    "announce_figure",
    "announce_text",
    "error",
    "pick",
    "positive_arg",
    "positive_or_all_arg",
    "prepare_outputs_or_report",
    "released_on_failure",
    "run_one_command",
    "say",
    "seed_arg",
    "show",
    "terminal_width",
    "warn",
]

def add_options(parser, options) -> None:
    """Add ``options`` (a sequence of :class:`~rtrl_theory._options.Option`) to ``parser``.

    Options sharing a ``group`` go into one mutually exclusive group, created where its first
    member stands.
    """
    groups: dict = {}
    for opt in options:
        target = parser
        if opt.group is not None:
            if opt.group not in groups:
                groups[opt.group] = parser.add_mutually_exclusive_group()
            target = groups[opt.group]
        target.add_argument(*opt.flags, **opt.kwargs)


def add_command(sub, name: str, help: str, description: str, options, func):
    """Register the subcommand ``name`` with its ``options`` and its handler ``func(args) -> int``.

    ``sub`` is the sub-parsers action of the ``rtrl-theory`` parser; returns the new parser.
    """
    parser = sub.add_parser(name, help=help, description=description)
    add_options(parser, options)
    parser.set_defaults(func=func)
    return parser


def add_model_args(p):
    """Add the paper RNN's flags (:data:`MODEL_OPTIONS`) to the parser ``p``."""
    add_options(p, MODEL_OPTIONS)


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


def positive_arg(text: str) -> int:
    """Parse a positive integer (argparse type)."""
    n = _int_or_zero(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def positive_or_all_arg(text: str) -> int:
    """Parse a positive integer, or -1 for "one per core" (argparse type)."""
    n = _int_or_zero(text)
    if n < 1 and n != -1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or -1, got {text!r}")
    return n


def _int_or_zero(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


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


@contextlib.contextmanager
def released_on_failure(outputs):
    """Release ``outputs`` (their lock files) if the block raises anything, then re-raise."""
    try:
        yield outputs
    except BaseException:
        outputs.release()
        raise


def show(text: str, outputs) -> None:
    """Print a command's table: on standard output, or standard error when an output is '-'."""
    print(text, file=sys.stderr if outputs.to_stdout else sys.stdout)


def announce_json(path, data) -> None:
    """Write ``data`` as JSON at ``path`` atomically (when ``path`` is given) and say so on stderr."""
    if path:
        from rtrl_theory._outputs import write_json_atomic

        write_json_atomic(path, data)
        print(f"wrote {path}", file=sys.stderr)


def announce_text(path, text: str) -> None:
    """Write ``text`` at ``path`` (when ``path`` is given; '-': standard output) and say so."""
    if path:
        from rtrl_theory._outputs import write_text

        write_text(path, text)
        print(f"wrote {path}", file=sys.stderr)


def announce_figure(path, make) -> None:
    """Save the figure ``make()`` at ``path`` (when ``path`` is given) and say so on stderr."""
    if path:
        from rtrl_theory.plotting import save_figure

        save_figure(make(), path)
        print(f"wrote {path}", file=sys.stderr)


def warn(msg) -> None:
    """Print ``warning: <msg>`` on standard error."""
    print(f"warning: {msg}", file=sys.stderr)


def pick(value, default):
    """Return ``default`` when ``value`` is None, else ``value``."""
    return default if value is None else value


def error(command: str, msg, code: int = 2) -> int:
    """Print ``rtrl-theory <command>: error: <msg>`` on standard error; return ``code``."""
    say(command, f"error: {msg}")
    return code


def say(command: str, msg) -> None:
    """Print ``rtrl-theory <command>: <msg>`` on standard error."""
    print(f"rtrl-theory {command}: {msg}", file=sys.stderr)


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
