r"""Scalar maps and their derivatives: the sigmoid of (2.19), activations and the bounded maps f, g.

[P1] (2.17)-(2.19) applies the sigmoid :math:`\sigma` to the pre-activation and two smooth bounded
maps, f on the recurrent weights B and g on the input weights W (Assumption 2.10). The project
fixes (THEORY.md section 2, CONVENTION) the default ``f(b) = c_f tanh(b)``, ``g(w) = c_g tanh(w)``
and offers the scaled sigmoid ``c (2 sigma(b) - 1)`` as an alternative.

Every map here is an object with ``value`` and ``deriv(x, n)`` for n = 1, 2, 3 and its constants
``sup |h^(n)|`` (``sup_abs``), which the a-priori bounds of Lemmas 3.5 and 3.7 use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ScalarMap",
    "Sigmoid",
    "Tanh",
    "ScaledTanh",
    "ScaledSigmoid",
    "Identity",
    "ReLU",
    "ELU",
    "bounded_map",
    "BOUNDED_MAPS",
    "SIGMOID_SUP",
    "TANH_SUP",
]

#: ``sup |sigma^(n)|`` for n = 0..4 (Lemma 2.9 and Appendix A of [P1]; n = 4 is an extension).
#: Closed forms: 1, 1/4, sqrt(3)/18, 1/8, sqrt((75 + 7 sqrt(105)) / 9000). The symbolic check of
#: Lemma 2.9 (proofs_checks) derives these independently; here they are the library's constants.
SIGMOID_SUP = (
    1.0,
    0.25,
    math.sqrt(3.0) / 18.0,
    0.125,
    math.sqrt((75.0 + 7.0 * math.sqrt(105.0)) / 9000.0),
)

#: ``sup |tanh^(n)|`` for n = 0..3: 1, 1, 4 sqrt(3)/9, 2.
TANH_SUP = (1.0, 1.0, 4.0 * math.sqrt(3.0) / 9.0, 2.0)


class ScalarMap:
    """A smooth scalar map applied entrywise, with derivatives up to third order.

    Subclasses implement :meth:`value` and :meth:`deriv`; ``sup_abs[n]`` is ``sup_x |h^(n)(x)|``
    (``inf`` where unbounded) and ``name`` is a short identifier.
    """

    name: str = "map"
    sup_abs: tuple[float, ...] = ()

    def __call__(self, x):
        return self.value(x)

    def value(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def deriv(self, x, n: int = 1):  # pragma: no cover - interface
        raise NotImplementedError

    def _check_order(self, n: int) -> None:
        if n not in (1, 2, 3):
            raise ValueError(f"n: derivative order must be 1, 2 or 3, got {n!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(ScalarMap):
    r"""The logistic sigmoid :math:`\sigma(u) = 1/(1 + e^{-u})` of (2.19).

    Derivatives use the polynomial-in-sigma form of Appendix A, with :math:`s = \sigma(u)`:
    :math:`\sigma' = s(1-s)`, :math:`\sigma'' = s(1-s)(1-2s)`,
    :math:`\sigma''' = s(1-s)(1 - 6s + 6s^2)`.
    """

    name = "sigmoid"
    sup_abs = SIGMOID_SUP[:4]

    def value(self, x):
        # 0.5 (1 + tanh(x/2)) is the overflow-free form of 1/(1+exp(-x)).
        return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))

    def deriv(self, x, n: int = 1):
        self._check_order(n)
        return self.deriv_from_value(self.value(x), n)

    @staticmethod
    def deriv_from_value(s, n: int = 1):
        """Return the derivative of order ``n`` expressed through ``s = sigma(u)`` (Appendix A of [P1])."""
        p1 = s * (1.0 - s)
        if n == 1:
            return p1
        if n == 2:
            return p1 * (1.0 - 2.0 * s)
        if n == 3:
            return p1 * (1.0 - 6.0 * s + 6.0 * s * s)
        raise ValueError(f"n: derivative order must be 1, 2 or 3, got {n!r}")


class Tanh(ScalarMap):
    """The hyperbolic tangent, with ``tanh' = 1 - t^2``, ``tanh'' = -2 t (1 - t^2)``."""

    name = "tanh"
    sup_abs = TANH_SUP

    def value(self, x):
        return np.tanh(x)

    def deriv(self, x, n: int = 1):
        self._check_order(n)
        t = np.tanh(x)
        q = 1.0 - t * t
        if n == 1:
            return q
        if n == 2:
            return -2.0 * t * q
        return q * (6.0 * t * t - 2.0)


@dataclass(frozen=True, repr=False)
class ScaledTanh(ScalarMap):
    r"""The bounded map :math:`h(x) = c \tanh(x)` (project default for f and g).

    Constants: :math:`C = c`, :math:`C' = c`, :math:`C'' = c \cdot 4\sqrt{3}/9`: the sup-norms
    :math:`C_f, C_f', C_f''` (or :math:`C_g, \dots`) of Assumption 2.6 of [P1], in
    :attr:`sup_abs`.

    Parameters
    ----------
    c : float, default 1.0
        The scale, :math:`\sup_x |h(x)| = c` (for f, the ``c_f`` of ``N C_f < 4``, Lemma 3.5).

    See Also
    --------
    ScaledSigmoid : the other bounded map, :math:`c\,(2\sigma - 1)`.
    bounded_map : build either by name.
    """

    c: float = 1.0
    name = "tanh"

    @property
    def sup_abs(self):
        return tuple(self.c * v for v in TANH_SUP)

    def value(self, x):
        return self.c * np.tanh(x)

    def deriv(self, x, n: int = 1):
        return self.c * Tanh().deriv(x, n)

    def __repr__(self) -> str:
        return f"ScaledTanh(c={self.c!r})"


@dataclass(frozen=True, repr=False)
class ScaledSigmoid(ScalarMap):
    r"""The bounded map :math:`h(x) = c (2\sigma(x) - 1) = c \tanh(x/2)`.

    Constants: :math:`C = c`, :math:`C' = c/2`, :math:`C'' = c\sqrt{3}/9`,
    :math:`C''' = c/4` (twice the sigmoid's, Lemma 2.9), in :attr:`sup_abs`.

    Parameters
    ----------
    c : float, default 1.0
        The scale, :math:`\sup_x |h(x)| = c`.

    See Also
    --------
    ScaledTanh : the project's default bounded map, :math:`c \tanh`.
    bounded_map : build either by name.
    """

    c: float = 1.0
    name = "sigmoid"

    @property
    def sup_abs(self):
        return (self.c,) + tuple(2.0 * self.c * v for v in SIGMOID_SUP[1:4])

    def value(self, x):
        return self.c * np.tanh(0.5 * np.asarray(x, dtype=float))

    def deriv(self, x, n: int = 1):
        return 2.0 * self.c * Sigmoid().deriv(x, n)

    def __repr__(self) -> str:
        return f"ScaledSigmoid(c={self.c!r})"


class Identity(ScalarMap):
    """The identity map (used by the Elman and linear cells, where weights are unconstrained)."""

    name = "identity"
    sup_abs = (math.inf, 1.0, 0.0, 0.0)

    def value(self, x):
        return np.asarray(x, dtype=float)

    def deriv(self, x, n: int = 1):
        self._check_order(n)
        x = np.asarray(x, dtype=float)
        return np.ones_like(x) if n == 1 else np.zeros_like(x)


class ReLU(ScalarMap):
    """``max(x, 0)``; its derivative at 0 is taken as 0 and higher derivatives as 0 (a.e.)."""

    name = "relu"
    sup_abs = (math.inf, 1.0, 0.0, 0.0)

    def value(self, x):
        return np.maximum(x, 0.0)

    def deriv(self, x, n: int = 1):
        self._check_order(n)
        x = np.asarray(x, dtype=float)
        return (x > 0.0).astype(float) if n == 1 else np.zeros_like(x)


class ELU(ScalarMap):
    """``x`` for x > 0, ``exp(x) - 1`` otherwise (unit scale)."""

    name = "elu"
    sup_abs = (math.inf, 1.0, 1.0, 1.0)

    def value(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0.0, x, np.expm1(np.minimum(x, 0.0)))

    def deriv(self, x, n: int = 1):
        self._check_order(n)
        x = np.asarray(x, dtype=float)
        e = np.exp(np.minimum(x, 0.0))
        if n == 1:
            return np.where(x > 0.0, 1.0, e)
        return np.where(x > 0.0, 0.0, e)


BOUNDED_MAPS = ("tanh", "sigmoid")


def bounded_map(kind: str, c: float, *, name: str = "bounded_map") -> ScalarMap:
    """Return the bounded map ``c * tanh`` (``kind="tanh"``) or ``c * (2 sigma - 1)`` (``"sigmoid"``).

    Parameters
    ----------
    kind : {"tanh", "sigmoid"}
    c : float
        Scale, ``sup |h| = c``; must be positive and finite.
    name : str, default "bounded_map"
        Argument name used in error messages.

    Returns
    -------
    ScalarMap
        :class:`ScaledTanh` or :class:`ScaledSigmoid` with scale ``c``: the f or g of (2.17) of
        [P1] (Assumption 2.6), with its sup-norms in ``sup_abs``.

    Raises
    ------
    ValueError
        If ``kind`` is not ``"tanh"`` or ``"sigmoid"``, or ``c`` is not positive and finite.
    """
    c = _positive_finite(c, "c" if name == "bounded_map" else name)
    if kind == "tanh":
        return ScaledTanh(c)
    if kind == "sigmoid":
        return ScaledSigmoid(c)
    raise ValueError(
        f"bounded_map: unknown bounded map {kind!r}; expected one of {', '.join(BOUNDED_MAPS)}"
    )


def _positive_finite(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a positive finite number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")
    return v
