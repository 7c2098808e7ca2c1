"""Deprecated aliases of names that left a subpackage's face (kept for one release).

A subpackage whose ``__all__`` lost a name defines ``__getattr__ = moved_names(__name__, {...})``:
reading the old name warns (:class:`DeprecationWarning`, naming the new place) and returns the
same object, imported lazily from its new home.
"""

from __future__ import annotations

import importlib
import warnings


def moved_names(
    package: str,
    targets: dict[str, str],
    why: str = "plumbing, not part of the public API",
):
    """Build a module-level ``__getattr__`` for ``package`` that serves ``targets`` with a warning.

    Parameters
    ----------
    package : str
        The subpackage's ``__name__`` (e.g. ``"rtrl_theory.engine"``).
    targets : dict of str to str
        Old name -> ``"module.path:attribute"`` of the object's canonical home.
    why : str
        Why the name moved, said in the warning (default: it is plumbing, not public API).

    Returns
    -------
    callable
        ``__getattr__(name)``: the object, after a :class:`DeprecationWarning`; AttributeError for
        any other name.
    """

    def __getattr__(name: str):
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = target.partition(":")
        warnings.warn(
            f"{package}.{name} is deprecated and will be removed in the next release "
            f"({why}); it lives in {module}.{attr}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), attr)

    return __getattr__
