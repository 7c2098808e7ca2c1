r"""Learning-rate schedules and Assumption 2.14 of [P1] (Robbins-Monro conditions).

Assumption 2.14: :math:`\eta_t` is monotone decreasing, :math:`\sum_t\eta_t = \infty` and
:math:`\sum_t\eta_t^2 < \infty`. The family used throughout the project is

.. math:: \eta_t = \frac{\eta_0}{(1 + t/t_0)^\gamma},

which satisfies the assumption exactly when :math:`\tfrac12 < \gamma \le 1` (and
:math:`\eta_0, t_0 > 0`): the sums behave like :math:`\sum t^{-\gamma}` and
:math:`\sum t^{-2\gamma}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import nonnegative, positive

__all__ = ["PowerSchedule", "robbins_monro_violations", "validate_schedule"]


@dataclass(frozen=True)
class PowerSchedule:
    r"""The schedule :math:`\eta_t = \eta_0 (1 + t/t_0)^{-\gamma}`, t = 0, 1, 2, ...

    Parameters
    ----------
    eta0 : float > 0
    t0 : float > 0
    gamma : float >= 0
        ``gamma = 0`` is a constant learning rate (not Robbins-Monro).

    Examples
    --------
    >>> s = PowerSchedule.parse("eta0=0.1,t0=100,gamma=0.75")
    >>> s(0), round(s(100), 6)
    (0.1, 0.05946)
    >>> robbins_monro_violations(s)
    []
    """

    eta0: float
    t0: float = 1000.0
    gamma: float = 0.75

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta0", positive(self.eta0, "eta0"))
        object.__setattr__(self, "t0", positive(self.t0, "t0"))
        object.__setattr__(self, "gamma", nonnegative(self.gamma, "gamma"))

    def __call__(self, t):
        """Learning rate at step ``t`` (scalar or array of non-negative step indices)."""
        eta = self.eta0 / (1.0 + np.asarray(t, dtype=float) / self.t0) ** self.gamma
        return float(eta) if eta.ndim == 0 else eta

    def to_dict(self) -> dict:
        return {"kind": "power", "eta0": self.eta0, "t0": self.t0, "gamma": self.gamma}

    def __str__(self) -> str:
        return f"eta0={self.eta0:g},t0={self.t0:g},gamma={self.gamma:g}"

    @classmethod
    def parse(cls, text: str) -> PowerSchedule:
        """Parse ``"eta0=0.1,t0=100,gamma=0.75"`` (keys in any order; t0, gamma optional)."""
        if not isinstance(text, str):
            raise TypeError(
                f"schedule: expected a string like 'eta0=0.1,t0=100,gamma=0.75', got {text!r}"
            )
        fields = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or key not in ("eta0", "t0", "gamma"):
                raise ValueError(
                    f"schedule: cannot read {part!r}; expected comma-separated eta0=..., t0=..., "
                    f"gamma=... (for example 'eta0=0.1,t0=100,gamma=0.75')"
                )
            if key in fields:
                raise ValueError(
                    f"schedule: {key} is given twice in {text!r}; give each of eta0, t0, gamma "
                    f"at most once"
                )
            try:
                fields[key] = float(value)
            except ValueError:
                raise ValueError(
                    f"schedule: {key} must be a number, got {value.strip()!r}"
                ) from None
        if "eta0" not in fields:
            raise ValueError("schedule: eta0 is required, e.g. 'eta0=0.1,t0=100,gamma=0.75'")
        return cls(**fields)


def robbins_monro_violations(schedule) -> list[str]:
    r"""Return the reasons why ``schedule`` violates Assumption 2.14 (empty if it satisfies it).

    A :class:`PowerSchedule` is decided exactly from gamma. Any other callable cannot be decided
    from finitely many values and is reported as unverifiable.

    Parameters
    ----------
    schedule : PowerSchedule or callable
        The learning rate :math:`t \mapsto \eta_t`. For :math:`\eta_t = \eta_0/(1 + t/t_0)^\gamma`
        Assumption 2.14 of [P1] (monotone decrease, :math:`\sum\eta_t = \infty`,
        :math:`\sum\eta_t^2 < \infty`) holds exactly when :math:`1/2 < \gamma \le 1`.

    Returns
    -------
    list of str
        One sentence per violated condition; empty when the schedule satisfies Assumption 2.14.

    See Also
    --------
    validate_schedule : raises on a violation.
    """
    if not isinstance(schedule, PowerSchedule):
        return [
            "the schedule is not a PowerSchedule, so Assumption 2.14 cannot be verified "
            "(monotone decrease, sum eta_t = inf, sum eta_t^2 < inf)"
        ]
    g = schedule.gamma
    out = []
    if g == 0.0:
        out.append("gamma = 0 gives a constant learning rate, which is not decreasing")
    if g <= 0.5:
        out.append(f"gamma = {g:g} <= 1/2, so sum eta_t^2 = inf")
    if g > 1.0:
        out.append(f"gamma = {g:g} > 1, so sum eta_t < inf")
    return out


def validate_schedule(schedule, *, allow_non_robbins_monro: bool = False):
    r"""Return ``schedule`` if it satisfies Assumption 2.14, else raise (unless allowed).

    Parameters
    ----------
    schedule : PowerSchedule or callable
        The learning rate :math:`t \mapsto \eta_t` of (2.24)-(2.26) of [P1]; ``schedule(0)``
        must be a positive finite number.
    allow_non_robbins_monro : bool, default False
        Accept a schedule that violates Assumption 2.14 (or cannot be checked) instead of
        raising.

    Returns
    -------
    PowerSchedule or callable
        ``schedule`` itself, unchanged.

    Raises
    ------
    ValueError
        Naming each violated condition; pass ``allow_non_robbins_monro=True`` to run anyway
        (the convergence theorem of [P1] then does not apply).
    TypeError
        If ``schedule`` is not callable.

    See Also
    --------
    robbins_monro_violations : the list of violated conditions.
    """
    if not callable(schedule):
        raise TypeError(
            f"schedule: expected a PowerSchedule or a callable t -> eta_t, got {schedule!r}"
        )
    problems = robbins_monro_violations(schedule)
    if problems and not allow_non_robbins_monro:
        raise ValueError(
            "schedule: violates Assumption 2.14 of [P1] (Robbins-Monro): "
            + "; ".join(problems)
            + ". Use 0.5 < gamma <= 1, or pass allow_non_robbins_monro=True "
            "(--allow-non-robbins-monro) to run outside the theorem's hypotheses."
        )
    eta = schedule(0)
    if not (np.isscalar(eta) or np.ndim(eta) == 0) or not math.isfinite(float(eta)) or eta <= 0:
        raise ValueError(f"schedule: eta_0 must be a positive finite number, got {eta!r}")
    return schedule
