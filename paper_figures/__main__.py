"""Regenerate every figure: ``python -m paper_figures [--quick] [--out DIR] [--recompute] [--only NAME ...]``.

Runs the scripts one after the other (sorted by name, so an RTRL figure runs before its TBPTT
companion and the companion reuses its runs), prints a table of wall times and writes it to
``<out>/timings[_quick].json``. Extra flags (``--seed``, ``--progress``) go to every script.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[str]:
    """Module names of the figure scripts, sorted."""
    return sorted(p.stem for p in HERE.glob("fig*.py"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m paper_figures", description=__doc__.splitlines()[0], add_help=True
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (stems)")
    p.add_argument("--list", action="store_true", help="list the scripts and exit")
    args, rest = p.parse_known_args(argv)
    names = scripts()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            p.error(f"unknown script(s) {unknown}; available: {', '.join(names)}")
        names = [n for n in names if n in args.only]
    from rtrl_theory._outputs import write_json_atomic

    from . import _common

    sub = _common.parse_args(rest)  # validates the shared flags before any work
    rows = []
    for name in names:
        module = importlib.import_module(f"paper_figures.{name}")
        t0 = time.perf_counter()
        info = module.main(rest)
        rows.append(
            {
                "figure": name,
                "cached": info["cached"],
                "compute_seconds": info["compute_seconds"],
                "wall_seconds": time.perf_counter() - t0,
                "png": str(info["png"]),
                "summary": info["summary"],
            }
        )
    print(f"\n{'figure':<32} {'data':>8} {'compute s':>10} {'wall s':>8}")
    for r in rows:
        how = "cached" if r["cached"] else "computed"
        print(f"{r['figure']:<32} {how:>8} {r['compute_seconds']:>10.1f} {r['wall_seconds']:>8.1f}")
    total = sum(r["wall_seconds"] for r in rows)
    print(f"{'total':<32} {'':>8} {'':>10} {total:>8.1f}")
    out = Path(sub.out)
    write_json_atomic(out / f"timings{'_quick' if sub.quick else ''}.json", {"figures": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
