"""``rtrl-theory report``: build the report of a run's outputs (:mod:`rtrl_theory.report`)."""

import sys
from pathlib import Path

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c

DESCRIPTION = ("Run the verification checks (or read their JSON) and write --out/report.md and a "
               "self-contained --out/report.html with the verify table (each check's claim beside "
               "its measured value) and every figure of the figures folder (rtrl-theory figures).")
OPTIONS = (
    flag("--quick", dest="quick", action="store_true", default=True, group="mode",
         help="run the checks in quick mode (default)"),
    flag("--full", dest="quick", action="store_false", group="mode", help="run them at full size"),
    flag("--out", type=Path, default=Path("report"), help="output folder (default ./report)"),
    flag("--figures", type=Path, default=Path("figures"), metavar="DIR",
         help="folder of the figures and their manifest.json (default ./figures)"),
    flag("--verify-json", type=Path, metavar="PATH", help="read the verify table from this file "
         "(rtrl-theory verify --json) instead of running the checks"),
    flag("--power-json", type=Path, metavar="PATH", group="power",
         help="add the power table read from this file (rtrl-theory verify --power --json)"),
    flag("--power", action="store_true", group="power",
         help="add the power table, computed (runs every check once per declared mutant)"),
    flag("--only", nargs="+", metavar="ID", help="run only these check ids"),
    flag("--link-images", action="store_true", help="link the PNGs from the HTML, do not embed"),
)


def add_parser(sub):
    """Register ``report`` (flags: :data:`OPTIONS`)."""
    help = "write report.md and report.html: the verify table and every figure"
    return c.add_command(sub, "report", help, DESCRIPTION, OPTIONS, _cmd_report)


def _cmd_report(args) -> int:
    from rtrl_theory.report import build_report, report_messages

    try:
        res = build_report(
            args.out, quick=args.quick, only=args.only, verify_json=args.verify_json,
            power=args.power, power_json=args.power_json, figures_dir=args.figures,
            embed=not args.link_images,
            progress=lambda label: print(f"running {label} ...", file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        return c.error("report", exc)
    summary, warnings = report_messages(res, args.figures)
    print(summary)
    for line in warnings:
        c.say("report", line)
    return 0


def main(argv=None) -> int:
    """Run ``rtrl-theory report`` on its own (``argv``: its flags)."""
    return c.run_one_command("report", add_parser, argv)
