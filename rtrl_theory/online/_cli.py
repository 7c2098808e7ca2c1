"""Deprecated module (one release): the ``estimators`` command moved.

The command (``add_parser``, ``cmd_estimators``) is :mod:`rtrl_theory.commands.estimators`; the
table it prints (``format_table``) and the run behind it are in
:mod:`rtrl_theory.online._bias_table`. Each name still works here, with a DeprecationWarning.
"""

import sys

from rtrl_theory._deprecation import moved_names

__getattr__ = moved_names(
    "rtrl_theory.online._cli",  # not __name__: "__main__" under python -m
    {
        "add_parser": "rtrl_theory.commands.estimators:add_parser",
        "cmd_estimators": "rtrl_theory.commands.estimators:cmd_estimators",
        "format_table": "rtrl_theory.online._bias_table:format_table",
    },
    why="the estimators command moved to rtrl_theory.commands.estimators",
)

if __name__ == "__main__":  # pragma: no cover
    from rtrl_theory.commands._common import run_one_command

    sys.exit(run_one_command("estimators", __getattr__("add_parser")))
