r"""False-failure rates of the verification checks over seeds (issue 11, item 6).

For a true statement a Monte Carlo check fails at about its nominal level. This script runs each
chosen check of ``proofs_checks`` with ``seed = 0, 1, ..., S - 1`` (``check(quick, seed)``: the
seed shifts every Monte Carlo seed of the check) and prints, per check, the number of fails, the
share, and a 95% Wilson score interval for the false-failure rate
(:math:`(\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`, z = 1.96):
with 20 seeds and no fail the rate is below 16% at 95% confidence, so 20 seeds bound a nominal
level only coarsely -- state the interval in the check's docstring, not just the count.

A crash (the check raised) is counted as a fail and listed separately. A ``refuted`` or ``note``
row is not a fail.

With ``--mutants`` each seed also runs every catchable mutant of the check (``MUTANTS``) and counts
it caught at that seed when the check does not pass under it (a crash, of the check or of the
patch, is not a catch); the catch rate gets the same Wilson
interval. By default the registered caches are cleared before each mutant run (a fresh run);
``--reuse-cache`` keeps the seed's cached simulations, which is equivalent and much cheaper only
for mutants that act on the decision and not on the simulated data (thm-6.1's spread-exponent-1
changes the predicted ratio only). A check whose ``details["controls"]`` maps names to dicts with
an ``ok`` flag (a negative control passed the rule) also gets each control's catch rate (caught:
``ok`` false).

Usage::

    python benchmarks/false_failures.py                     # every check taking a seed, 20 seeds
    python benchmarks/false_failures.py --only prop-3.1 --seeds 50 --json ff.json
    python benchmarks/false_failures.py --full --only thm-3.11
    python benchmarks/false_failures.py --only thm-6.1 --start 0 --seeds 8 --mutants --reuse-cache
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion k / n (n >= 1)."""
    if n < 1:
        raise ValueError(f"n: expected at least one trial, got {n}")
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def seeded_checks(only=None, *, package: str = "proofs_checks") -> dict:
    """``{id: module}`` of the checks whose ``check`` takes a ``seed`` (or of ``only``)."""
    from rtrl_theory.checks import select
    from rtrl_theory.checks._runner import _accepts_seed

    chosen = select(only, package=package)
    if only:
        bad = [c for c, m in chosen.items() if not _accepts_seed(m.check)]
        if bad:
            raise ValueError(f"only: {', '.join(bad)} take no seed (no Monte Carlo to vary)")
        return chosen
    return {c: m for c, m in chosen.items() if _accepts_seed(m.check)}


def _rate(flags: list) -> dict:
    k, n = sum(bool(f) for f in flags), len(flags)
    lo, hi = wilson_interval(k, n)
    return {"n": n, "k": k, "share": k / n, "wilson95": [lo, hi], "per_seed": [bool(f) for f in flags]}


def false_failures(
    only=None,
    *,
    n_seeds: int = 20,
    start: int = 0,
    quick: bool = True,
    progress=None,
    package: str = "proofs_checks",
    mutants: bool = False,
    reuse_cache: bool = False,
) -> dict:
    """Run each chosen check for seeds ``start..start+n_seeds-1``; return per check the statuses,
    the number and share of fails, the Wilson interval and the run times (with ``mutants``, also
    each catchable mutant's catch rate; controls' catch rates when the check reports them)."""
    from rtrl_theory.checks import run_checks
    from rtrl_theory.checks._power import clear_caches

    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds: expected a positive integer, got {n_seeds!r}")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise ValueError(f"start: expected a non-negative integer, got {start!r}")
    seeds = list(range(start, start + n_seeds))
    out = {}
    for cid, mod in seeded_checks(only, package=package).items():
        statuses, seconds, crashed, reasons, measured = [], [], [], {}, []
        caught: dict = {}
        controls: dict = {}
        for seed in seeds:
            if progress is not None:
                progress(cid, seed)
            (res,) = run_checks([cid], quick=quick, seed=seed, package=package)
            statuses.append(res.status)
            seconds.append(res.seconds)
            measured.append(" ".join(str(res.measured).split())[:1000])
            if (res.details or {}).get("crashed"):
                crashed.append(seed)
            if res.status == "fail":
                reasons[seed] = " ".join(res.reason.split())[:300]
            for name, c in ((res.details or {}).get("controls") or {}).items():
                if isinstance(c, dict) and "ok" in c:
                    controls.setdefault(name, []).append(not c["ok"])
            if mutants:
                for m in getattr(mod, "MUTANTS", ()):
                    if not m.catchable:
                        continue
                    if not reuse_cache:
                        clear_caches()
                    try:
                        with m.patch():
                            (rm,) = run_checks([cid], quick=quick, seed=seed, package=package)
                        hit = rm.status != "pass" and not (rm.details or {}).get("crashed")
                    except Exception:  # a patch that cannot be applied catches nothing
                        hit = False
                    caught.setdefault(m.name, []).append(hit)
            if not reuse_cache:
                clear_caches()
        k = statuses.count("fail")
        lo, hi = wilson_interval(k, n_seeds)
        out[cid] = {
            "seeds": seeds,
            "n_seeds": n_seeds,
            "n_fail": k,
            "share_fail": k / n_seeds,
            "wilson95": [lo, hi],
            "statuses": statuses,
            "measured": measured,
            "crashed_seeds": crashed,
            "fail_reasons": reasons,
            "seconds_mean": sum(seconds) / n_seeds,
            "mutants_caught": {name: _rate(v) for name, v in caught.items()},
            "controls_caught": {name: _rate(v) for name, v in controls.items()},
        }
    return out


def format_rates(rates: dict) -> str:
    lines = [f"{'id':16s} {'seeds':>5s} {'fails':>5s} {'share':>6s}  {'95% interval':>15s}  s/run"]
    for cid, r in rates.items():
        lo, hi = r["wilson95"]
        lines.append(
            f"{cid:16s} {r['n_seeds']:5d} {r['n_fail']:5d} {r['share_fail']:6.1%}  "
            f"[{lo:5.1%}, {hi:5.1%}]  {r['seconds_mean']:.1f}"
            + (f"  crashed at seeds {r['crashed_seeds']}" if r["crashed_seeds"] else "")
        )
    for cid, r in rates.items():
        for kind in ("mutants_caught", "controls_caught"):
            for name, c in r.get(kind, {}).items():
                lo, hi = c["wilson95"]
                lines.append(
                    f"{cid} {kind.split('_')[0][:-1]} {name}: caught {c['k']}/{c['n']} "
                    f"({c['share']:.1%}, 95% [{lo:.1%}, {hi:.1%}])"
                )
        for seed, why in r["fail_reasons"].items():
            lines.append(f"{cid} seed {seed}: {why}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", metavar="ID", help="check ids (default: all with a seed)")
    p.add_argument("--seeds", type=int, default=20, metavar="N", help="N seeds (default 20)")
    p.add_argument("--start", type=int, default=0, metavar="S", help="first seed (default 0)")
    p.add_argument("--mutants", action="store_true", help="also each catchable mutant per seed")
    p.add_argument(
        "--reuse-cache", action="store_true",
        help="keep the seed's cached simulations for the mutant runs (mutants on the decision only)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="quick", action="store_true", default=True)
    mode.add_argument("--full", dest="quick", action="store_false")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the rates as JSON")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds: expected a positive integer, got {args.seeds}")
    if args.start < 0:
        p.error(f"--start: expected a non-negative integer, got {args.start}")
    t0 = time.perf_counter()
    try:
        seeded_checks(args.only)  # bad ids are reported before any long run
        rates = false_failures(
            args.only,
            n_seeds=args.seeds,
            start=args.start,
            quick=args.quick,
            mutants=args.mutants,
            reuse_cache=args.reuse_cache,
            progress=lambda c, s: print(f"{c} seed {s} ...", file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        print(f"false_failures: error: {exc}", file=sys.stderr)
        return 2
    print(format_rates(rates) if rates else "no check takes a seed")
    print(f"({'quick' if args.quick else 'full'} mode, {time.perf_counter() - t0:.0f} s)")
    if args.json:
        from rtrl_theory._outputs import write_json_atomic

        data = {"mode": "quick" if args.quick else "full", "checks": rates}
        write_json_atomic(args.json, data)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
