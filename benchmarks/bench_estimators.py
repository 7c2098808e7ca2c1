r"""Cost per step of the online gradient estimators against N, and their scaling exponents.

Model: the paper's RNN (2.17)-(2.19) with d = 2 inputs, so P = N + 2N + N^2 ~ N^2. Complexity
classes per particle and step (issue 13, item 5), as powers of N:

=============  ===============  =========
estimator      class            exponent
=============  ===============  =========
``uoro``       O(N^2 + P)       2
``kf-rtrl``    O(N^3)           3
``snap-1``     O(P)             2
``exact``      O(N^2 P)         4
=============  ===============  =========

What is timed: the estimator's own work per step, ``advance`` (the sensitivity update from the
cell's linearization) and ``gradient`` (the estimate :math:`\tilde G_A`), on K particles at once;
the linearization (shared by every estimator) is computed once per N, outside the timing, as in
``rtrl_theory.online.stationary_bias`` (``cost_per_step``). Seconds per particle and step =
time / (steps K), with K from ``K_of`` (its comment says why).

Method: warm-up, then ``--rounds`` rounds round-robin over (estimator, N); each case keeps its
best round (on a loaded machine a transient slowdown then hits one round of every case rather
than all repeats of one). The exponent is the least-squares slope of log(cost) on log(N) over
the grid; PASS when it is within 0.3 of the class. The speed ratio exact / UORO at N = 64 must be
at least 20. The load average is printed: timings on a shared machine are biased upward, and
unevenly.

Usage::

    python benchmarks/bench_estimators.py            # the measurement (about 2-4 minutes)
    python benchmarks/bench_estimators.py --quick    # small grid: a smoke test
    python benchmarks/bench_estimators.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.online import make_estimator

CLASS_EXPONENT = {"uoro": 2.0, "kf-rtrl": 3.0, "snap-1": 2.0, "exact": 4.0}
#: Particles per case. UORO and SnAp-1 are memory-bound (a few passes over K P_c floats per
#: step): K is chosen so that K P_c is about 2^21 floats (16 MB) at every N, so every size runs in
#: the same memory regime (the same cache level, under glibc's largest mmap threshold of 32 MB)
#: and the fitted slope is the work's, not the cache hierarchy's. KF-RTRL and exact RTRL are
#: compute-bound (batched N x N products, one GEMM): a fixed K.
WORKING_SET = 2**21


def K_of(name: str, N: int) -> int:
    if name in ("uoro", "snap-1"):
        P = N * N + 2 * N  # P_c of the paper's RNN with d = 2
        return max(1, round(WORKING_SET / P))
    return {"kf-rtrl": 2, "exact": 4}[name]


GRID = {
    "uoro": (32, 64, 128, 256, 512),
    "kf-rtrl": (192, 256, 384, 512, 768),
    "snap-1": (32, 64, 128, 256, 512),
    "exact": (32, 48, 64, 96, 128),
}
QUICK_GRID = {"uoro": (32, 64), "kf-rtrl": (32, 64), "snap-1": (32, 64), "exact": (16, 32)}


def _case(name, N, K, rng):
    model = PaperRNN(N, 2)
    theta = model.flatten(model.init_params(rng))
    th, tc = model.split(theta)
    prep = model.cell.prepare(tc)
    S = rng.uniform(0.0, 1.0, (K, N))
    X = rng.standard_normal((K, 2))
    lin = model.cell.linearize(prep, S, X)
    hd = model.head.derivatives(th, lin.S_next, rng.standard_normal(K))
    est = make_estimator(name, model, rng=rng)
    state = est.initial(K)
    for _ in range(2):  # warm up and leave the zero state (rescalings need nonzero norms)
        state = est.advance(state, lin, rng)
    return est, state, lin, hd


def _time(est, state, lin, hd, rng, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        state = est.advance(state, lin, rng, inplace=True)
        est.gradient(state, hd)
    return time.perf_counter() - t0, state


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    grid = QUICK_GRID if args.quick else GRID
    rng = np.random.default_rng(args.seed)
    load0 = os.getloadavg()
    cases = {}
    for name, Ns in grid.items():
        for N in Ns:
            cases[(name, N)] = list(_case(name, N, K_of(name, N), rng))
    # Steps per timing: about 0.2 s of work per case, from one calibration step.
    steps = {}
    for key, (est, st, lin, hd) in cases.items():
        dt, st = _time(est, st, lin, hd, rng, 1)
        cases[key][1] = st
        steps[key] = max(1, min(200, int(0.2 / max(dt, 1e-6))))
    best = {key: np.inf for key in cases}
    for _ in range(args.rounds):
        for key, (est, st, lin, hd) in cases.items():
            dt, st = _time(est, st, lin, hd, rng, steps[key])
            cases[key][1] = st
            best[key] = min(best[key], dt / (steps[key] * K_of(*key)))
    load1 = os.getloadavg()

    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f} (2 cores, shared machine)")
    print("seconds per particle and step (best of rounds):")
    results = {}
    ok_all = True
    for name, Ns in grid.items():
        costs = np.array([best[(name, N)] for N in Ns])
        slope = float(np.polyfit(np.log(Ns), np.log(costs), 1)[0])
        ok = abs(slope - CLASS_EXPONENT[name]) <= 0.3
        ok_all &= ok
        results[name] = {
            "N": list(Ns),
            "K": [K_of(name, N) for N in Ns],
            "seconds_per_particle_step": costs.tolist(),
            "exponent": slope,
            "class_exponent": CLASS_EXPONENT[name],
            "pass": bool(ok),
        }
        row = "  ".join(f"N={N}: {c:.3g}" for N, c in zip(Ns, costs, strict=True))
        print(f"  {name:<8} {row}")
        print(
            f"  {'':<8} fitted exponent {slope:.2f}, class {CLASS_EXPONENT[name]:.0f}: "
            f"{'PASS' if ok else 'FAIL'} (|difference| <= 0.3)"
        )
    ratio = None
    if 64 in grid["exact"]:
        if ("uoro", 64) not in cases:  # N = 64 is below UORO's fitting grid: time it apart
            est, st, lin, hd = _case("uoro", 64, K_of("uoro", 64), rng)
            n64 = max(1, int(0.2 / max(_time(est, st, lin, hd, rng, 1)[0], 1e-6)))
            best[("uoro", 64)] = min(
                _time(est, st, lin, hd, rng, n64)[0] / (n64 * K_of("uoro", 64))
                for _ in range(args.rounds)
            )
        ratio = best[("exact", 64)] / best[("uoro", 64)]
        ok = ratio >= 20
        ok_all &= ok
        print(f"exact / UORO per step at N = 64: {ratio:.0f}x ({'PASS' if ok else 'FAIL'}: >= 20x)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "seed": args.seed,
                    "rounds": args.rounds,
                    "load_before": load0,
                    "load_after": load1,
                    "results": results,
                    "exact_over_uoro_N64": ratio,
                },
                fh,
                indent=1,
            )
    if args.quick:
        print("(--quick: a smoke test below the asymptotic sizes; PASS/FAIL is not meaningful)")
        return 0
    return 0 if ok_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
