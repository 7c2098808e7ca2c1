r"""Time of the exact W1 (POT network simplex, max-norm cost) on an (X, S, J) block of [P1]'s RNN.

Block sizes for d = 3 inputs and N = 10 hidden units: X has d = 3 coordinates, S has N = 10 and
J = dS/dtheta_c has N * P_c = 10 * (N d + N^2) = 1300, so particles live in dimension 1313.
Two ensembles of K particles are drawn (X uniform on [-1, 1], S in (0, 1), J Gaussian of
scale 0.1, the second ensemble shifted by 0.05: stand-ins with the ranges of the real blocks),
and the table reports, for K in {500, 1000, 2000}:

* ``cost``: the ``ot.dist`` Chebyshev cost matrix (tiled, on the available threads),
* ``emd``: ``ot.emd2`` on it,
* ``w1_empirical``: the whole call (cost + emd + checks), best of ``--repeats``,
* ``boot/rep``: one bootstrap replicate of :func:`w1_bootstrap` (one weighted emd2; the cost
  matrix is shared by all replicates), mean over a few replicates.

Target (issue 4): ``w1_empirical`` at K = 2000 under 5 s on 2 cores.

Usage::

    python benchmarks/bench_w1.py            # K = 500, 1000, 2000 (about half a minute)
    python benchmarks/bench_w1.py --quick    # K = 200, 500
    python benchmarks/bench_w1.py --seed 7 --threads 1
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import ot

from rtrl_theory.estimators import w1_empirical
from rtrl_theory.estimators._wasserstein import _emd2, cost_matrix

D_IN, N_HIDDEN = 3, 10
P_C = N_HIDDEN * D_IN + N_HIDDEN**2
DIM = D_IN + N_HIDDEN + N_HIDDEN * P_C  # 1313
TARGET_K, TARGET_S = 2000, 5.0


def particles(K: int, rng: np.random.Generator, shift: float = 0.0) -> np.ndarray:
    X = rng.uniform(-1.0, 1.0, (K, D_IN))
    S = 1.0 / (1.0 + np.exp(-rng.standard_normal((K, N_HIDDEN))))
    J = 0.1 * rng.standard_normal((K, N_HIDDEN * P_C))
    return np.hstack([X, S, J]) + shift


def best_of(f, repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seed", type=int, default=20250108)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=None, help="threads for the cost matrix")
    args = p.parse_args()
    Ks = (200, 500) if args.quick else (500, 1000, 2000)
    rng = np.random.default_rng(args.seed)
    threads = args.threads or len(os.sched_getaffinity(0))
    print(
        f"# W1 (POT {ot.__version__}, Chebyshev cost), dim = {DIM} (X {D_IN}, S {N_HIDDEN}, "
        f"J {N_HIDDEN * P_C}); seed {args.seed}; {threads} thread(s); "
        f"{platform.processor() or platform.machine()}, numpy {np.__version__}"
    )
    print(
        f"{'K':>6} {'cost [s]':>9} {'emd [s]':>8} {'w1_empirical [s]':>17} {'boot/rep [s]':>13} {'W1':>8}"
    )
    for K, g in zip(Ks, rng.spawn(len(Ks)), strict=True):
        x, y = particles(K, g), particles(K, g, shift=0.05)
        t_cost, M = best_of(lambda: cost_matrix(x, y, n_threads=threads), args.repeats)  # noqa: B023
        u = np.full(K, 1.0 / K)
        t_emd, _ = best_of(lambda: _emd2(u, u, M, None), args.repeats)  # noqa: B023
        t_w1, w1 = best_of(lambda: w1_empirical(x, y, n_threads=threads), args.repeats)  # noqa: B023
        n_rep = 3
        t0 = time.perf_counter()
        for _ in range(n_rep):
            a = g.multinomial(K, u) / K
            b = g.multinomial(K, u) / K
            _emd2(a, b, M, None)
        t_boot = (time.perf_counter() - t0) / n_rep
        print(f"{K:>6} {t_cost:>9.3f} {t_emd:>8.3f} {t_w1:>17.3f} {t_boot:>13.3f} {w1:>8.4f}")
        if K == TARGET_K:
            verdict = "MET" if t_w1 < TARGET_S else "MISSED"
            print(f"# target: K = {TARGET_K} under {TARGET_S:g} s: {verdict} ({t_w1:.2f} s)")


if __name__ == "__main__":
    main()
