r"""When a training run has diverged: growth of the loss or of the parameters, not only overflow.

A run is **diverged** at step t when any of

1. its per-step loss or its parameters are not finite (the trainer's original rule);
2. its *windowed loss* -- the mean of the per-step losses over the last ``window`` steps up to t
   -- exceeds ``loss_factor`` times its *initial loss*, the mean over its first ``window`` steps
   (checked once the first window is complete);
3. the Euclidean norm of its parameters exceeds ``theta_bound`` (checked at the end of each
   record interval, where the trainer sees the parameters).

Defaults and why
----------------
``loss_factor = 1000``. A run that learns lowers its loss; one whose learning rate is merely
large fluctuates around its initial level, within a few times of it. The per-step losses are
nonnegative, so a window mean :math:`1000\times` the initial mean needs errors about 30 times
larger than at the start for the squared loss :math:`\tfrac12(\hat Y - Y)^2` of [P1], or a mean
cross-entropy of :math:`1000 \ln V` nats (4,200 nats for 65 characters), far beyond any model
that still predicts. (Evidence, not proof: every training run of the project's test suite --
learning, sweeps, resume, real data -- completes under the defaults as before.)
``theta_bound = 1e6``. The parameters act through bounded maps (:math:`c\tanh`) or a linear head:
the recurrent units saturate for pre-activations beyond about 20, and the project's trained
models have :math:`|\theta|` of order 1 to 100; a norm of a million carries no information and
precedes overflow of the head's output.
``window = 100`` steps: long enough that one noisy step (a loss of, say, 50 times the mean) cannot
trigger rule 2, short enough to stop a run within a few hundred steps of its blow-up.

Both rules can be switched off (``None``). :func:`divergence_step` applies rules 1-2 to a loss
array; figure scripts and sweeps use it on recorded losses, the trainer between chunks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["DivergenceRule", "DEFAULT_DIVERGENCE", "divergence_step", "is_diverged"]


@dataclass(frozen=True)
class DivergenceRule:
    r"""The divergence rule of the module docstring.

    Attributes
    ----------
    loss_factor : float or None
        Diverged when the windowed loss exceeds ``loss_factor`` times the initial loss (> 1; None
        switches the rule off).
    theta_bound : float or None
        Diverged when :math:`|\theta|_2` exceeds it (> 0; None switches it off).
    window : int
        Steps of the initial and of the running window (>= 1).
    """

    loss_factor: float | None = 1000.0
    theta_bound: float | None = 1e6
    window: int = 100

    def __post_init__(self):
        if self.loss_factor is not None and not (
            isinstance(self.loss_factor, (int, float)) and self.loss_factor > 1
        ):
            raise ValueError(
                f"divergence loss_factor: expected a number > 1 (or None: off), got "
                f"{self.loss_factor!r}"
            )
        if self.theta_bound is not None and not (
            isinstance(self.theta_bound, (int, float)) and self.theta_bound > 0
        ):
            raise ValueError(
                f"divergence theta_bound: expected a positive number (or None: off), got "
                f"{self.theta_bound!r}"
            )
        if isinstance(self.window, bool) or not isinstance(self.window, (int, np.integer)) or (
            self.window < 1
        ):
            raise ValueError(f"divergence window: expected a positive integer, got {self.window!r}")

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "rule": "diverged when a loss or parameter is non-finite, or the mean loss of the "
            "last `window` steps exceeds `loss_factor` x the mean of the first `window` steps, "
            "or |theta|_2 exceeds `theta_bound`",
        }

    @classmethod
    def coerce(cls, rule) -> DivergenceRule:
        """``None`` -> the defaults; a dict -> ``DivergenceRule(**dict)``; a rule as it is."""
        if rule is None:
            return DEFAULT_DIVERGENCE
        if isinstance(rule, cls):
            return rule
        if isinstance(rule, dict):
            return cls(**{k: v for k, v in rule.items() if k != "rule"})
        raise TypeError(f"divergence: expected a DivergenceRule or a dict, got {rule!r}")

    def theta_message(self, theta) -> str | None:
        """None when ``theta`` passes rule 3, else the reason."""
        if self.theta_bound is None:
            return None
        theta = np.asarray(theta, dtype=float)
        top = float(np.max(np.abs(theta))) if theta.size else 0.0
        if not math.isfinite(top):
            return f"|theta| is not finite ({top})"
        norm = top * math.sqrt(float(np.sum((theta / top) ** 2))) if top > 0 else 0.0
        if norm > self.theta_bound:
            return f"|theta| = {norm:.3g} exceeds the bound {self.theta_bound:g}"
        return None


DEFAULT_DIVERGENCE = DivergenceRule()


def divergence_step(losses, rule: DivergenceRule | None = None, *, start: int = 0):
    """First step t >= ``start`` at which rules 1-2 declare ``losses`` diverged.

    Parameters
    ----------
    losses : array (T,)
        Per-step losses from step 0 of the run.
    rule : DivergenceRule, optional
        Default :data:`DEFAULT_DIVERGENCE`.
    start : int
        Steps before it are taken as already checked.

    Returns
    -------
    (int, str) or (None, None)
        The step and the reason.
    """
    rule = DivergenceRule.coerce(rule)
    L = np.asarray(losses, dtype=float).reshape(-1)
    T = L.shape[0]
    bad = ~np.isfinite(L[start:])
    first_bad = start + int(np.argmax(bad)) if bad.any() else T
    if rule.loss_factor is not None and T >= rule.window:
        w = rule.window
        L0 = float(L[:w].mean())
        lo = max(start, w)  # the first window is the reference: checked from step w on
        if lo < first_bad:
            # windows (t - w, t] for t in [lo, first_bad); sums of huge values overflow to inf,
            # which still compares as diverged (a running cumsum would give inf - inf = nan)
            seg = L[lo - w + 1 : first_bad]
            with np.errstate(over="ignore", invalid="ignore"):
                means = np.lib.stride_tricks.sliding_window_view(seg, w).mean(axis=1)
            t = np.arange(lo, first_bad)
            over = means > rule.loss_factor * L0
            if over.any():
                i = int(t[np.argmax(over)])
                return i, (
                    f"the mean loss of steps {i - w + 1}-{i} ({means[np.argmax(over)]:.4g}) "
                    f"exceeds {rule.loss_factor:g} x the initial loss ({L0:.4g}, steps 0-{w - 1})"
                )
    if first_bad < T:
        return first_bad, f"loss became non-finite ({L[first_bad]}) at step {first_bad}"
    return None, None


def is_diverged(losses, rule: DivergenceRule | None = None, final_theta=None) -> bool:
    """Return True when ``losses`` (and ``final_theta``, if given) are diverged under ``rule``.

    Applies rules 1-2 of the module docstring to the whole loss array (:func:`divergence_step`)
    and, when ``final_theta`` is given, rule 3 and finiteness to it.

    Parameters
    ----------
    losses : array_like, shape (T,)
        Per-step losses from step 0 of the run.
    rule : DivergenceRule or dict, optional
        The thresholds; None (the default) is :data:`DEFAULT_DIVERGENCE` (``loss_factor``
        1000, ``theta_bound`` 1e6, ``window`` 100).
    final_theta : array_like, shape (P,), optional
        The parameters at the end of the run; None (the default) checks the losses only.

    Returns
    -------
    bool
        True if a rule declares the run diverged.

    See Also
    --------
    divergence_step : the first diverged step and the reason.
    """
    rule = DivergenceRule.coerce(rule)
    if divergence_step(losses, rule)[0] is not None:
        return True
    if final_theta is not None:
        th = np.asarray(final_theta, dtype=float)
        return (not np.all(np.isfinite(th))) or rule.theta_message(th) is not None
    return False
