"""``rtrl-theory verify``: run the checks of ``proofs_checks`` (and ``--power``)."""

from __future__ import annotations

import sys

from rtrl_theory.commands._common import prepare_outputs_or_report, seed_arg, terminal_width


def add_parser(sub):
    """Register the ``verify`` subcommand and its flags.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``rtrl-theory`` parser (:func:`rtrl_theory.cli.build_parser`).
    """
    p = sub.add_parser(
        "verify",
        help="run the verification checks of [P1]'s statements",
        description=(
            "Run the checks in proofs_checks/ and print a table; exit 1 if any fails. With "
            "--power, run every check against each of its mutants (named changes of the "
            "library that make the check's claim false) and print how many each check catches."
        ),
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="small sizes, seconds per check (default)",
    )
    mode.add_argument(
        "--full", dest="quick", action="store_false", help="larger sizes and horizons"
    )
    p.add_argument("--only", nargs="+", metavar="ID", help="run only these check ids")
    p.add_argument("--list", action="store_true", help="list the check ids and exit")
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=0,
        metavar="S",
        help="shift every Monte Carlo seed of the checks by S >= 0 (default 0)",
    )
    p.add_argument(
        "--power",
        action="store_true",
        help="measure the checks' power: run each against its declared mutants and print, per "
        "check, the mutants tried and caught and the share caught (exit 1 if a catchable "
        "mutant is missed or a check fails)",
    )
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write the results (with --power: the power table) as JSON ('-': standard "
        "output)",
    )
    p.add_argument(
        "--markdown", metavar="PATH", help="also write a Markdown table ('-': standard output)"
    )
    p.set_defaults(func=_cmd_verify)


class _VerifyProgress:
    """Progress over the checks on standard error.

    Progress over the checks on standard error: a tqdm bar on a terminal (the current id as
    its description, each finished check's status and time printed above it), plain
    ``running <id> ...`` / ``<id>: <status> in <t> s`` lines otherwise.
    """

    def __init__(self, total: int, unit: str = "check"):
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def start(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(label)
        else:
            print(f"running {label} ...", file=sys.stderr, flush=True)

    def done(self, label: str, status: str, seconds: float) -> None:
        line = f"{label}: {status} in {seconds:.1f} s"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _cmd_verify(args) -> int:
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.checks import (
        discover,
        format_markdown,
        format_table,
        results_to_json,
        run_checks,
        select,
    )

    if args.list:
        for cid, mod in discover().items():
            print(f"{cid:14s} {getattr(mod, 'STATEMENT', '')}")
        return 0
    if args.power and args.markdown:
        print("rtrl-theory verify: error: --markdown: not available with --power", file=sys.stderr)
        return 2
    outputs = prepare_outputs_or_report("verify", (("--json", args.json), ("--markdown", args.markdown)))
    if outputs is None:
        return 2
    try:
        selected = select(args.only)
    except ValueError as exc:
        outputs.release()
        print(f"rtrl-theory verify: error: {exc}", file=sys.stderr)
        return 2
    if args.power:
        return _verify_power(args, selected, outputs)

    bar = _VerifyProgress(len(selected))
    try:
        results = run_checks(
            args.only,
            quick=args.quick,
            seed=args.seed,
            progress=bar.start,
            on_result=lambda r: bar.done(r.id, r.status, r.seconds),
        )
    except BaseException:
        outputs.release()  # the lock files go with the run
        raise
    finally:
        bar.close()
    print(
        format_table(results, width=terminal_width()),
        file=sys.stderr if outputs.to_stdout else sys.stdout,
    )
    with outputs:
        if args.json:
            write_json_atomic(
                args.json, results_to_json(results, quick=args.quick, seed=args.seed)
            )
            print(f"wrote {args.json}", file=sys.stderr)
        if args.markdown:
            from rtrl_theory._outputs import write_text

            write_text(args.markdown, format_markdown(results))
            print(f"wrote {args.markdown}", file=sys.stderr)
    return 1 if any(r.failed for r in results) else 0


def _verify_power(args, selected: dict, outputs) -> int:
    """``verify --power``: the power table; exit 1 on a failing baseline or a missed mutant."""
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.checks import format_power_table, power_summary, power_to_json, run_power

    n_runs = sum(1 + len(getattr(m, "MUTANTS", ())) for m in selected.values())
    bar = _VerifyProgress(n_runs, unit="run")
    try:
        rows = run_power(
            args.only, quick=args.quick, seed=args.seed, progress=bar.start, on_run=bar.done
        )
    except BaseException:
        outputs.release()
        raise
    finally:
        bar.close()
    print(
        format_power_table(rows, width=terminal_width()),
        file=sys.stderr if outputs.to_stdout else sys.stdout,
    )
    with outputs:
        if args.json:
            write_json_atomic(args.json, power_to_json(rows, quick=args.quick, seed=args.seed))
            print(f"wrote {args.json}", file=sys.stderr)
    s = power_summary(rows)
    return 1 if s["missed"] or s["crashed"] or s["baseline_failed"] else 0

