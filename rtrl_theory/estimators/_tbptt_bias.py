r"""The bias of TBPTT(tau)'s expected gradient at fixed theta, against RTRL's (zero) bias.

At stationarity, RTRL's update direction :math:`\tilde G(\theta, Z)` has mean
:math:`\nabla L(\theta)` (Theorem 3.16 of [P1]). TBPTT(tau) cuts the sequence into blocks of tau
steps and, within a block, propagates the sensitivities from zero at the block start: step j of a
block (j = 1..tau) uses :math:`J` truncated j steps back. Its expected block gradient (mean over
the block's steps, the CONVENTION of the trainer up to the factor tau) is

.. math:: g_\tau = E_\pi\Big[\frac1\tau\sum_{j=1}^{\tau} \tilde G^{(j)}\Big], \qquad
          \text{bias}(\tau) = g_\tau - \nabla L(\theta),

which is not zero: the truncated :math:`J^{(j)}` misses the contributions older than j steps.
The bias at a fixed truncation lag j, :math:`b_j = E[\tilde G^{(j)}] - \nabla L`, decays
geometrically (like the contraction of the J recursion); the block mean averages the lags
1..tau, so :math:`\text{bias}(\tau) = \frac1\tau\sum_{j\le\tau} b_j \approx
\frac1\tau\sum_{j\ge1} b_j`: it decays like 1/tau once tau exceeds the memory of J. Both are
reported (``lag_norm`` holds :math:`|b_j|` from the largest tau's copy).

Estimator. K particles are brought to stationarity; then each carries, besides its full
sensitivity J, one truncated copy per tau (reset to zero every tau steps), all driven by the same
data: only J differs between the copies. The per-step difference
:math:`\tilde G_{\text{trunc}} - \tilde G_{\text{full}}` is averaged over whole blocks and over the
particles (independent samples), which estimates bias(tau) with far less variance than two
separate averages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from rtrl_theory._validate import as_rng, positive_int

__all__ = ["TBPTTBias", "tbptt_bias"]


@dataclass(frozen=True)
class TBPTTBias:
    r"""bias(tau) = E[TBPTT(tau) gradient] - grad L for each tau, with standard errors.

    ``bias[tau]`` and ``stderr[tau]`` are (P,) vectors; ``norm[tau]`` is the debiased Euclidean
    norm :math:`\sqrt{\max(0, |b|^2 - \sum se^2)}` and ``noise[tau]`` the noise level
    :math:`\sqrt{\sum se^2}` below which a norm cannot be told from zero.

    Attributes
    ----------
    taus : tuple of int
        The truncation lengths.
    bias : dict of int to ndarray, shape (P,)
        :math:`E_\pi[\text{TBPTT}(\tau)\ \text{direction}] - \nabla L(\theta)` per tau, in the
        model's flat order (:math:`\nabla L = E_\pi[\tilde G]`, Theorem 3.16 of [P1]).
    stderr : dict of int to ndarray, shape (P,)
        Standard errors of ``bias[tau]`` over the particles.
    norm : dict of int to float
        The debiased norm of ``bias[tau]``.
    noise : dict of int to float
        :math:`\sqrt{\sum se^2}`, the noise level of that norm.
    n_particles, n_steps, burn_in : int
        K, steps averaged per particle, steps discarded first.
    lag_norm : ndarray, shape (max(taus),), optional
        :math:`|b_j|` (debiased) for lags j = 1..max(taus), from the largest tau.
    lag_noise : ndarray, shape (max(taus),), optional
        The noise level of each ``lag_norm``.
    samples : dict of int to ndarray, shape (K, P), optional
        Per-particle averages of (TBPTT(tau) - full) update directions, i.i.d. over particles
        (their covariance gives Hotelling's :math:`T^2`).
    full_samples : ndarray, shape (K, P), optional
        Per-particle averages of the full (RTRL) update direction over the same steps; their
        mean estimates :math:`E_\pi[\tilde G]`.

    See Also
    --------
    tbptt_bias : computes it.
    rtrl_theory.oracles.tbptt_expected_gradient : the exact bias on a linear system.
    """

    taus: tuple
    bias: dict
    stderr: dict
    norm: dict
    noise: dict
    n_particles: int
    n_steps: int
    burn_in: int
    lag_norm: np.ndarray = None  # |b_j| for j = 1..max(taus) (debiased), from the largest tau
    lag_noise: np.ndarray = None
    #: ``samples[tau]``: (K, P) per-particle averages of (TBPTT(tau) - full) update directions,
    #: i.i.d. over particles (their covariance gives Hotelling's T^2).
    samples: dict = None
    #: (K, P) per-particle averages of the full (RTRL) update direction over the same steps:
    #: their mean estimates E_pi[G~] (= grad L by Theorem 3.16).
    full_samples: np.ndarray = None

    def hotelling(self, tau, reference) -> tuple:
        r"""Return Hotelling's one-sample T^2 test of ``bias[tau]`` against ``reference``.

        Hotelling's one-sample :math:`T^2` of ``bias[tau]`` against ``reference`` (P,)
        (``tau="full"``: of the mean full update direction, E_pi[G~]).

        :math:`T^2 = K (\hat b - b)^\top \hat\Sigma^{-1} (\hat b - b)` with the per-particle
        covariance :math:`\hat\Sigma`; under the CLT
        :math:`\frac{K - P}{(K - 1) P} T^2 \sim F(P, K - P)`. Returns ``(T2, p_value, P)``, P the
        rank of the covariance used (a mean off the reference in a direction without spread gives
        ``(inf, 0.0, P)``).
        """
        from scipy import stats

        X = self.full_samples if tau == "full" else self.samples[tau]
        K = X.shape[0]
        ref = np.asarray(reference, float)
        d = X.mean(axis=0) - ref
        # Directions without spread (the head coordinates, which truncation cannot change, and
        # exact linear relations of the model, e.g. for linear systems): the covariance is
        # singular there, the sample mean has no noise, and it must agree with the reference to
        # rounding; the statistic is taken in the span of the covariance (P = its rank).
        w, V = np.linalg.eigh(np.cov(X, rowvar=False))
        keep = w > 1e-10 * max(float(w.max()), 1e-300)
        scale = max(1.0, float(np.abs(X).max()), float(np.abs(ref).max()))
        if np.any(np.abs(V[:, ~keep].T @ d) > 1e-8 * scale):
            return float("inf"), 0.0, int(keep.sum())
        P = int(keep.sum())
        if P == 0:  # no spread at all, and the mean agrees with the reference to rounding
            return 0.0, 1.0, 0
        if K <= P:
            raise ValueError(f"hotelling: needs more particles ({K}) than coordinates ({P})")
        c = V[:, keep].T @ d
        t2 = float(K * np.sum(c * c / w[keep]))
        f = t2 * (K - P) / ((K - 1) * P)
        return t2, float(stats.f.sf(f, P, K - P)), P


def tbptt_bias(jp, taus=(1, 2, 4, 8, 16, 32, 64), *, n_particles, n_steps=None, burn_in, rng=None):
    r"""Estimate bias(tau) for each tau (module docstring) on a first-order JointProcess.

    Parameters
    ----------
    jp : JointProcess
    taus : sequence of positive ints
    n_particles : int
    n_steps : int, optional
        Steps per particle after burn-in; rounded up to a multiple of every tau (default: twice
        the largest tau).
    burn_in : int
    rng : Generator, int or None

    Returns
    -------
    TBPTTBias
    """
    taus = tuple(sorted({positive_int(t, "taus") for t in taus}))
    K = positive_int(n_particles, "n_particles")
    if K < 2:
        raise ValueError("n_particles: at least 2 particles are needed for a standard error")
    lcm = math.lcm(*taus)
    n_steps = 2 * max(taus) if n_steps is None else positive_int(n_steps, "n_steps")
    n_steps = lcm * math.ceil(n_steps / lcm)
    rng = as_rng(rng)
    r_init, r_run = rng.spawn(2)
    z = jp.run(jp.initial(K, r_init), int(burn_in), r_init)
    copies = {tau: z for tau in taus}
    diff = {tau: np.zeros((K, jp.model.n_params)) for tau in taus}
    tmax = taus[-1]
    full = np.zeros((K, jp.model.n_params))
    lag = np.zeros((tmax, K, jp.model.n_params))  # per-lag differences of the largest tau
    for t in range(n_steps):
        seed = r_run.integers(2**63)
        for tau in taus:
            zt = copies[tau]
            if t % tau == 0:  # block start: the truncated sensitivities restart from zero
                zt = replace(
                    zt, Jt=np.zeros_like(zt.Jt), Ht=None if zt.Ht is None else np.zeros_like(zt.Ht)
                )
            copies[tau] = jp.step(zt, np.random.default_rng(seed))
        z = jp.step(z, np.random.default_rng(seed))
        g_full = jp.update_direction(z)
        full += g_full
        for tau in taus:
            d = jp.update_direction(copies[tau]) - g_full
            diff[tau] += d
            if tau == tmax:
                lag[t % tmax] += d
    bias, stderr, norm, noise, per = {}, {}, {}, {}, {}
    for tau in taus:
        samples = diff[tau] / n_steps
        per[tau] = samples
        bias[tau] = samples.mean(axis=0)
        stderr[tau] = samples.std(axis=0, ddof=1) / math.sqrt(K)
        n2 = float(bias[tau] @ bias[tau])
        s2 = float(stderr[tau] @ stderr[tau])
        norm[tau] = math.sqrt(max(0.0, n2 - s2))
        noise[tau] = math.sqrt(s2)
    lag_samples = lag / (n_steps // tmax)  # (tmax, K, P)
    lm = lag_samples.mean(axis=1)
    lse2 = (lag_samples.std(axis=1, ddof=1) ** 2 / K).sum(axis=1)
    lag_norm = np.sqrt(np.maximum(0.0, (lm * lm).sum(axis=1) - lse2))
    return TBPTTBias(
        taus, bias, stderr, norm, noise, K, n_steps, int(burn_in), lag_norm, np.sqrt(lse2), per,
        full / n_steps,
    )
