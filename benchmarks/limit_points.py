"""Where online training ends up: the limit-point table of issue 13 (item 4).

A thin front end of :func:`rtrl_theory.online.train_to_limit` on the linear system of notebook 07
(LinearSDE N = 2, d = 1, dt = 0.3; AR(1) inputs with coefficient 0.5; the Wishart teacher with
noise 0.2), 40,000 steps at batch 16, eta_t = 0.05 (1 + t / 2000)^-0.75, alpha = 0.01 per row;
the same sizes as the slow tests of tests/test_online_limit.py.

    python benchmarks/limit_points.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import time

from rtrl_theory import LinearSDE
from rtrl_theory.data import AR1Chain, DataProcess, linear_sde_teacher
from rtrl_theory.online import train_to_limit
from rtrl_theory.runners import PowerSchedule

ALGOS = ["immediate", "tbptt-2", "tbptt-4", "snap-1", "eprop", "exact", "uoro", "kf-rtrl"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--algos", nargs="+", default=ALGOS)
    ap.add_argument("--steps", type=int, default=40_000)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    t = linear_sde_teacher(2, 1, rng=0, dt=0.3, dof=20)
    process = DataProcess(AR1Chain(1, 0.5), t.target(noise=0.2))
    model = LinearSDE(2, 1, dt=0.3)
    p0 = model.init_params(1)
    schedule = PowerSchedule(eta0=0.05, t0=2000, gamma=0.75)
    rows = []
    print(
        f"{'estimator':<10} {'pred |b|':>9} {'|grad L|':>9} {'CI':>21} {'floor f':>9} "
        f"{'above':>6} {'match':>6}"
    )
    for a in args.algos:
        t0 = time.perf_counter()
        r = train_to_limit(
            model,
            p0,
            process,
            a,
            n_train=args.steps,
            schedule=schedule,
            batch_size=args.batch_size,
            rng=args.seed,
        )
        row = r.row() | {"seconds": time.perf_counter() - t0}
        rows.append(row)
        print(
            f"{a:<10} {r.predicted:9.4g} {r.grad_norm:9.4g} [{r.ci[0]:9.4g}, {r.ci[1]:9.4g}] "
            f"{r.floor:9.3g} {str(r.above_floor):>6} {str(r.match):>6}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "settings": vars(args)}, f, indent=1)


if __name__ == "__main__":
    main()
