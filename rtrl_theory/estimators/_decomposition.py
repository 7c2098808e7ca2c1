r"""The descent decomposition (2.28), (5.1)-(5.4) of [P1], step by step along an online run.

Along a run of SGD, :math:`\theta_{t+1} = \theta_t - \eta_t\tilde G_t` ((2.26)), a stationary
oracle of the limit loss (:math:`L`, :math:`\nabla L`, :math:`\nabla^2 L` at a frozen parameter:
the closed form of ``rtrl_theory.oracles`` on linear-Gaussian systems) splits each change of the
limit loss as

.. math:: L(\theta_{t+1}) - L(\theta_t) =
          \underbrace{-\eta_t|\nabla L(\theta_t)|^2}_{D_t\ \text{(descent)}}
          \underbrace{-\,\eta_t\nabla L(\theta_t)\cdot(\tilde G_t - \nabla L(\theta_t))}_{F_t\
          \text{(fluctuation)}} + R_t,

where :math:`\tilde G_t - \nabla L(\theta_t) = v - Pv` is the Poisson fluctuation of Section 4
and :math:`R_t = L(\theta_{t+1}) - L(\theta_t) - \nabla L(\theta_t)\cdot(\theta_{t+1} -
\theta_t)` is the Taylor remainder (Lemma 5.5: :math:`|R_t| \le C\eta_t^2`). The online
directions :math:`\tilde G_t = -(\theta_{t+1} - \theta_t)/\eta_t` come from the recorded
parameter path (every step recorded), the oracle only from :math:`\theta`: the two routes share no
pathwise computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Decomposition", "descent_decomposition"]


@dataclass(frozen=True)
class Decomposition:
    r"""Per-step terms of the decomposition (module docstring); arrays of length T.

    Attributes
    ----------
    steps : ndarray of int (T,)
    eta : ndarray (T,)
    loss : ndarray (T + 1,)
        :math:`L(\theta_t)`, t = 0..T.
    grad : ndarray (T + 1, P)
    hess_norm : ndarray (T + 1,)
        Spectral norm of :math:`\nabla^2 L(\theta_t)`.
    hess_change : ndarray (T,)
        :math:`\|\nabla^2 L(\theta_{t+1}) - \nabla^2 L(\theta_t)\|_2`.
    direction : ndarray (T, P)
        :math:`\tilde G_t`.
    descent, fluctuation, remainder : ndarray (T,)
        :math:`D_t`, :math:`F_t`, :math:`R_t`.
    noise : ndarray (T, P)
        :math:`\tilde G_t - \nabla L(\theta_t)`.
    """

    steps: np.ndarray
    eta: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    hess_norm: np.ndarray
    hess_change: np.ndarray
    direction: np.ndarray
    descent: np.ndarray
    fluctuation: np.ndarray
    remainder: np.ndarray
    noise: np.ndarray

    def to_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}


def descent_decomposition(result, schedule, oracle) -> Decomposition:
    r"""Decompose :math:`L(\theta_{t+1}) - L(\theta_t)` along ``result`` (module docstring).

    Parameters
    ----------
    result : TrainResult
        An SGD run of :func:`~rtrl_theory.runners.train_online` recorded at every step
        (``record_every=1``: ``path_steps == 0, 1, ..., T``).
    schedule : callable
        Its learning-rate schedule.
    oracle : callable
        ``oracle(theta) -> (L, grad L (P,), Hessian (P, P))`` at a frozen parameter.

    Returns
    -------
    Decomposition
    """
    steps = np.asarray(result.path_steps)
    if steps.size < 2 or not np.array_equal(steps, np.arange(steps.size)):
        raise ValueError("result: expected a run recorded at every step (record_every=1)")
    if "sgd" not in str(result.config.get("optimizer", "sgd")).lower():
        raise ValueError("result: the decomposition (2.28) is for the SGD update")
    path = np.asarray(result.param_path, dtype=float)
    T = steps.size - 1
    eta = np.asarray(schedule(np.arange(T, dtype=float)), dtype=float).reshape(-1)
    L, G, Hn, H = [], [], [], []
    for th in path:
        loss, g, h = oracle(th)
        L.append(float(loss))
        G.append(np.asarray(g, dtype=float))
        H.append(np.asarray(h, dtype=float))
        Hn.append(float(np.linalg.norm(H[-1], 2)))
    L, G, Hn = np.asarray(L), np.asarray(G), np.asarray(Hn)
    dH = np.array([np.linalg.norm(H[t + 1] - H[t], 2) for t in range(T)])
    dtheta = np.diff(path, axis=0)
    direction = -dtheta / eta[:, None]
    g = G[:-1]
    noise = direction - g
    descent = -eta * np.einsum("tp,tp->t", g, g)
    fluct = -eta * np.einsum("tp,tp->t", g, noise)
    remainder = np.diff(L) - np.einsum("tp,tp->t", g, dtheta)
    return Decomposition(
        steps[:-1], eta, L, G, Hn, dH, direction, descent, fluct, remainder, noise
    )
