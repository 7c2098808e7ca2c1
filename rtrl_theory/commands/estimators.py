"""``rtrl-theory estimators``: the online gradient estimators' bias (:mod:`rtrl_theory.online`)."""

import sys
from pathlib import Path

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c
from rtrl_theory.online._registry import DEFAULT_TABLE
from rtrl_theory.online._setups import BIAS_MODELS

DESCRIPTION = ("Measure, at fixed parameters, the stationary bias E[G_A] - grad L of each online "
               "gradient estimator against exact RTRL on the same particles (common random "
               "numbers): relative bias with its confidence interval, cosine, variance ratio, "
               "measured cost per step and memory. One row per estimator.")
OPTIONS = (
    flag("--model", choices=BIAS_MODELS, default="paper", help="set-up (default paper)"),
    flag("--n-hidden", type=int, default=8, metavar="N", help="hidden units (default 8)"),
    flag("--algos", nargs="+", default=list(DEFAULT_TABLE), metavar="NAME",
         help=f"estimators (default: {' '.join(DEFAULT_TABLE)}); snap-n and tbptt-tau take integers"),
    flag("--particles", type=int, default=256, help="independent particles (default 256)"),
    flag("--steps", type=int, default=2000, help="steps averaged per particle (2000)"),
    flag("--burn-in", type=int, default=200, help="steps discarded first (200)"),
    flag("--seed", type=int, default=0, help="seed of the set-up and the run (0)"),
    flag("--c-f", type=float, default=None, help="paper RNN only: scale of f (0.5/N)"),
    flag("--level", type=float, default=0.95, help="confidence level (0.95)"),
    flag("--json", type=Path, default=None, metavar="PATH", help="write the results"),
    flag("--plot", type=Path, default=None, metavar="PATH", help="cost vs bias figure"),
    flag("--no-progress", action="store_true", help="no progress bar"),
)


def add_parser(sub):
    """Register ``estimators`` (flags: :data:`OPTIONS`)."""
    help = "stationary bias of online gradient estimators (UORO, KF-RTRL, SnAp, ...) vs RTRL"
    return c.add_command(sub, "estimators", help, DESCRIPTION, OPTIONS, cmd_estimators)


def cmd_estimators(args) -> int:
    """Run ``rtrl-theory estimators`` on the parsed ``args``; return the exit status."""
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.online._bias_table import bias_record, format_bias_report, run_bias_table

    try:
        run = run_bias_table(args.model, args.n_hidden, args.algos, particles=args.particles,
                             steps=args.steps, burn_in=args.burn_in, seed=args.seed, c_f=args.c_f,
                             level=args.level, progress=not args.no_progress)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_bias_report(run))
    if args.json is not None:
        write_json_atomic(args.json, bias_record(run))
    if args.plot is not None:
        from rtrl_theory.plotting import plot_estimator_costs, save_figure

        title = f"{args.model}, N = {args.n_hidden}: stationary bias vs cost"
        save_figure(plot_estimator_costs(run["estimates"], title=title), args.plot)
    return 0
