"""Plot helpers: the only library module that imports matplotlib (imported on first use).

Figures are returned, never shown; ``save_figure`` writes PNG (and PDF beside it when asked)
atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from rtrl_theory._outputs import atomic_path

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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "Contraction of the joint process").

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
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
    """Plot histograms of marginal samples, one panel per ``{label: 1-D array}`` entry.

    Used for the marginals of the (near) stationary law of the joint process
    (:class:`~rtrl_theory.setups.ContractionReport`).

    Parameters
    ----------
    samples : dict of str -> array_like
        ``{label: samples}``, each flattened to one dimension (K values); panels in that order,
        four per row.
    bins : int, default 40
        Histogram bins per panel (densities, not counts).
    title : str, optional
        A figure title (default: none).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure.
    """
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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        A title (default: none).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).

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
    """Write ``fig`` to ``path`` (format from the suffix) atomically; also a PDF if ``pdf``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, written at 150 dpi.
    path : str or os.PathLike
        The output file; its parent folders are created, and a partial file never appears at
        ``path`` (written to a temporary name, then renamed).
    pdf : bool, default False
        Also write a PDF beside it (``path`` with the suffix ``.pdf``), unless ``path`` is one.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "Synchronous coupling, block by block").

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
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
    """Plot grouped bars of measured / claimed ratios, one group per component.

    Parameters
    ----------
    series : dict
        ``{label: {component: ratio}}``; components are taken in the order of the first series
        (a component missing from a series is left empty).
    lines : sequence of float
        Horizontal reference lines (1: the claim is attained; 1/2: a halved claim is caught
        exactly when the bar is above it).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "Tightness of the claimed constants").
    ylabel : str, optional
        The y label (default: "measured / claimed").

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "One-step and multi-step W1 contraction").

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
    names : sequence of str
        The n statistics, one group of bars each (the x ticks).
    level : float
        The per-test level (e.g. Bonferroni's alpha / number of tests): a bar above
        :math:`-\log_{10}` level is a rejection.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "Two-sample tests").

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.
    title : str, optional
        The axes' title (default: "Estimates against the exact answer").

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
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


# -- notebook 04: limit loss, gradient and the Poisson equation ([P1] Sections 3.3 and 4) --------

__all__ += [
    "plot_bias_curve",
    "plot_estimate_comparison",
    "plot_expected_path",
    "plot_measured_vs_bound",
    "plot_poisson_solution",
]


def plot_estimate_comparison(
    estimate, stderr, reference, reference_stderr=None, *, labels=("estimate", "reference"),
    xlabel="coordinate", ylabel="value", title=None,
):  # fmt: skip
    r"""Plot a Monte Carlo estimate beside a reference, coordinate by coordinate, and their z-scores.

    Parameters
    ----------
    estimate, stderr : array_like, shape (n,)
        The estimate and its standard error (drawn with 2 s.e. bars).
    reference : array_like, shape (n,)
        An exact value (``reference_stderr`` None or 0) or another estimate.
    reference_stderr : array_like, shape (n,), optional
        The reference's standard error (default None: an exact reference, no error).
    labels : (str, str), default ("estimate", "reference")
        Legend labels of the two series.
    xlabel, ylabel : str, default "coordinate", "value"
        The shared x label (under the lower panel) and the upper panel's y label.
    title : str, optional
        A title of the upper panel (default: none).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure: the two series above, the z-scores below.

    Notes
    -----
    The lower panel shows :math:`(\text{estimate} - \text{reference}) / \sqrt{se^2 + se_{ref}^2}`
    with the two-sided 99.9% band :math:`\pm 3.29`.
    """
    plt = _plt()
    est = np.asarray(estimate, dtype=float).ravel()
    se = np.asarray(stderr, dtype=float).ravel()
    ref = np.asarray(reference, dtype=float).ravel()
    rse = np.zeros_like(ref) if reference_stderr is None else np.asarray(reference_stderr, float)
    tot = np.sqrt(se**2 + np.ravel(rse) ** 2)
    z = np.divide(est - ref, tot, out=np.zeros_like(est), where=tot > 0)
    idx = np.arange(est.size)
    fig, axes = plt.subplots(
        2, 1, figsize=(7.5, 4.4), sharex=True, height_ratios=[2, 1], constrained_layout=True
    )
    axes[0].errorbar(idx - 0.12, est, 2 * se, fmt="o", ms=3, label=labels[0])
    if reference_stderr is None:
        axes[0].plot(idx + 0.12, ref, "k_", ms=10, mew=2, label=labels[1])
    else:
        axes[0].errorbar(idx + 0.12, ref, 2 * np.ravel(rse), fmt="s", ms=3, label=labels[1])
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=8)
    axes[1].bar(idx, z, color="tab:gray")
    for y in (-3.29, 0.0, 3.29):
        axes[1].axhline(y, color="k", lw=0.8, ls="-" if y == 0 else ":")
    axes[1].set_ylabel("z-score")
    axes[1].set_xlabel(xlabel)
    if title:
        axes[0].set_title(title, fontsize=10)
    return fig


def plot_expected_path(t, mean, stderr, exact=None, limit=None, *, components=None, title=None):
    r"""Plot a Monte Carlo path :math:`E[f(Z_t)]` beside an exact path and its limit.

    Parameters
    ----------
    t : array_like, shape (T,)
        The steps (the x axis).
    mean, stderr : array_like, shape (T, m)
        The particles' mean and standard error at each t (``expected_function_curve``).
    exact : array_like, shape (T, m), optional
        The exact path (e.g. ``oracles.expected_gradient_path(...).mean``).
    limit : array_like, shape (m,), optional
        The limit (e.g. :math:`\nabla L`, Theorem 3.16).
    components : sequence of int, optional
        Components drawn in the left panel (default: the first three).
    title : str, optional
        A figure title (default: none).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, two panels.

    Notes
    -----
    The right panel shows :math:`\max_k |E f_k(Z_t) - \text{limit}_k|` on a log scale (particles
    with their 2 s.e. level, and the exact path), whose decay is the forgetting of the initial
    law at rate :math:`\bar\rho^t` of [P1] (3.45).
    """
    plt = _plt()
    t = np.asarray(t, dtype=float)
    mean = np.asarray(mean, dtype=float).reshape(t.size, -1)
    se = np.asarray(stderr, dtype=float).reshape(t.size, -1)
    comps = list(components) if components is not None else list(range(min(3, mean.shape[1])))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, k in enumerate(comps):
        c = colors[i % len(colors)]
        axes[0].fill_between(t, mean[:, k] - 2 * se[:, k], mean[:, k] + 2 * se[:, k], color=c,
                             alpha=0.3, lw=0, label=f"particles, coord {k} (2 s.e.)")  # fmt: skip
        if exact is not None:
            axes[0].plot(t, np.asarray(exact, float)[:, k], "-", color=c, lw=1, label="exact")
        if limit is not None:
            axes[0].axhline(float(np.asarray(limit)[k]), color=c, ls="--", lw=0.8)
    axes[0].set_xlabel("step t")
    axes[0].set_title("E[f(Z_t)] (dashed: the limit)", fontsize=9)
    axes[0].legend(fontsize=7)
    if limit is not None:
        lim = np.asarray(limit, dtype=float).ravel()
        err = np.abs(mean - lim).max(axis=1)
        axes[1].semilogy(t, err, "o", ms=2, label="particles: max_k |mean - limit|")
        axes[1].semilogy(t, 2 * se.max(axis=1), ":", color="gray", label="2 s.e. (max over k)")
        if exact is not None:
            ex = np.abs(np.asarray(exact, float) - lim).max(axis=1)
            ok = ex > 0
            axes[1].semilogy(t[ok], ex[ok], "k-", lw=1, label="exact path")
        axes[1].set_xlabel("step t")
        axes[1].legend(fontsize=7)
        axes[1].set_title("distance to the limit", fontsize=9)
    else:
        axes[1].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_bias_curve(T, bias, stderr, *, exact=None, title=None, ax=None):
    r""":math:`|E L_T - L|` (or any bias curve) against T on log-log axes, with a :math:`C/T` line.

    Parameters
    ----------
    T : array_like, shape (n,)
        The horizons T (positive; the x axis).
    bias, stderr : array_like, shape (n,)
        Monte Carlo bias and standard error (drawn with 2 s.e. bars).
    exact : array_like, shape (n,), optional
        The exact bias (e.g. ``oracles.expected_loss_bias(...).bias``).
    title : str, optional
        A title (default: none).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).

    Notes
    -----
    The reference line :math:`C/T` (Lemma 3.12 of [P1]) goes through the last exact (or
    estimated) point.
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    T = np.asarray(T, dtype=float)
    b = np.abs(np.asarray(bias, dtype=float))
    se = np.asarray(stderr, dtype=float)
    ax.errorbar(T, b, 2 * se, fmt="o", ms=3, label="|bias|, Monte Carlo (2 s.e.)")
    last = b[-1]
    if exact is not None:
        ex = np.abs(np.asarray(exact, dtype=float))
        ax.plot(T, ex, "k-", lw=1, label="exact")
        last = ex[-1]
    ax.plot(T, last * T[-1] / T, "k--", lw=0.8, label="C / T")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("horizon T")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig if fig is not None else ax.figure


def plot_measured_vs_bound(labels, measured, bound, *, title=None, ax=None):
    """Measured quantities against their bounds: bars of measured / bound, with the line at 1.

    Parameters
    ----------
    labels : sequence of str
        One label per quantity (n of them).
    measured, bound : array_like, shape (n,)
        Non-negative measured values and the bounds that [P1] claims for them.
    title : str, optional
        A title (default: none).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
    ratio = np.asarray(measured, dtype=float) / np.asarray(bound, dtype=float)
    idx = np.arange(ratio.size)
    ax.bar(idx, ratio, color="tab:blue")
    ax.axhline(1.0, color="k", lw=1, ls="--", label="bound")
    ax.set_xticks(idx, list(labels), fontsize=8, rotation=20)
    ax.set_ylabel("measured / bound")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig if fig is not None else ax.figure


def plot_poisson_solution(v, stderr, exact=None, bound=None, *, labels=None, title=None, ax=None):
    r"""Plot the solution v of the Poisson equation (4.1) at a few points.

    The truncated series (4.3) by Monte Carlo beside the exact solution and the bound (4.6) (shaded
    :math:`\pm` bound).

    Parameters
    ----------
    v, stderr : array_like, shape (M,)
        The Monte Carlo values of v at M points and their standard errors (2 s.e. bars).
    exact : array_like, shape (M,), optional
        The exact solution at the same points (default: not drawn).
    bound : array_like, shape (M,), optional
        The bound (4.6) on :math:`|v|` at the points, shaded as :math:`\pm` bound (default: not
        drawn).
    labels : sequence of str, optional
        Tick labels of the points (default: 0, ..., M - 1).
    title : str, optional
        A title (default: none).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; None (the default) makes a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on (``ax.figure`` when ``ax`` is given).
    """
    plt = _plt()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    v = np.asarray(v, dtype=float).ravel()
    idx = np.arange(v.size)
    if bound is not None:
        bd = np.asarray(bound, dtype=float).ravel()
        ax.bar(idx, 2 * bd, bottom=-bd, width=0.6, color="tab:orange", alpha=0.25,
               label="+- bound (4.6)")  # fmt: skip
    ax.errorbar(idx - 0.1, v, 2 * np.asarray(stderr, float).ravel(), fmt="o", ms=4,
                label="truncated series (4.3), Monte Carlo (2 s.e.)")  # fmt: skip
    if exact is not None:
        ax.plot(idx + 0.1, np.asarray(exact, float).ravel(), "k_", ms=12, mew=2, label="exact v")
    ax.axhline(0, color="k", lw=0.5)
    if labels is not None:
        ax.set_xticks(idx, list(labels), fontsize=8)
    else:
        ax.set_xlabel("point z")
    ax.set_ylabel("v(z)")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return fig if fig is not None else ax.figure
