"""``rtrl-theory assumptions``: the hypotheses of the convergence theorem."""

from __future__ import annotations

import sys

from rtrl_theory.commands._common import add_model_args, prepare_outputs_or_report


def add_parser(sub):
    """Register the ``assumptions`` subcommand and its flags.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``rtrl-theory`` parser (:func:`rtrl_theory.cli.build_parser`).
    """
    p = sub.add_parser(
        "assumptions",
        help="check the hypotheses of the convergence theorem for a configuration",
        description=(
            "Print every constant, the a-priori radii, the contraction constants, whether each "
            "hypothesis holds (N C_f < 4, rho < 1, lam < 1, Robbins-Monro of the schedule), "
            "rho_bar = max(lam, rho), lam + rho and the largest c_f with rho < 1 at this N. "
            "Exit status: 0 all hypotheses hold, 1 some fail, 2 bad arguments."
        ),
    )
    add_model_args(p)
    p.add_argument("--lam", type=float, default=0.5, help="data contraction lam (default 0.5)")
    p.add_argument("--c-x", type=float, default=1.0, help="input bound C_x (default 1)")
    p.add_argument(
        "--schedule",
        default=None,
        metavar="SPEC",
        help="learning-rate schedule to test, e.g. 'eta0=0.1,t0=100,gamma=0.75'",
    )
    p.add_argument(
        "--setup",
        choices=("thm-6.1", "delay-line"),
        default=None,
        help="check a named set-up instead of the flags: the Theorem 6.1 experiment (leaky-trace "
        "target, lifted data chain reported) or the former delay-line one",
    )
    p.add_argument(
        "--json", metavar="PATH", help="also write the report as JSON ('-': standard output)"
    )
    p.set_defaults(func=_cmd_assumptions)


def _cmd_assumptions(args) -> int:
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.bounds import check_assumptions

    outputs = prepare_outputs_or_report("assumptions", (("--json", args.json),))
    if outputs is None:
        return 2
    try:
        c_f = args.c_f if args.c_f is not None else 0.5 / max(args.n_hidden, 1)
        if args.setup is not None:
            from rtrl_theory.estimators import delay_line_setup, theorem_6_1_setup

            if args.setup == "thm-6.1":  # the hypotheses do not depend on theta_0
                report = theorem_6_1_setup(pretrain_steps=0).assumptions()
            else:
                report = delay_line_setup().assumptions()
        else:
            report = check_assumptions(
                args.n_hidden,
                args.n_input,
                c_f,
                args.c_g,
                args.bounded_map,
                args.lam,
                args.c_x,
                args.schedule,
            )
    except (ValueError, TypeError) as exc:
        print(f"rtrl-theory assumptions: error: {exc}", file=sys.stderr)
        outputs.release()
        return 2
    print(report.format(), file=sys.stderr if outputs.to_stdout else sys.stdout)
    with outputs:
        if args.json:
            write_json_atomic(args.json, report.to_dict())
            print(f"wrote {args.json}", file=sys.stderr)
    return 0 if report.hypotheses_hold else 1

