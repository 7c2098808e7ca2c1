"""``rtrl-theory figures``: run the paper figure scripts (:mod:`rtrl_theory.figures`)."""

from pathlib import Path

from rtrl_theory._options import flag
from rtrl_theory.commands import _common as c

DESCRIPTION = ("Run the figure scripts of paper_figures/ (figures of [P1] Section 7 and the "
               "theory figures): PNG and PDF in --out, cached data reused unless --recompute, a "
               "progress bar, and --out/manifest.json (figure, script, seed, configuration, run "
               "time, files, status). Exit status 1 if a script failed (the others are still "
               "made).")
OPTIONS = (
    flag("--quick", action="store_true", help="small sizes: seconds per figure"),
    flag("--only", nargs="+", metavar="FIG",
         help="only these scripts (names or prefixes: fig01 fig_contraction)"),
    flag("--out", type=Path, default=Path("figures"), help="output folder (default ./figures)"),
    flag("--jobs", type=c.positive_arg, default=1, metavar="N",
         help="figures made at the same time, in N worker processes (default 1)"),
    flag("--sweep-jobs", type=c.positive_or_all_arg, default=1, metavar="M",
         help="joblib processes per Section 7 sweep (-1: one per core; default 1)"),
    flag("--dask-scheduler", metavar="ADDRESS", help="run the sweeps' runs on this Dask "
         "scheduler, e.g. tcp://host:8786 (needs the dask extra; workers must import rtrl_theory)"),
    flag("--recompute", action="store_true", help="ignore cached figure data and sweep runs"),
    flag("--list", action="store_true", help="list the figure scripts and exit"),
    flag("--package", default="paper_figures",
         help="package of the figure scripts (default paper_figures)"),
    flag("--no-progress", action="store_true", help="no progress bar (one line per figure only)"),
)


def add_parser(sub):
    """Register ``figures`` (flags: :data:`OPTIONS`)."""
    help = "regenerate every figure (PNG and PDF) with a manifest"
    return c.add_command(sub, "figures", help, DESCRIPTION, OPTIONS, _cmd_figures)


def _cmd_figures(args) -> int:
    from rtrl_theory import figures as f

    try:
        if args.list:
            print("\n".join(f.list_scripts(args.package)))
            return 0
        res = f.run_figures(args.only, out=args.out, quick=args.quick, jobs=args.jobs,
                            sweep_jobs=args.sweep_jobs, dask_scheduler=args.dask_scheduler,
                            recompute=args.recompute, package=args.package,
                            progress=False if args.no_progress else None)  # checks --only first
    except (ValueError, FileNotFoundError, ConnectionError, ImportError) as exc:
        return c.error("figures", exc)
    print(f.format_run_table(res))
    for line in f.run_messages(res):
        c.say("figures", line)
    return 1 if res["n_failed"] else 0


def main(argv=None) -> int:
    """Run ``rtrl-theory figures`` on its own (``argv``: its flags)."""
    return c.run_one_command("figures", add_parser, argv)
