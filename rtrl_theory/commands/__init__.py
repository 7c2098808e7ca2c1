"""The ``rtrl-theory`` commands, one per module; the entry point is :mod:`rtrl_theory.cli`.

Each command module defines ``add_parser(subparsers)`` (its flags) and a ``_cmd_*(args) -> int``
of a few dozen lines that calls the library (:mod:`rtrl_theory.setups`, the runners, the checks);
:mod:`rtrl_theory.commands._common` holds what they share. No module here imports
:mod:`rtrl_theory.cli`.
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
