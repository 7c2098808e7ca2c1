"""Command-line interface: ``rtrl-theory`` (also ``python -m rtrl_theory``).

The entry point only: each subcommand lives in its own module of :mod:`rtrl_theory.commands`
(registered by :func:`rtrl_theory.commands.register`).

Subcommands
-----------
verify       run the checks of ``proofs_checks`` and print the table (the toolkit's main job)
assumptions  check the hypotheses of the convergence theorem for a configuration
contraction  measure the W1 contraction rate of the joint process beside rho_bar
train        train a model online with RTRL or TBPTT and write a JSON run record atomically
fetch-data   download and verify the real data sets
figures      run the paper figure scripts
report       build the report of a run's outputs
estimators   the stationary bias of the online gradient estimators
"""

from __future__ import annotations

import argparse
import sys

from rtrl_theory.commands import register
from rtrl_theory.commands._common import run_one_command

__all__ = ["main", "build_parser", "run_one_command"]


def build_parser() -> argparse.ArgumentParser:
    """Build the ``rtrl-theory`` argument parser with every command's subparser.

    Returns
    -------
    argparse.ArgumentParser
        The top-level parser; each command module's ``add_parser`` registers its subcommand.
    """
    from rtrl_theory._version import __version__

    parser = argparse.ArgumentParser(
        prog="rtrl-theory",
        description=(
            "Check the convergence theory of Real-Time Recurrent Learning (Lam, Sirignano, "
            "Spiliopoulos, arXiv:2501.08040) symbolically and numerically, and train RNNs "
            "with exact RTRL or TBPTT."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``rtrl-theory`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status of the command (0 on success).
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args._argv = argv  # the full command line, for the records (``command``)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

