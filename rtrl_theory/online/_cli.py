"""``rtrl-theory estimators``: the stationary-bias table of the online gradient estimators.

A thin front end over :func:`rtrl_theory.online.stationary_bias_table` and the set-ups of
:func:`rtrl_theory.online.bias_setup`; the figure is
:func:`rtrl_theory.plotting.plot_estimator_costs`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["add_parser", "cmd_estimators", "format_table"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``estimators`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    from ._registry import DEFAULT_TABLE
    from ._setups import BIAS_MODELS

    p = subparsers.add_parser(
        "estimators",
        help="stationary bias of online gradient estimators (UORO, KF-RTRL, SnAp, ...) vs RTRL",
        description=(
            "Measure, at fixed parameters, the stationary bias E[G_A] - grad L of each online "
            "gradient estimator against exact RTRL on the same particles (common random "
            "numbers): relative bias with its confidence interval, cosine, variance ratio, "
            "measured cost per step and memory. One row per estimator."
        ),
    )
    p.add_argument("--model", choices=BIAS_MODELS, default="paper", help="set-up (default paper)")
    p.add_argument("--n-hidden", type=int, default=8, metavar="N", help="hidden units (default 8)")
    p.add_argument(
        "--algos",
        nargs="+",
        default=list(DEFAULT_TABLE),
        metavar="NAME",
        help=f"estimators (default: {' '.join(DEFAULT_TABLE)}); snap-n and tbptt-tau take integers",
    )
    p.add_argument("--particles", type=int, default=256, help="independent particles (default 256)")
    p.add_argument("--steps", type=int, default=2000, help="steps averaged per particle (2000)")
    p.add_argument("--burn-in", type=int, default=200, help="steps discarded first (200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the set-up and the run (0)")
    p.add_argument("--c-f", type=float, default=None, help="paper RNN only: scale of f (0.5/N)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the results")
    p.add_argument("--plot", type=Path, default=None, metavar="PATH", help="cost vs bias figure")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_estimators)
    return p


def format_table(estimates) -> str:
    """Return the table printed by the command: one row per estimator."""
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


def cmd_estimators(args) -> int:
    from rtrl_theory._outputs import environment_info, write_json_atomic
    from rtrl_theory._validate import positive_int

    from ._bias import stationary_bias_table
    from ._registry import is_estimator_name
    from ._setups import bias_setup

    bad = [a for a in args.algos if not is_estimator_name(a)]
    if bad:
        print(f"error: --algos: unknown estimator(s) {', '.join(bad)}", file=sys.stderr)
        return 2
    try:
        positive_int(args.n_hidden, "--n-hidden")
        model, params, process = bias_setup(args.model, args.n_hidden, args.seed, c_f=args.c_f)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    estimates = stationary_bias_table(
        model,
        params,
        process,
        args.algos,
        n_particles=args.particles,
        n_steps=args.steps,
        burn_in=args.burn_in,
        rng=args.seed + 1,
        level=args.level,
        progress=not args.no_progress,
    )
    wall = time.perf_counter() - t0
    e0 = estimates[0]
    print(
        f"{model!r}: P = {model.n_params}, {e0.n_particles} particles x {e0.n_steps} steps "
        f"(burn-in {e0.burn_in}), |grad L| = {float((e0.grad_L**2).sum() ** 0.5):.4g}, "
        f"{wall:.1f} s"
    )
    print(format_table(estimates))
    print("rel bias: debiased |E[G_A] - grad L| / |grad L| (0: not resolved above the noise);")
    print("rel b cell, cos cell: the same on the cell parameters (the head's gradient is exact);")
    print("cost/step: measured per particle and step, on a shared machine (indicative).")
    if args.json is not None:
        write_json_atomic(
            args.json,
            {
                "command": "estimators",
                "model": args.model,
                "model_repr": repr(model),
                "n_hidden": args.n_hidden,
                "seed": args.seed,
                "wall_time": wall,
                "estimates": [e.to_dict() for e in estimates],
                "environment": environment_info(),
            },
        )
    if args.plot is not None:
        from rtrl_theory.plotting import plot_estimator_costs, save_figure

        fig = plot_estimator_costs(
            estimates, title=f"{args.model}, N = {args.n_hidden}: stationary bias vs cost"
        )
        save_figure(fig, args.plot)
    return 0


if __name__ == "__main__":  # pragma: no cover
    from rtrl_theory.commands._common import run_one_command

    sys.exit(run_one_command("estimators", add_parser))
