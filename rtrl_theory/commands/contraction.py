"""``rtrl-theory contraction``: the W1 contraction rate beside rho_bar."""

from __future__ import annotations

import sys
from pathlib import Path

from rtrl_theory.commands._common import add_model_args, error, prepare_outputs_or_report


def add_parser(sub):
    """Register the ``contraction`` subcommand and its flags.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``rtrl-theory`` parser (:func:`rtrl_theory.cli.build_parser`).
    """
    p = sub.add_parser(
        "contraction",
        help="measure the W1 contraction rate of the joint process beside rho_bar",
        description=(
            "Run two particle ensembles of the joint process Z_t = (X, eta, S, J, H) at fixed "
            "theta from different initial laws (a point mass and the uniform law on the a-priori "
            "box), coupled synchronously (same noise: E||Z - Z'||, an upper bound on W1) and/or "
            "independently (W1 by POT on a block: a lower bound on the joint W1), fit the "
            "geometric rates and print them beside rho_bar = max(lam, rho) and lam. A "
            "configuration outside the theorem's hypotheses runs anyway, flagged. Exit status: "
            "0 rates consistent with rho_bar, 1 a rate above it, 2 bad arguments."
        ),
    )
    add_model_args(p)
    p.add_argument("--lam", type=float, default=0.5, help="contraction of the input chain")
    p.add_argument("--noise", type=float, default=0.5, help="input noise half-width")
    p.add_argument("--target-noise", type=float, default=0.1, help="target noise half-width")
    p.add_argument(
        "--order",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: carry the second-order states H (default); 1: S and J only",
    )
    p.add_argument("--particles", type=int, default=1000, help="K, particles per ensemble")
    p.add_argument("--steps", type=int, default=60, help="T, steps (synchronous coupling)")
    p.add_argument("--coupling", choices=["synchronous", "independent", "both"], default="both")
    p.add_argument(
        "--block",
        default="X0",
        help="block for the independent coupling's W1: X0 (the first input coordinate: exact "
        "1-D W1, fast, smallest floor; default), X, S, J, H, eta, all, or a comma list",
    )
    p.add_argument(
        "--indep-steps",
        type=int,
        default=15,
        help="steps for the independent coupling (default 15)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--json", metavar="PATH", help="write the rate table as JSON ('-': standard output)"
    )
    p.add_argument("--plot", type=Path, metavar="PATH", help="save the decay plot (PNG/PDF)")
    p.add_argument(
        "--marginals",
        type=Path,
        metavar="PATH",
        help="save histograms of S and of a few J entries under the stationary law (after a "
        "burn-in of rho_bar^n < 1e-6), with their summaries in the JSON",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument(
        "--force",
        action="store_true",
        help="run even if the estimated peak memory exceeds 80%% of the available memory",
    )
    p.set_defaults(func=_cmd_contraction)


def _cmd_contraction(args) -> int:
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.setups import ContractionExperiment, PaperConfig

    outputs = prepare_outputs_or_report(
        "contraction",
        (("--json", args.json), ("--plot", args.plot), ("--marginals", args.marginals)),
        binary=("--plot", "--marginals"),
    )
    if outputs is None:
        return 2
    with outputs:
        config = PaperConfig(args.n_hidden, args.n_input, args.c_f, args.c_g, args.bounded_map,
                             args.lam, args.noise, args.target_noise)
        experiment = ContractionExperiment(
            config, seed=args.seed, order=args.order, particles=args.particles, steps=args.steps,
            indep_steps=args.indep_steps, coupling=args.coupling, block=args.block,
            force=args.force, progress=not args.no_progress, marginals=bool(args.marginals),
        )
        try:
            rep = experiment.run(warn=lambda msg: print(f"warning: {msg}", file=sys.stderr))
        except (ValueError, TypeError) as exc:
            return error("contraction", exc)
        print(rep.format(), file=sys.stderr if outputs.to_stdout else sys.stdout)
        if args.marginals:
            from rtrl_theory.plotting import plot_marginals, save_figure

            title = f"stationary marginals (K = {args.particles}, {rep.marginals['burn_in']} steps)"
            save_figure(plot_marginals(rep.marginal_samples, title=title), args.marginals)
            print(f"wrote {args.marginals}", file=sys.stderr)
        if args.json:
            write_json_atomic(args.json, rep.to_dict())
            print(f"wrote {args.json}", file=sys.stderr)
        if args.plot:
            from rtrl_theory.plotting import plot_contraction, save_figure

            save_figure(plot_contraction(rep.estimates, rho_bar=rep.rho_bar, lam=args.lam),
                        args.plot)
            print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if rep.ok else 1
