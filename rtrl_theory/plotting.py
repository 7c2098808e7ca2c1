"""Plot helpers: the only library module that imports matplotlib (imported on first use).

Figures are returned, never shown; ``save_figure`` writes PNG (and PDF beside it when asked)
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rtrl_theory._outputs import atomic_path

__all__ = ["plot_contraction", "plot_estimator_costs", "plot_marginals", "save_figure"]


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
