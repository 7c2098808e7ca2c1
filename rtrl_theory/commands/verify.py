"""``rtrl-theory verify``: run the checks of ``proofs_checks`` (and ``--power``)."""

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c

DESCRIPTION = ("Run the checks in proofs_checks/ and print a table; exit 1 if any fails. With "
               "--power, run every check against each of its mutants (named changes of the "
               "library that make the check's claim false) and print how many each check catches.")
OPTIONS = (
    flag("--quick", dest="quick", action="store_true", default=True, group="mode",
              help="small sizes, seconds per check (default)"),
    flag("--full", dest="quick", action="store_false", group="mode",
              help="larger sizes and horizons"),
    flag("--only", nargs="+", metavar="ID", help="run only these check ids"),
    flag("--list", action="store_true", help="list the check ids and exit"),
    flag("--seed", type=c.seed_arg, default=0, metavar="S",
              help="shift every Monte Carlo seed of the checks by S >= 0 (default 0)"),
    flag("--power", action="store_true", help="measure the checks' power: run each against "
              "its declared mutants and print, per check, the mutants tried and caught and the "
              "share caught (exit 1 if a catchable mutant is missed or a check fails)"),
    flag("--json", metavar="PATH", help="also write the results (with --power: the power "
              "table) as JSON ('-': standard output)"),
    flag("--markdown", metavar="PATH",
              help="also write a Markdown table ('-': standard output)"),
)


def add_parser(sub):
    """Register ``verify`` (flags: :data:`OPTIONS`)."""
    help = "run the verification checks of [P1]'s statements"
    return c.add_command(sub, "verify", help, DESCRIPTION, OPTIONS, _cmd_verify)


def _cmd_verify(args) -> int:
    from rtrl_theory.checks import discover
    from rtrl_theory.checks._verify import run_verify

    if args.list:
        for cid, mod in discover().items():
            print(f"{cid:14s} {getattr(mod, 'STATEMENT', '')}")
        return 0
    if args.power and args.markdown:
        return c.error("verify", "--markdown: not available with --power")
    paths = (("--json", args.json), ("--markdown", args.markdown))
    if (outputs := c.prepare_outputs_or_report("verify", paths)) is None:
        return 2
    try:  # a bad --only (ValueError: exit 2), or a crash: the lock files go with the run
        with c.released_on_failure(outputs):
            run = run_verify(args.only, quick=args.quick, seed=args.seed, power=args.power,
                             width=c.terminal_width())
    except ValueError as exc:
        return c.error("verify", exc)
    c.show(run.table, outputs)
    with outputs:
        c.announce_json(args.json, run.record)
        c.announce_text(args.markdown, run.markdown)
    return 1 if run.failed else 0
