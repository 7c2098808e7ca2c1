"""``rtrl-theory figures``: run the paper figure scripts (the runner is :mod:`rtrl_theory.figures_cli`)."""

from rtrl_theory.figures_cli import add_parser

__all__ = ["add_parser"]
