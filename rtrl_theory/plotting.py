"""Plot helpers: the only library module that imports matplotlib (imported on first use).

Figures are returned, never shown; ``save_figure`` writes PNG (and PDF beside it when asked)
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rtrl_theory.runners._records import atomic_path

__all__ = [
    "plot_bias_against_exact",
    "plot_block_distances",
    "plot_contraction",
    "plot_estimator_costs",
    "plot_marginals",
    "plot_p_values",
    "plot_tightness",
    "plot_w1_ratio",
    "save_figure",
]


def _plt():
    import matplotlib

    if os.environ.get("MPLBACKEND") is None and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_contraction(estimates: dict, *, rho_bar=None, lam=None, ax=None, title=None):
    r"""Decay of the distance between two coupled ensembles, log scale.

    Parameters
    ----------
    estimates : dict
        ``{label: ContractionEstimate}``; each curve is drawn with its fitted geometric rate over
        the fit window and, when finite, its floor.
    rho_bar, lam : float, optional
        Theoretical :math:`\bar\rho = \max(\lambda, \rho)` and the data's :math:`\lambda`: drawn as
        :math:`d_0\,\bar\rho^t` (and :math:`d_0\lambda^t`) from each curve's first point.
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, est) in enumerate(estimates.items()):
        c = colors[i % len(colors)]
        d = np.asarray(est.distances, dtype=float)
        t = np.arange(d.size)
        ok = d > 0
        ax.semilogy(
            t[ok],
            d[ok],
            "o-",
            ms=3,
            lw=1,
            color=c,
            label=f"{label}: rate {est.rate:.3f} [{est.rate_ci[0]:.3f}, {est.rate_ci[1]:.3f}]",
        )
        i0, i1 = est.window
        tt = np.arange(i0, i1 + 1)
        anchor = d[i0]
        ax.semilogy(tt, anchor * est.rate ** (tt - i0), "-", lw=2.5, alpha=0.35, color=c)
        if est.floor and np.isfinite(est.floor) and est.floor > 0:
            ax.axhline(est.floor, ls=":", color=c, lw=1, label=f"{label}: floor {est.floor:.2g}")
        if rho_bar is not None:
            ax.semilogy(
                t,
                d[0] * float(rho_bar) ** t,
                "--",
                color=c,
                lw=1,
                alpha=0.8,
                label=f"{label}: d_0 rho_bar^t (rho_bar = {float(rho_bar):.3f})"
                if i == 0
                else None,
            )
        if lam is not None and i == 0:
            ax.semilogy(
                t,
                d[0] * float(lam) ** t,
                "-.",
                color="gray",
                lw=1,
                label=f"d_0 lam^t (lam = {float(lam):.3f})",
            )
    lo = min(
        np.min(np.asarray(e.distances)[np.asarray(e.distances) > 0]) for e in estimates.values()
    )
    ax.set_ylim(bottom=max(lo / 3, 1e-300))
    ax.set_xlabel("step t")
    ax.set_ylabel("distance (max-norm)")
    ax.set_title(title or "Contraction of the joint process")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(True, which="both", alpha=0.2)
    return fig if fig is not None else ax.figure


def plot_marginals(samples: dict, *, bins: int = 40, title=None):
    """Histograms of marginal samples, one panel per ``{label: 1-D array}`` entry."""
    plt = _plt()
    n = len(samples)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False, constrained_layout=True
    )
    for ax, (label, x) in zip(axes.flat, samples.items(), strict=False):
        ax.hist(np.asarray(x, dtype=float).ravel(), bins=bins, density=True, alpha=0.8)
        ax.set_title(label, fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def plot_estimator_costs(estimates, *, ax=None, title=None):
    r"""Cost per step against relative stationary bias, one point per online estimator.

    Parameters
    ----------
    estimates : sequence of BiasEstimate (``rtrl_theory.online``) or of their ``to_dict()``
        Each gives ``estimator``, ``cost_per_step`` (seconds per particle and step),
        ``rel_bias`` and ``rel_bias_ci``.

    Notes
    -----
    Both axes are logarithmic. An estimator whose bias is not resolved (``rel_bias`` 0: exact
    RTRL, SnAp-n at or beyond the graph's diameter, or an unbiased estimator within its noise)
    is drawn at the bottom of the axis as a hollow marker, with its interval's upper end as a bar.
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    rows = [e if isinstance(e, dict) else e.to_dict() for e in estimates]
    pos = [r["rel_bias"] for r in rows if r["rel_bias"] > 0]
    his = [r["rel_bias_ci"][1] for r in rows if r["rel_bias_ci"][1] > 0]
    floor = 0.3 * min(pos + his) if (pos or his) else 1e-6
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, r in enumerate(rows):
        c = colors[i % len(colors)]
        x = r["cost_per_step"] * 1e6
        y = r["rel_bias"]
        lo, hi = r["rel_bias_ci"]
        if y > 0:
            ax.errorbar(x, y, yerr=[[y - max(lo, floor)], [max(hi - y, 0.0)]], fmt="o", color=c,
                        capsize=3, label=r["estimator"])  # fmt: skip
        else:
            ax.plot([x], [floor], "o", mfc="none", color=c, label=f"{r['estimator']} (bias 0)")
            if hi > floor:
                ax.vlines(x, floor, hi, color=c, lw=1)
        ax.annotate(r["estimator"], (x, y if y > 0 else floor), textcoords="offset points",
                    xytext=(5, 4), fontsize=8)  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cost per step per particle (microseconds, measured)")
    ax.set_ylabel(r"relative stationary bias $|b_A| / |\nabla L|$")
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title, fontsize=10)
    return fig if fig is not None else ax.figure


def save_figure(fig, path, *, pdf: bool = False) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) atomically; also a PDF if ``pdf``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    targets = [path] + ([path.with_suffix(".pdf")] if pdf and path.suffix != ".pdf" else [])
    for target in targets:
        with atomic_path(target) as tmp:
            fig.savefig(tmp, dpi=150, format=target.suffix.lstrip(".") or None)
    return path


def plot_block_distances(
    distances: dict, *, blocks=None, references: dict | None = None, ax=None, title=None
):
    r"""Mean per-pair distance of each block along a synchronous coupling, log scale.

    Parameters
    ----------
    distances : dict
        ``{block: (T + 1, K) array}`` of per-pair max-norm distances, as returned by
        :func:`rtrl_theory.estimators.coupled_block_distances`; the mean over the K pairs is drawn
        against the step t (zeros are left out of the log scale).
    blocks : sequence of str, optional
        Blocks to draw (default: all of ``distances``).
    references : dict, optional
        ``{label: (d0, rate)}``: the geometric references :math:`d_0\,\mathrm{rate}^t`, dashed
        (e.g. the claimed :math:`\rho` from the first mean of ``y``, :math:`\lambda` from ``X``).
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.8), constrained_layout=True)
    blocks = list(distances) if blocks is None else list(blocks)
    T = None
    for b in blocks:
        m = np.asarray(distances[b], dtype=float).mean(axis=1)
        T = m.size
        t = np.arange(m.size)
        ok = m > 0
        ax.semilogy(t[ok], m[ok], "o-", ms=2.5, lw=1, label=b)
    for label, (d0, rate) in (references or {}).items():
        t = np.arange(T or 1)
        ax.semilogy(t, float(d0) * float(rate) ** t, "--", lw=1.2, label=label)
    ax.set_xlabel("step t")
    ax.set_ylabel("mean distance (max-norm)")
    ax.set_title(title or "Synchronous coupling, block by block", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.2)
    return fig if fig is not None else ax.figure


def plot_tightness(series: dict, *, lines=(1.0,), ax=None, title=None, ylabel=None):
    """Grouped bars of measured / claimed ratios, one group per component.

    Parameters
    ----------
    series : dict
        ``{label: {component: ratio}}``; components are taken in the order of the first series
        (a component missing from a series is left empty).
    lines : sequence of float
        Horizontal reference lines (1: the claim is attained; 1/2: a halved claim is caught
        exactly when the bar is above it).
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.2), constrained_layout=True)
    comps = []
    for s in series.values():
        comps += [c for c in s if c not in comps]
    n = max(1, len(series))
    width = 0.8 / n
    x = np.arange(len(comps))
    for i, (label, s) in enumerate(series.items()):
        h = [float(s.get(c, np.nan)) for c in comps]
        ax.bar(x + (i - (n - 1) / 2) * width, h, width, label=label)
    for v in lines:
        ax.axhline(v, color="k", ls="--" if v == 1.0 else ":", lw=0.8)
    ax.set_xticks(x, comps)
    ax.set_ylabel(ylabel or "measured / claimed")
    ax.set_title(title or "Tightness of the claimed constants", fontsize=10)
    ax.legend(fontsize=7)
    return fig if fig is not None else ax.figure


def plot_w1_ratio(
    curves: dict, *, rho_bar: dict, brackets: dict | None = None, ax=None, title=None
):
    r"""W1 ratios :math:`W_1(\mu P^t, \nu P^t) / W_1(\mu, \nu)` against :math:`\bar\rho^t`.

    Parameters
    ----------
    curves : dict
        ``{label: (T + 1,) array}`` of upper bounds on the ratio (e.g. the mean coupled distance
        over :math:`W_1(\mu, \nu)`), drawn with :math:`\bar\rho^t` (the one-step claim iterated,
        C = 1, dashed) and :math:`\hat C\bar\rho^t` with :math:`\hat C = \max_t
        \mathrm{ratio}_t / \bar\rho^t` (dotted: the smallest C of the multi-step form (3.45)
        that this curve allows).
    rho_bar : dict
        ``{label: rho_bar}`` per curve.
    brackets : dict, optional
        ``{label: (lower, upper)}``: a bracket of the one-step ratio, drawn at t = 1 as a bar
        between its two ends (a lower end above :math:`\bar\rho` contradicts the one-step form).

    Returns
    -------
    Figure
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, r) in enumerate(curves.items()):
        c = colors[i % len(colors)]
        r = np.asarray(r, dtype=float)
        t = np.arange(r.size)
        rb = float(rho_bar[label])
        geo = rb**t
        C = float(np.max(r / geo))
        ax.semilogy(t, r, "o-", ms=3, lw=1, color=c, label=f"{label}: coupling upper bound")
        ax.semilogy(t, geo, "--", lw=1, color=c, label=f"{label}: rho_bar^t, rho_bar = {rb:.3g}")
        ax.semilogy(t, C * geo, ":", lw=1.2, color=c, label=f"{label}: C rho_bar^t, C = {C:.2f}")
        if brackets and label in brackets:
            lo, hi = brackets[label]
            ax.vlines(1, lo, hi, color=c, lw=3, alpha=0.6)
            ax.plot(
                [1, 1], [lo, hi], "_", ms=10, mew=2, color=c, label=f"{label}: one-step bracket"
            )
    ax.set_xlabel("step t")
    ax.set_ylabel("W1(mu_t, nu_t) / W1(mu, nu)")
    ax.set_title(title or "One-step and multi-step W1 contraction", fontsize=10)
    ax.legend(fontsize=6.5)
    ax.grid(True, which="both", alpha=0.2)
    return fig if fig is not None else ax.figure


def plot_p_values(p_values: dict, *, names, level: float, ax=None, title=None):
    r"""Two-sided p-values of a family of tests, :math:`-\log_{10} p`, grouped by comparison.

    Parameters
    ----------
    p_values : dict
        ``{comparison: (n,) p-values}``, one per statistic of ``names`` (n of them).
    level : float
        The per-test level (e.g. Bonferroni's alpha / number of tests): a bar above
        :math:`-\log_{10}` level is a rejection.
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.2), constrained_layout=True)
    names = list(names)
    n = max(1, len(p_values))
    width = 0.8 / n
    x = np.arange(len(names))
    for i, (label, p) in enumerate(p_values.items()):
        p = np.clip(np.asarray(p, dtype=float), 1e-300, 1.0)
        ax.bar(x + (i - (n - 1) / 2) * width, -np.log10(p), width, label=label)
    ax.axhline(-np.log10(level), color="k", ls="--", lw=0.9, label=f"level {level:.1e}")
    ax.set_xticks(x, names)
    ax.set_ylabel("-log10 p")
    ax.set_title(title or "Two-sample tests", fontsize=10)
    ax.legend(fontsize=7)
    return fig if fig is not None else ax.figure


def plot_bias_against_exact(estimates: dict, exact: dict, stderr: dict, *, ax=None, title=None):
    """Estimated vectors against their exact values, coordinate by coordinate, with 2 se bars.

    Parameters
    ----------
    estimates, exact, stderr : dict
        ``{label: (P,) array}`` each (e.g. the particle TBPTT(tau) bias, the oracle's exact bias
        and the particle standard errors); points on the diagonal agree.
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 4.4), constrained_layout=True)
    lo, hi = np.inf, -np.inf
    for label, est in estimates.items():
        e = np.asarray(exact[label], dtype=float)
        m = np.asarray(est, dtype=float)
        se = np.asarray(stderr[label], dtype=float)
        ax.errorbar(e, m, yerr=2 * se, fmt="o", ms=3, capsize=2, label=label)
        lo, hi = min(lo, e.min(), m.min()), max(hi, e.max(), m.max())
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
    ax.set_xlabel("exact")
    ax.set_ylabel("estimated (+- 2 se)")
    ax.set_title(title or "Estimates against the exact answer", fontsize=10)
    ax.legend(fontsize=7)
    return fig if fig is not None else ax.figure
