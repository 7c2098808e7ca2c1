"""Deprecated module (one release): the figure runner is :mod:`rtrl_theory.figures`.

``rtrl_theory.figures_cli`` held both the figure runner and the ``figures`` command. The runner
(:func:`~rtrl_theory.figures.run_figures`, the manifest) now lives in :mod:`rtrl_theory.figures`
and the command in :mod:`rtrl_theory.commands.figures`. Every name of this module still works,
with a :class:`DeprecationWarning` naming its new home; ``python -m rtrl_theory.figures_cli`` still
runs the command (use ``rtrl-theory figures``).
"""

import sys

from rtrl_theory._deprecation import moved_names

_RUNNER = (
    "MANIFEST",
    "MANIFEST_SCHEMA",
    "companion_groups",
    "list_scripts",
    "locate_figures_package",
    "run_figures",
    "select_scripts",
    "_WORKER_ENV",
    "_check_dask",
    "_crashed",
    "_describe",
    "_keep_aside",
    "_load_manifest",
    "_module",
    "_now",
    "_rel",
    "_run_script",
    "_stale_files",
    "_worker_environment",
    "_write_manifest",
)
_COMMAND = {
    "add_parser": "rtrl_theory.commands.figures:add_parser",
    "main": "rtrl_theory.commands.figures:main",
    "_cmd_figures": "rtrl_theory.commands.figures:_cmd_figures",
    "_positive": "rtrl_theory.commands._common:positive_arg",
    "_positive_or_all": "rtrl_theory.commands._common:positive_or_all_arg",
}

__getattr__ = moved_names(
    "rtrl_theory.figures_cli",  # not __name__: "__main__" under python -m
    {**{name: f"rtrl_theory.figures:{name}" for name in _RUNNER}, **_COMMAND},
    why="the figure runner moved to rtrl_theory.figures, the command to rtrl_theory.commands",
)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(__getattr__("main")())
