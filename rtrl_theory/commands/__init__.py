"""The ``rtrl-theory`` commands, one per module; the entry point is :mod:`rtrl_theory.cli`.

Each command module (under 60 lines, ``tests/test_commands.py``) declares its flags as data (a
tuple of :func:`rtrl_theory._options.flag`; the long tables of ``train`` and ``contraction`` sit
in the library beside what they configure: :mod:`rtrl_theory._train_options`,
:mod:`rtrl_theory._contraction_options`), registers them with ``add_parser(subparsers)`` through
:func:`rtrl_theory.commands._common.add_command`, and handles them with a ``_cmd_*(args) -> int``
that calls the library (:mod:`rtrl_theory.setups`, :mod:`rtrl_theory.figures`,
:mod:`rtrl_theory.report`, the checks) and prints. :mod:`rtrl_theory.commands._common` holds what
they share. No module here imports :mod:`rtrl_theory.cli`.
"""

from __future__ import annotations

import importlib

__all__ = ["COMMANDS", "register"]

#: The command modules, in the order ``rtrl-theory --help`` lists them.
COMMANDS = (
    "verify",
    "assumptions",
    "contraction",
    "train",
    "fetch_data",
    "figures",
    "report",
    "estimators",
)


def register(subparsers) -> None:
    """Add every command's parser to ``subparsers`` (an argparse sub-parsers action)."""
    for name in COMMANDS:
        importlib.import_module(f"rtrl_theory.commands.{name}").add_parser(subparsers)
