"""The stationary-bias table of ``rtrl-theory estimators``: run it, print it, record it.

:func:`run_bias_table` builds a set-up (:func:`~rtrl_theory.online.bias_setup`) and measures
:func:`~rtrl_theory.online.stationary_bias_table` on it; :func:`format_bias_report` is the text
the command prints and :func:`bias_record` its JSON record. The figure is
:func:`rtrl_theory.plotting.plot_estimator_costs`.
"""

from __future__ import annotations

import time

__all__ = ["bias_record", "format_bias_report", "format_table", "run_bias_table"]


def format_table(estimates) -> str:
    """Return the table printed by the command: one row per estimator.

    Parameters
    ----------
    estimates : list of BiasEstimate
        What :func:`~rtrl_theory.online.stationary_bias_table` returned.

    Returns
    -------
    str
        Header, rule and one row per estimator (relative bias with its CI, cosine, the same on the
        cell parameters, variance ratio, cost per step, memory).
    """
    head = (
        f"{'estimator':<11} {'rel bias':>9} {'95% CI':>21} {'cosine':>8} {'rel b cell':>10} "
        f"{'cos cell':>8} {'var ratio':>9} "
        f"{'cost/step':>10} {'memory':>7}"
    )
    lines = [head, "-" * len(head)]
    for e in estimates:
        lo, hi = e.rel_bias_ci
        lines.append(
            f"{e.estimator:<11} {e.rel_bias:>9.3g} {f'[{lo:.3g}, {hi:.3g}]':>21} "
            f"{e.cosine:>8.5f} {e.rel_bias_cell:>10.3g} {e.cosine_cell:>8.5f} "
            f"{e.variance_ratio:>9.3g} {e.cost_per_step * 1e6:>8.2f}us "
            f"{e.memory:>7d}"
        )
    return "\n".join(lines)


def run_bias_table(
    model_name: str,
    n_hidden: int,
    algos,
    *,
    particles: int = 256,
    steps: int = 2000,
    burn_in: int = 200,
    seed: int = 0,
    c_f: float | None = None,
    level: float = 0.95,
    progress: bool = True,
) -> dict:
    """Measure the stationary bias of the estimators ``algos`` on the set-up ``model_name``.

    Parameters
    ----------
    model_name : str
        A set-up of :func:`~rtrl_theory.online.bias_setup` (``"paper"``, ...).
    n_hidden : int
        Hidden units N.
    algos : list of str
        Estimator names (``snap-n`` and ``tbptt-tau`` take integers).
    particles, steps, burn_in : int
        Independent particles, steps averaged per particle, steps discarded first.
    seed : int
        Seed of the set-up; the run uses ``seed + 1``.
    c_f : float, optional
        Paper RNN only: scale of f (default 0.5/N).
    level : float
        Confidence level of the intervals.
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        ``{"model_name", "n_hidden", "seed", "model", "estimates", "wall_time"}``.

    Raises
    ------
    ValueError
        An unknown estimator (the message names ``--algos``) or a bad set-up argument, before
        any run.
    """
    from rtrl_theory._validate import positive_int

    from ._bias import stationary_bias_table
    from ._registry import is_estimator_name
    from ._setups import bias_setup

    bad = [a for a in algos if not is_estimator_name(a)]
    if bad:
        raise ValueError(f"--algos: unknown estimator(s) {', '.join(bad)}")
    positive_int(n_hidden, "--n-hidden")
    model, params, process = bias_setup(model_name, n_hidden, seed, c_f=c_f)
    t0 = time.perf_counter()
    estimates = stationary_bias_table(
        model,
        params,
        process,
        algos,
        n_particles=particles,
        n_steps=steps,
        burn_in=burn_in,
        rng=seed + 1,
        level=level,
        progress=progress,
    )
    return {
        "model_name": model_name,
        "n_hidden": n_hidden,
        "seed": seed,
        "model": model,
        "estimates": estimates,
        "wall_time": time.perf_counter() - t0,
    }


def format_bias_report(run: dict) -> str:
    """Return the text ``rtrl-theory estimators`` prints: the set-up line, the table, the notes.

    Parameters
    ----------
    run : dict
        What :func:`run_bias_table` returned.

    Returns
    -------
    str
        The set-up line, :func:`format_table` and three lines saying what the columns mean.
    """
    model, estimates, e0 = run["model"], run["estimates"], run["estimates"][0]
    return "\n".join([
        f"{model!r}: P = {model.n_params}, {e0.n_particles} particles x {e0.n_steps} steps "
        f"(burn-in {e0.burn_in}), |grad L| = {float((e0.grad_L**2).sum() ** 0.5):.4g}, "
        f"{run['wall_time']:.1f} s",
        format_table(estimates),
        "rel bias: debiased |E[G_A] - grad L| / |grad L| (0: not resolved above the noise);",
        "rel b cell, cos cell: the same on the cell parameters (the head's gradient is exact);",
        "cost/step: measured per particle and step, on a shared machine (indicative).",
    ])


def bias_record(run: dict) -> dict:
    """Return the JSON record of ``rtrl-theory estimators --json``.

    Parameters
    ----------
    run : dict
        What :func:`run_bias_table` returned.

    Returns
    -------
    dict
        The command, set-up, seed, wall time, the estimates and the environment.
    """
    from rtrl_theory._outputs import environment_info

    return {
        "command": "estimators",
        "model": run["model_name"],
        "model_repr": repr(run["model"]),
        "n_hidden": run["n_hidden"],
        "seed": run["seed"],
        "wall_time": run["wall_time"],
        "estimates": [e.to_dict() for e in run["estimates"]],
        "environment": environment_info(),
    }
