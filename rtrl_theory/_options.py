"""Command-line options declared as data: :class:`Option`, one per flag.

A command's flags are a tuple of :class:`Option` (the argparse keywords of each flag, and the
mutually exclusive group it belongs to), kept next to the logic they configure; the parser is
built from such a tuple by :func:`rtrl_theory.commands._common.add_command`. Standard library
only, and no argparse: the library declares, the front end parses.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["MODEL_OPTIONS", "Option", "flag"]


class Option(NamedTuple):
    """One flag (or positional argument) of a command, as the keywords of ``add_argument``.

    Build it with :func:`flag`: ``flag("--steps", type=int, default=60, help="...")``.

    Attributes
    ----------
    flags : tuple of str
        The option strings (``("--out",)``) or a positional argument's name (``("datasets",)``).
    kwargs : dict
        The keywords of :meth:`argparse.ArgumentParser.add_argument` (type, default, help, ...).
    group : str or None
        Flags sharing a group name are mutually exclusive (one argparse group, created where its
        first member stands, so the help and usage keep the declared order).
    """

    flags: tuple
    kwargs: dict
    group: str | None = None

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments that holds the value (argparse's rule)."""
        if "dest" in self.kwargs:
            return self.kwargs["dest"]
        long = [f for f in self.flags if f.startswith("--")]
        return (long or list(self.flags))[0].lstrip("-").replace("-", "_")


def flag(*flags: str, group: str | None = None, **kwargs: Any) -> Option:
    """Return the :class:`Option` of ``flags`` with the ``add_argument`` keywords ``kwargs``.

    Parameters
    ----------
    *flags : str
        Option strings (``"--out"``), or one positional argument's name.
    group : str, optional
        Name of the mutually exclusive group of the flag.
    **kwargs
        The keywords of :meth:`argparse.ArgumentParser.add_argument`.

    Returns
    -------
    Option
        The declared option.
    """
    if not flags or not all(isinstance(f, str) and f for f in flags):
        raise ValueError(f"flags: expected one or more non-empty strings, got {flags!r}")
    return Option(tuple(flags), dict(kwargs), group)


#: The paper RNN's flags (:class:`~rtrl_theory.setups.PaperConfig`), shared by ``assumptions`` and
#: ``contraction``.
MODEL_OPTIONS = (
    flag("--n-hidden", type=int, default=4, help="N (default 4)"),
    flag("--n-input", type=int, default=2, help="d (default 2)"),
    flag("--c-f", type=float, default=None, help="scale of f (default 0.5/N)"),
    flag("--c-g", type=float, default=1.0, help="scale of g (default 1)"),
    flag("--bounded-map", default="tanh", help="tanh (default) or sigmoid"),
)
