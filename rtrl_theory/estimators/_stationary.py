r"""Monte Carlo summaries of a stationary law: ensemble statistics, batch means, effective size.

Used to check statements about the stationary law :math:`\pi_\theta` of Proposition 3.1 /
Theorem 3.11 of [P1] (THEORY.md section 6), e.g. :math:`\nabla L(\theta) = E_\pi[\tilde G]`
(Theorem 3.16), from an ensemble of K independent chains at a large time (an ensemble average)
or from one long chain (a time average). Generic: any array of samples.

Shapes: an ensemble is ``(n_particles,)`` or ``(n_particles, n_coords)``; a time series is
``(n_steps,)`` or ``(n_steps, n_coords)``. Results always have a trailing ``n_coords`` axis
(``n_coords = 1`` for 1-D input).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rtrl_theory._validate import as_array, positive_int

__all__ = [
    "BatchMeans",
    "EffectiveSampleSize",
    "EnsembleSummary",
    "TimeEnsembleComparison",
    "batch_means",
    "effective_sample_size",
    "ensemble_summary",
    "time_vs_ensemble",
]


def _samples(x, name: str, min_rows: int) -> np.ndarray:
    arr = as_array(x, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected at least {min_rows} samples, got shape {arr.shape}")
    return arr


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class EnsembleSummary:
    """Per-coordinate mean, variance, standard deviation and quantiles with standard errors.

    Attributes
    ----------
    mean, mean_se : ndarray, shape (n_coords,)
    var, var_se : ndarray, shape (n_coords,)
        Unbiased sample variance and its standard error.
    std, std_se : ndarray, shape (n_coords,)
    probs : ndarray, shape (n_probs,)
    quantiles, quantiles_se : ndarray, shape (n_probs, n_coords)
    n_particles : int
    """

    mean: np.ndarray
    mean_se: np.ndarray
    var: np.ndarray
    var_se: np.ndarray
    std: np.ndarray
    std_se: np.ndarray
    probs: np.ndarray
    quantiles: np.ndarray
    quantiles_se: np.ndarray
    n_particles: int


def ensemble_summary(x, *, probs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> EnsembleSummary:
    r"""Mean, variance, standard deviation and quantiles of i.i.d. samples, with standard errors.

    .. math::

        \widehat{se}(\bar x) = s / \sqrt K, \qquad
        \widehat{se}(s^2) = \sqrt{\big(m_4 - s^4 \tfrac{K-3}{K-1}\big) / K}, \qquad
        \widehat{se}(s) = \widehat{se}(s^2) / (2 s),

    with :math:`m_4` the fourth central sample moment; for the p-quantile,
    :math:`\widehat{se}(\hat q_p) = \sqrt{p(1-p)/K}\; \widehat{dq/dp}` with the derivative of
    the quantile function estimated by the difference of the empirical quantiles at
    :math:`p \pm \sqrt{p(1-p)/K}` (a distribution-free, order-statistic estimate of
    :math:`1/f(q_p)`).

    Parameters
    ----------
    x : array_like, shape (K,) or (K, n_coords)
        Independent samples (e.g. K chains at one time), ``K >= 4``.
    probs : sequence of float in (0, 1)

    Returns
    -------
    EnsembleSummary

    Examples
    --------
    >>> s = ensemble_summary([1.0, 2.0, 3.0, 4.0])
    >>> float(s.mean[0]), float(s.var[0])
    (2.5, 1.6666666666666667)
    """
    X = _samples(x, "x", 4)
    K = X.shape[0]
    p = as_array(probs, "probs", ndim=1)
    if p.size == 0 or np.any((p <= 0) | (p >= 1)):
        raise ValueError("probs: expected probabilities strictly between 0 and 1")
    mean = X.mean(axis=0)
    var = X.var(axis=0, ddof=1)
    std = np.sqrt(var)
    m4 = np.mean((X - mean) ** 4, axis=0)
    var_se = np.sqrt(np.maximum(m4 - var**2 * (K - 3) / (K - 1), 0.0) / K)
    with np.errstate(divide="ignore", invalid="ignore"):
        std_se = np.where(std > 0, var_se / (2.0 * np.where(std > 0, std, 1.0)), 0.0)
    q = np.quantile(X, p, axis=0)
    h = np.sqrt(p * (1 - p) / K)
    lo, hi = np.clip(p - h, 0.0, 1.0), np.clip(p + h, 0.0, 1.0)
    dq = (np.quantile(X, hi, axis=0) - np.quantile(X, lo, axis=0)) / (hi - lo)[:, None]
    return EnsembleSummary(
        mean=_frozen(mean),
        mean_se=_frozen(std / math.sqrt(K)),
        var=_frozen(var),
        var_se=_frozen(var_se),
        std=_frozen(std),
        std_se=_frozen(std_se),
        probs=_frozen(p.copy()),
        quantiles=_frozen(q),
        quantiles_se=_frozen(h[:, None] * dq),
        n_particles=K,
    )


@dataclass(frozen=True)
class BatchMeans:
    """Time average of a series and its batch-means standard error.

    Attributes
    ----------
    mean, stderr : ndarray, shape (n_coords,)
    n_batches, batch_size : int
    n_discarded : int
        Leading points dropped so that the batches have equal sizes.
    """

    mean: np.ndarray
    stderr: np.ndarray
    n_batches: int
    batch_size: int
    n_discarded: int


def batch_means(series, n_batches: int = 20) -> BatchMeans:
    r"""Time average of a stationary series with its standard error by the batch-means method.

    Split the last :math:`n_b m` points into :math:`n_b` consecutive batches of size m,
    :math:`m = \lfloor n / n_b \rfloor`, with means :math:`\bar x_1, \dots, \bar x_{n_b}`:

    .. math::

        \hat\mu = \frac1{n_b} \sum_b \bar x_b, \qquad
        \widehat{se}(\hat\mu) = \sqrt{\frac{1}{n_b (n_b - 1)} \sum_b (\bar x_b - \hat\mu)^2}.

    When m is much larger than the integrated autocorrelation time the batch means are nearly
    independent, and :math:`(n_b - 1)\widehat{se}^2 / se^2` is close to :math:`\chi^2_{n_b-1}`.

    Parameters
    ----------
    series : array_like, shape (n_steps,) or (n_steps, n_coords)
        One chain after burn-in.
    n_batches : int
        At least 2 (10 to 50 in practice); at least 2 points per batch.

    Returns
    -------
    BatchMeans

    Examples
    --------
    >>> bm = batch_means(np.arange(8.0), n_batches=2)
    >>> float(bm.mean[0]), float(bm.stderr[0])
    (3.5, 2.0)
    """
    X = _samples(series, "series", 4)
    n_batches = positive_int(n_batches, "n_batches")
    n = X.shape[0]
    if n_batches < 2 or n // n_batches < 2:
        raise ValueError(
            f"n_batches: expected 2 <= n_batches <= n_steps / 2 = {n // 2} (at least two batches of "
            f"at least two points), got {n_batches}"
        )
    m = n // n_batches
    start = n - n_batches * m
    B = X[start:].reshape(n_batches, m, X.shape[1]).mean(axis=1)
    return BatchMeans(
        mean=_frozen(B.mean(axis=0)),
        stderr=_frozen(B.std(axis=0, ddof=1) / math.sqrt(n_batches)),
        n_batches=n_batches,
        batch_size=m,
        n_discarded=start,
    )


@dataclass(frozen=True)
class EffectiveSampleSize:
    r"""Effective sample size of a stationary series.

    Attributes
    ----------
    ess : ndarray, shape (n_coords,)
        :math:`n / \tau`.
    tau : ndarray, shape (n_coords,)
        Integrated autocorrelation time :math:`1 + 2 \sum_{k \ge 1} \rho_k`.
    n_lags : ndarray of int, shape (n_coords,)
        Autocovariance lags summed (two per pair in the initial positive sequence).
    n : int
    """

    ess: np.ndarray
    tau: np.ndarray
    n_lags: np.ndarray
    n: int


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased sample autocovariances (divided by n) of each column, lags 0..n-1, by FFT."""
    n = x.shape[0]
    xc = x - x.mean(axis=0)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(xc, n=size, axis=0)
    return np.fft.irfft(f * np.conj(f), n=size, axis=0)[:n] / n


def effective_sample_size(series) -> EffectiveSampleSize:
    r"""Effective sample size by Geyer's initial monotone positive sequence estimator.

    With :math:`\hat\gamma_k` the sample autocovariances and
    :math:`\Gamma_m = \hat\gamma_{2m} + \hat\gamma_{2m+1}`, sum the pairs while they are
    positive, forcing them non-increasing (Geyer 1992):

    .. math::

        \hat\tau = \frac{-\hat\gamma_0 + 2 \sum_{m=0}^{M} \Gamma_m}{\hat\gamma_0}, \qquad
        \widehat{ESS} = n / \hat\tau .

    For an AR(1) chain with coefficient a, :math:`\tau = (1 + a)/(1 - a)`.

    Parameters
    ----------
    series : array_like, shape (n_steps,) or (n_steps, n_coords)
        At least 10 points; a constant column is refused (its ESS is undefined).

    Returns
    -------
    EffectiveSampleSize

    Notes
    -----
    Relative standard error of :math:`\hat\tau`: about :math:`\sqrt{2(2L+1)/n}` with L
    (``n_lags``) the lags summed (Bartlett's variance of a truncated spectral estimate at
    frequency 0).
    """
    X = _samples(series, "series", 10)
    n = X.shape[0]
    g = _autocovariance(X)
    if np.any(g[0] <= 0):
        raise ValueError("series: a column is constant; its effective sample size is undefined")
    n_pairs = n // 2
    Gam = g[0 : 2 * n_pairs : 2] + g[1 : 2 * n_pairs : 2]
    tau = np.empty(X.shape[1])
    n_lags = np.empty(X.shape[1], dtype=np.int64)
    for j in range(X.shape[1]):
        G = Gam[:, j]
        neg = np.nonzero(G <= 0)[0]
        M = int(neg[0]) if neg.size else G.size
        Gm = np.minimum.accumulate(G[:M]) if M > 0 else G[:0]
        tau[j] = (-g[0, j] + 2.0 * Gm.sum()) / g[0, j]
        n_lags[j] = 2 * M
    tau = np.maximum(tau, 1.0 / n)  # guard: the estimate is positive when Gamma_0 > 0
    return EffectiveSampleSize(ess=_frozen(n / tau), tau=_frozen(tau), n_lags=_frozen(n_lags), n=n)


@dataclass(frozen=True)
class TimeEnsembleComparison:
    """A time average against an ensemble average of the same quantity.

    Attributes
    ----------
    time_mean, time_se : ndarray, shape (n_coords,)
        Batch-means estimate from one chain.
    ensemble_mean, ensemble_se : ndarray, shape (n_coords,)
        Mean over independent particles and ``std / sqrt(K)``.
    z : ndarray, shape (n_coords,)
        ``(time_mean - ensemble_mean) / sqrt(time_se**2 + ensemble_se**2)``.
    df : ndarray, shape (n_coords,)
        Welch-Satterthwaite degrees of freedom.
    p_value : ndarray, shape (n_coords,)
        Two-sided, Student's t with ``df``.
    """

    time_mean: np.ndarray
    time_se: np.ndarray
    ensemble_mean: np.ndarray
    ensemble_se: np.ndarray
    z: np.ndarray
    df: np.ndarray
    p_value: np.ndarray

    def consistent(self, z_max: float = 5.0) -> bool:
        """Return True when every ``|z|`` is at most ``z_max`` (a 5-sigma check by default)."""
        return bool(np.all(np.abs(self.z) <= z_max))


def time_vs_ensemble(series_time, ensemble, *, n_batches: int = 20) -> TimeEnsembleComparison:
    r"""Compare a time average with an ensemble average within Monte Carlo error.

    Ergodicity of the chain (Proposition 3.1 / Theorem 3.11 of [P1]) says both estimate
    :math:`E_\pi[f]`:

    .. math::

        z = \frac{\hat\mu_{\rm time} - \hat\mu_{\rm ens}}
                 {\sqrt{\widehat{se}_{\rm BM}^2 + s^2_{\rm ens} / K}} .

    Parameters
    ----------
    series_time : array_like, shape (n_steps,) or (n_steps, n_coords)
        f along one chain after burn-in.
    ensemble : array_like, shape (K,) or (K, n_coords)
        f over K independent chains at a late time.
    n_batches : int
        For :func:`batch_means`.

    Returns
    -------
    TimeEnsembleComparison
    """
    bm = batch_means(series_time, n_batches)
    E = _samples(ensemble, "ensemble", 4)
    if E.shape[1] != bm.mean.shape[0]:
        raise ValueError(
            f"series_time, ensemble: expected the same number of coordinates, got "
            f"{bm.mean.shape[0]} and {E.shape[1]}"
        )
    K = E.shape[0]
    e_mean = E.mean(axis=0)
    e_se = E.std(axis=0, ddof=1) / math.sqrt(K)
    tot = np.sqrt(bm.stderr**2 + e_se**2)
    if np.any(tot <= 0):
        raise ValueError(
            "series_time, ensemble: both have zero spread; the comparison is undefined"
        )
    z = (bm.mean - e_mean) / tot
    v1, v2 = bm.stderr**2, e_se**2
    df = tot**4 / (v1**2 / (bm.n_batches - 1) + v2**2 / (K - 1))
    p = 2.0 * stats.t.sf(np.abs(z), df)
    return TimeEnsembleComparison(
        time_mean=bm.mean,
        time_se=bm.stderr,
        ensemble_mean=_frozen(e_mean),
        ensemble_se=_frozen(e_se),
        z=_frozen(z),
        df=_frozen(df),
        p_value=_frozen(p),
    )
