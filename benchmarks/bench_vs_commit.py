r"""This tree against an older commit, back to back: JointProcess.run and the compiled RTRL loops.

On a shared machine absolute timings say little; the ratio of two versions timed alternately in
the same command does. The older version's ``rtrl_theory`` is extracted with ``git archive`` into
a temporary folder and each measurement runs in a fresh subprocess (its own numba cache), the two
versions alternating for ``--rounds`` rounds; each keeps its best round.

Cases (the paper's RNN (2.17)-(2.19), d = 3, N = 10):

* ``joint``: :meth:`rtrl_theory.runners.JointProcess.run` with K particles, first order (the
  public API of both versions; Example 2.4's input chain, a Lipschitz target);
* ``sequence``: the compiled fixed-theta loop, (2.20)-(2.23), on one sequence of T steps, through
  the public ``rtrl_theory.engine.loss_and_grad(..., backend="numba")``;
* with ``--rtrl N [N ...]``: ``bench_rtrl.py``'s cases (a) and (c) at each N, the compiled
  fixed-theta loop (``rtrl_sequence_fast``) and online SGD (``rtrl_train_paper_fast``) of both
  versions, and the JAX ``lax.scan`` of ``bench_rtrl.py`` (this tree's) as a third contender in
  the same rounds, so that both versions' ratios to JAX are taken under the same load.

Usage::

    python benchmarks/bench_vs_commit.py --ref 0817722^        # the pre-engine kernels
    python benchmarks/bench_vs_commit.py --ref HEAD~3 --threads 2 --steps 300
    python benchmarks/bench_vs_commit.py --ref main --rtrl 10 32 64 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

JOINT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from rtrl_theory import PaperRNN
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
from rtrl_theory.runners import JointProcess
K, n = int(sys.argv[2]), int(sys.argv[3])
model = PaperRNN(10, 3)
proc = DataProcess(ExampleChain(3, 0.5, 0.5), LipschitzTarget.random(3, rng=0))
jp = JointProcess(model, model.init_params(0), proc, order=1)
z = jp.run(jp.initial(K, rng=0), 2, rng=0)
t0 = time.perf_counter(); jp.run(z, n, rng=1)
print((time.perf_counter() - t0) / n * 1000.0)
"""

SEQUENCE = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from rtrl_theory import PaperRNN
from rtrl_theory.engine import loss_and_grad
T = int(sys.argv[3])
rng = np.random.default_rng(0)
model = PaperRNN(10, 3)
params = model.init_params(0)
X, Y = rng.uniform(-1, 1, (T, 3)), rng.uniform(-1, 1, T)
loss_and_grad(model, params, X[:10], Y[:10], backend="numba")
best = 1e9
for _ in range(5):
    t0 = time.perf_counter(); loss_and_grad(model, params, X, Y, backend="numba")
    best = min(best, time.perf_counter() - t0)
print(best / T * 1e6)
"""

RTRL = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
N, kind = int(sys.argv[2]), sys.argv[3]
T = {10: 40000, 32: 2000, 64: 300}.get(N, 1000)
from rtrl_theory import PaperRNN
rng = np.random.default_rng(0)
model = PaperRNN(N, 3)
params = model.init_params(rng)
theta = model.flatten(params)
X, Y = rng.uniform(-1, 1, (T, 3)), rng.uniform(-1, 1, T)
kw = dict(c_f=model.c_f, c_g=model.c_g, eta0=0.05, t0=1000.0, gamma=0.75)
if kind.startswith("jax"):
    sys.path.insert(0, sys.argv[4])
    import jax
    jax.config.update("jax_enable_x64", True)
    from bench_rtrl import jax_functions
    seq, train = jax_functions(N, 3)
    prep = model.cell.prepare(theta[N:])
    ThT, G1T = np.ascontiguousarray(prep.Theta.T), np.ascontiguousarray(prep.G1.T)
    if kind == "jax-seq":
        f = lambda: jax.block_until_ready(seq(ThT, G1T, theta[:N], X, Y))
    else:
        f = lambda: jax.block_until_ready(train(theta[:N], theta[N:], X, Y, kw["c_f"], kw["c_g"],
                                                kw["eta0"], kw["t0"], kw["gamma"]))
else:
    from rtrl_theory.engine._numba import rtrl_sequence_fast, rtrl_train_paper_fast
    prep = model.cell.prepare(theta[N:])
    if kind == "seq":
        f = lambda: rtrl_sequence_fast(prep.Theta, prep.G1, theta[:N], X, Y, state_start=3)
    else:
        f = lambda: rtrl_train_paper_fast(params.alpha, params.W, params.B, X, Y, **kw)
f()
best = 1e9
for _ in range(5):
    t0 = time.perf_counter(); f()
    best = min(best, time.perf_counter() - t0)
print(best / T * 1e6)
"""


def run(script: str, tree: str, a, b, threads: int) -> float:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1")
    extra = [os.path.join(ROOT, "benchmarks")] if str(b).startswith("jax") else []
    out = subprocess.run([sys.executable, "-c", script, tree, str(a), str(b), *extra], env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{b} in {tree} failed:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", required=True, help="the older commit (git revision)")
    ap.add_argument("--particles", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=200, help="JointProcess steps per timing")
    ap.add_argument("--T", type=int, default=20000, help="sequence length of the sequence case")
    ap.add_argument("--threads", type=int, default=1, help="numba threads")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rtrl", type=int, nargs="*", default=None, metavar="N",
                    help="only the RTRL cases (fixed theta, online SGD, JAX) at these N")
    args = ap.parse_args()
    if args.rtrl:
        return rtrl_main(args)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", ROOT, "archive", args.ref, "rtrl_theory"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        cases = [("joint s/1000 steps", JOINT, args.particles, args.steps),
                 ("sequence us/step", SEQUENCE, 0, args.T)]
        print(f"load average before: {os.getloadavg()}")
        for label, script, a, b in cases:
            best = {"old": float("inf"), "new": float("inf")}
            for _ in range(args.rounds):
                for name, tree in (("old", tmp), ("new", ROOT)):
                    try:
                        best[name] = min(best[name], run(script, tree, a, b, args.threads))
                    except subprocess.CalledProcessError as exc:
                        print(f"  {label} {name}: failed ({exc.stderr.strip().splitlines()[-1]})")
                        best[name] = float("nan")
            ratio = best["new"] / best["old"]
            print(f"{label:<20} {args.ref}: {best['old']:8.3f}  this tree: {best['new']:8.3f}  "
                  f"ratio new/old {ratio:.2f}  (numba threads {args.threads})")
        print(f"load average after: {os.getloadavg()}")


def rtrl_main(args) -> None:
    """Old tree, this tree and JAX alternating, microseconds per step, and the ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", ROOT, "archive", args.ref, "rtrl_theory"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        print(f"load average before: {os.getloadavg()}")
        print(f"{'case':<18} {'N':>3} {'old us':>9} {'new us':>9} {'jax us':>9} "
              f"{'new/old':>8} {'jax/old':>8} {'jax/new':>8}")
        for N in args.rtrl:
            for kind in ("seq", "train"):
                best = {"old": float("inf"), "new": float("inf"), "jax": float("inf")}
                for _ in range(args.rounds):
                    for name, tree, k in (("old", tmp, kind), ("new", ROOT, kind),
                                          ("jax", ROOT, f"jax-{kind}")):
                        best[name] = min(best[name], run(RTRL, tree, N, k, args.threads))
                o, n, j = best["old"], best["new"], best["jax"]
                label = "fixed theta" if kind == "seq" else "online SGD"
                print(f"{label:<18} {N:>3} {o:9.3f} {n:9.3f} {j:9.3f} {n / o:8.2f} "
                      f"{j / o:8.2f} {j / n:8.2f}", flush=True)
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
