"""``rtrl-theory estimators``: the online gradient estimators' bias (:mod:`rtrl_theory.online`)."""

from rtrl_theory.online._cli import add_parser

__all__ = ["add_parser"]
