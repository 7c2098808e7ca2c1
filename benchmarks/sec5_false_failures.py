r"""False-failure rates of lemma-5.2, lemma-5.3 and lemma-5.4 over check seeds, sharing runs.

The three checks read the same replayed runs (``proofs_checks._decomposition.fluctuation_runs``,
cached on (quick, seed)), so this script runs the three for each seed before moving to the next
seed and clears the registered caches between seeds: one set of runs per seed instead of three
(``benchmarks/false_failures.py`` runs one check over all seeds, recomputing the runs for each).
Fails, shares and 95% Wilson intervals as in ``false_failures.py`` (its ``wilson_interval``).

Usage::

    python benchmarks/sec5_false_failures.py --seeds 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

IDS = ("lemma-5.2", "lemma-5.3", "lemma-5.4")


def main(argv=None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from false_failures import wilson_interval

    from rtrl_theory.checks import discover
    from rtrl_theory.checks._power import clear_caches

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=20, metavar="N", help="seeds 0..N-1")
    p.add_argument("--full", action="store_true", help="full mode instead of quick")
    args = p.parse_args(argv)
    reg = discover()
    out = {cid: [] for cid in IDS}
    for seed in range(args.seeds):
        clear_caches()
        for cid in IDS:
            t0 = time.perf_counter()
            res = reg[cid].check(quick=not args.full, seed=seed)
            out[cid].append((res.status, time.perf_counter() - t0, res.reason, res.details))
            print(f"seed {seed:2d} {cid}: {res.status} ({out[cid][-1][1]:.1f} s) {res.reason[:200]}"
                  f" | {res.measured[:400]}", flush=True)  # fmt: skip
    clear_caches()
    print(f"\n{'id':10s} {'seeds':>5s} {'fails':>5s}  95% Wilson interval")
    for cid, rows in out.items():
        k = sum(r[0] == "fail" for r in rows)
        lo, hi = wilson_interval(k, len(rows))
        print(f"{cid:10s} {len(rows):5d} {k:5d}  [{lo:.1%}, {hi:.1%}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
