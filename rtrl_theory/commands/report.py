"""``rtrl-theory report``: build the report from a run's outputs (:mod:`rtrl_theory.report`)."""

from rtrl_theory.report import add_parser

__all__ = ["add_parser"]
