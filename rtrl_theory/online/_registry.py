"""Estimators by name: ``make_estimator("uoro", model, rng=...)``."""

from __future__ import annotations

import re

from ._base import OnlineEstimator
from ._eprop import EProp
from ._exact import ExactRTRL
from ._immediate import Immediate
from ._kfrtrl import KFRTRL
from ._rflo import RFLO
from ._snap import SnAp1, SnApN
from ._tbptt import TruncatedBPTT
from ._uoro import UORO

__all__ = ["ESTIMATOR_NAMES", "estimator_names", "make_estimator", "is_estimator_name"]

#: The names ``make_estimator`` accepts; ``snap-n`` and ``tbptt-tau`` take a positive integer.
ESTIMATOR_NAMES = (
    "exact",
    "uoro",
    "kf-rtrl",
    "snap-1",
    "snap-n",
    "rflo",
    "eprop",
    "immediate",
    "tbptt-tau",
)
#: The default set of the table: every estimator, SnAp at n = 1 and 2, TBPTT at tau = 8.
DEFAULT_TABLE = (
    "exact",
    "uoro",
    "kf-rtrl",
    "snap-1",
    "snap-2",
    "rflo",
    "eprop",
    "immediate",
    "tbptt-8",
)

_SIMPLE = {
    "exact": ExactRTRL,
    "uoro": UORO,
    "kf-rtrl": KFRTRL,
    "snap-1": SnAp1,
    "eprop": EProp,
    "immediate": Immediate,
}


def estimator_names() -> tuple[str, ...]:
    """Return the accepted names (``snap-n`` and ``tbptt-tau`` stand for ``snap-3``, ``tbptt-8``...).

    Returns
    -------
    tuple of str
        :data:`ESTIMATOR_NAMES`: ``"exact"``, ``"uoro"``, ``"kf-rtrl"``, ``"snap-n"``,
        ``"rflo"``, ``"eprop"``, ``"immediate"``, ``"tbptt-tau"``.

    See Also
    --------
    make_estimator : builds an estimator from one of them.
    """
    return ESTIMATOR_NAMES


def is_estimator_name(name) -> bool:
    if not isinstance(name, str):
        return False
    return (
        name in _SIMPLE
        or name == "rflo"
        or re.fullmatch(r"(snap|tbptt)-[1-9]\d*", name) is not None
    )


def make_estimator(estimator, model, *, rng=None) -> OnlineEstimator:
    """Return an estimator bound to ``model`` from a name, or ``estimator`` itself if it is one.

    Parameters
    ----------
    estimator : str or OnlineEstimator
        One of :data:`ESTIMATOR_NAMES`, with n and tau spelled out (``"snap-2"``,
        ``"tbptt-8"``).
    model : RNNModel
    rng : Generator, int or None
        Only RFLO draws at construction (its feedback matrix).

    Returns
    -------
    OnlineEstimator
        A new estimator bound to ``model`` (:class:`SnAp1` for ``"snap-1"``, :class:`SnApN`
        for n > 1, :class:`TruncatedBPTT` for ``"tbptt-tau"``, ...), or ``estimator`` itself.

    Raises
    ------
    ValueError
        For an unknown name, or an estimator object bound to another model.
    TypeError
        If ``estimator`` is neither a name nor an :class:`OnlineEstimator`.

    See Also
    --------
    estimator_names : the accepted names.
    """
    if isinstance(estimator, OnlineEstimator):
        if estimator.model is not model:
            raise ValueError("estimator: the estimator object is bound to another model")
        return estimator
    if not isinstance(estimator, str):
        raise TypeError(f"estimator: expected a name or an OnlineEstimator, got {estimator!r}")
    if estimator in _SIMPLE:
        return _SIMPLE[estimator](model)
    if estimator == "rflo":
        return RFLO(model, rng)
    m = re.fullmatch(r"(snap|tbptt)-([1-9]\d*)", estimator)
    if m:
        n = int(m.group(2))
        if m.group(1) == "snap":
            return SnApN(model, n) if n > 1 else SnAp1(model)
        return TruncatedBPTT(model, n)
    raise ValueError(
        f"estimator: unknown estimator {estimator!r}; expected one of "
        f"{', '.join(ESTIMATOR_NAMES)} (with n and tau as positive integers, e.g. 'snap-2', "
        f"'tbptt-8')"
    )
