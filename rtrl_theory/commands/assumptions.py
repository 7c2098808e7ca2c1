"""``rtrl-theory assumptions``: the hypotheses of the convergence theorem."""

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c

DESCRIPTION = ("Print every constant, the a-priori radii, the contraction constants, whether each "
               "hypothesis holds (N C_f < 4, rho < 1, lam < 1, Robbins-Monro of the schedule), "
               "rho_bar = max(lam, rho), lam + rho and the largest c_f with rho < 1 at this N. "
               "Exit status: 0 all hypotheses hold, 1 some fail, 2 bad arguments.")
OPTIONS = (
    *c.MODEL_OPTIONS,
    flag("--lam", type=float, default=0.5, help="data contraction lam (default 0.5)"),
    flag("--c-x", type=float, default=1.0, help="input bound C_x (default 1)"),
    flag("--schedule", default=None, metavar="SPEC", help="learning-rate schedule to test, "
              "e.g. 'eta0=0.1,t0=100,gamma=0.75'"),
    flag("--setup", choices=("thm-6.1", "delay-line"), default=None,
              help="check a named set-up instead of the flags: the Theorem 6.1 experiment "
              "(leaky-trace target, lifted data chain reported) or the former delay-line one"),
    flag("--json", metavar="PATH",
              help="also write the report as JSON ('-': standard output)"),
)


def add_parser(sub):
    """Register ``assumptions`` (flags: :data:`OPTIONS`)."""
    help = "check the hypotheses of the convergence theorem for a configuration"
    return c.add_command(sub, "assumptions", help, DESCRIPTION, OPTIONS, _cmd_assumptions)


def _cmd_assumptions(args) -> int:
    from rtrl_theory.bounds import check_assumptions

    if (outputs := c.prepare_outputs_or_report("assumptions", (("--json", args.json),))) is None:
        return 2
    try:
        if args.setup is not None:
            from rtrl_theory import estimators

            if args.setup == "thm-6.1":  # the hypotheses do not depend on theta_0
                report = estimators.theorem_6_1_setup(pretrain_steps=0).assumptions()
            else:
                report = estimators.delay_line_setup().assumptions()
        else:
            c_f = c.pick(args.c_f, 0.5 / max(args.n_hidden, 1))
            report = check_assumptions(args.n_hidden, args.n_input, c_f, args.c_g,
                                       args.bounded_map, args.lam, args.c_x, args.schedule)
    except (ValueError, TypeError) as exc:
        outputs.release()
        return c.error("assumptions", exc)
    c.show(report.format(), outputs)
    with outputs:
        c.announce_json(args.json, report.to_dict())
    return 0 if report.hypotheses_hold else 1
