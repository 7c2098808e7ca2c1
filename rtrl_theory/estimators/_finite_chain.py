r"""Finite-state Markov chains, where the Poisson equation of [P1] Section 4 is solved exactly.

Finite-state Markov chains: a system where the Poisson equation of [P1] Section 4 is solved
exactly, to test the Monte Carlo estimators of :mod:`rtrl_theory.estimators._poisson`.

For a chain on states :math:`\{0, \dots, n-1\}` with transition matrix P (rows sum to 1) and a
function G (n,), the stationary law :math:`\pi` solves :math:`\pi P = \pi`, :math:`\bar G = \pi G`,
and the solution (4.3) :math:`v = \sum_{k\ge0}(P^k G - \bar G)` of (4.1) is the unique solution of

.. math:: (I - P) v = G - \bar G, \qquad \pi v = 0,

(the series has :math:`\pi v = \sum_k (\pi P^k G - \bar G) = 0`). With the discrete metric
:math:`d(i, j) = 1_{i\ne j}`, W1 is the total variation distance, the Dobrushin coefficient
:math:`\bar\rho = \max_{i,j} \|P(i,\cdot) - P(j,\cdot)\|_{TV}` is the W1 contraction constant,
:math:`L_G = \max_{i,j}|G_i - G_j|` the Lipschitz constant of G, and (4.6) and Lemma 4.3 read

.. math:: |v(i)| \le \frac{L_G (1 - \pi_i)}{1 - \bar\rho}, \qquad
          |v(i) - v(j)| \le \frac{L_G}{1 - \bar\rho}.

For two states, P = [[1-a, a], [b, 1-b]] with a + b <= 1, all three are equalities
(:math:`v_0 = (G_0 - G_1) a / (a + b)^2`), so the bounds are tight there.

:class:`FiniteChainProcess` simulates K particles with the interface that
:func:`~rtrl_theory.estimators.poisson_solution` takes (``step(z, rng)``, ``z.n_particles``,
``z.subset(idx)``): a step draws one uniform per particle and moves by inverse CDF, so two
ensembles stepped with generators in the same state are coupled with common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_array, as_rng

__all__ = [
    "FiniteChainProcess",
    "FiniteStates",
    "finite_chain_stationary",
    "finite_chain_poisson",
    "finite_chain_stationary_mean",
    "dobrushin_coefficient",
    "finite_chain_lipschitz",
]


def _check_P(P) -> np.ndarray:
    P = as_array(P, "P", ndim=2)
    n = P.shape[0]
    if P.shape != (n, n) or n < 1:
        raise ValueError(f"P: expected a square (n, n) transition matrix, got shape {P.shape}")
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-12):
        raise ValueError("P: expected non-negative entries with rows summing to 1")
    return P


def finite_chain_stationary(P) -> np.ndarray:
    r"""Return the stationary law :math:`\pi` of an irreducible finite chain ([P1] (2.25) on a finite space).

    Solves :math:`\pi (I - P) = 0`, :math:`\sum_i\pi_i = 1` by least squares on the stacked
    system (exact for an irreducible P).

    Parameters
    ----------
    P : array_like, shape (n, n)
        Transition matrix: non-negative entries, rows summing to 1.

    Returns
    -------
    pi : ndarray, shape (n,)

    Raises
    ------
    ValueError
        If P is not a transition matrix or has no unique stationary law.
    """
    P = _check_P(P)
    n = P.shape[0]
    A = np.vstack([(np.eye(n) - P).T, np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(A, b, rcond=None)
    if np.linalg.norm(A @ pi - b) > 1e-9:
        raise ValueError("P: the chain has no unique stationary law (not irreducible?)")
    return pi


def finite_chain_stationary_mean(P, G) -> float:
    r"""Return the centring constant :math:`\bar G = \pi G` of the Poisson equation (4.1) of [P1].

    Parameters
    ----------
    P : array_like, shape (n, n)
        Transition matrix.
    G : array_like, shape (n,)
        The function on the states.

    Returns
    -------
    float
    """
    G = as_array(G, "G", shape=(_check_P(P).shape[0],))
    return float(finite_chain_stationary(P) @ G)


def finite_chain_poisson(P, G) -> np.ndarray:
    r"""Return the solution (4.3) of the Poisson equation (4.1) of [P1] on a finite chain.

    :math:`(I - P) v = G - \bar G` with :math:`\pi v = 0`, the normalisation of the series
    :math:`v = \sum_{k\ge0}(P^k G - \bar G)` (4.3). Solved as one square system: :math:`(I - P + 1\pi) v = G - \bar G` (the fundamental matrix
    :math:`I - P + 1\pi` is invertible for an irreducible chain, and :math:`\pi v = 0` follows on
    multiplying by :math:`\pi`).

    Parameters
    ----------
    P : array_like, shape (n, n)
        Irreducible transition matrix.
    G : array_like, shape (n,)

    Returns
    -------
    v : ndarray, shape (n,)
        Satisfies (4.1) exactly and the bounds (4.6) and Lemma 4.3 (module docstring).
    """
    P = _check_P(P)
    n = P.shape[0]
    G = as_array(G, "G", shape=(n,))
    pi = finite_chain_stationary(P)
    Z = np.eye(n) - P + np.outer(np.ones(n), pi)
    return np.linalg.solve(Z, G - pi @ G)


def dobrushin_coefficient(P) -> float:
    r"""Return the Dobrushin coefficient :math:`\bar\rho = \max_{i,j}\tfrac12\sum_k|P_{ik} - P_{jk}|`.

    The W1 (= total variation) contraction constant of the chain under the discrete metric: the
    :math:`\bar\rho` of [P1] (3.45) and of the bounds (4.6) and Lemma 4.3 on a finite chain.

    Parameters
    ----------
    P : array_like, shape (n, n)

    Returns
    -------
    float in [0, 1]
    """
    P = _check_P(P)
    return float(0.5 * np.abs(P[:, None, :] - P[None, :, :]).sum(axis=2).max())


def finite_chain_lipschitz(G) -> float:
    r"""Return the Lipschitz constant :math:`L_G = \max_{i,j}|G_i - G_j|` under the discrete metric.

    The :math:`L_G` of [P1] (4.6) and Lemma 4.3 on a finite chain.

    Parameters
    ----------
    G : array_like, shape (n,)

    Returns
    -------
    float
    """
    G = as_array(G, "G", ndim=1)
    return float(G.max() - G.min())


@dataclass(frozen=True)
class FiniteStates:
    """K particles of a finite chain (the state z of [P1] Section 4 on a finite space).

    Attributes
    ----------
    s : ndarray of int, shape (K,)
        The particles' states.
    """

    s: np.ndarray

    @property
    def n_particles(self) -> int:
        return self.s.shape[0]

    def subset(self, idx) -> FiniteStates:
        return FiniteStates(np.array(self.s[idx], copy=True))


class FiniteChainProcess:
    """Particles of a finite chain with transition matrix P (see the module docstring).

    The process interface of :func:`~rtrl_theory.estimators.poisson_solution` (the series (4.3)
    of [P1]): ``step(z, rng)`` moves every particle by inverse CDF of one uniform, so two
    ensembles stepped with generators in the same state are coupled by common random numbers.

    Parameters
    ----------
    P : array_like, shape (n, n)
        Transition matrix.
    """

    def __init__(self, P):
        self.P = _check_P(P)
        self.n_states = self.P.shape[0]
        self._cdf = np.cumsum(self.P, axis=1)
        self._cdf[:, -1] = 1.0

    def initial(self, states) -> FiniteStates:
        s = np.asarray(states, dtype=np.int64).ravel()
        if s.size == 0 or s.min() < 0 or s.max() >= self.n_states:
            raise ValueError(f"states: expected integers in [0, {self.n_states}), got {states!r}")
        return FiniteStates(s.copy())

    def step(self, z: FiniteStates, rng) -> FiniteStates:
        u = as_rng(rng).random(z.n_particles)
        nxt = (u[:, None] > self._cdf[z.s]).sum(axis=1)
        return FiniteStates(nxt)

    def function(self, G):
        """``z -> G[z.s]``: a function of the state in the form the Poisson estimators take."""
        G = as_array(G, "G", shape=(self.n_states,))
        return lambda z: G[z.s]
