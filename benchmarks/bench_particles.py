r"""Throughput of K particles of the joint process at fixed theta: (2.20)-(2.21) and Section 2.4 of [P1].

Two cases of the paper's RNN (2.17)-(2.19) (sigmoid activation, f = c_f tanh, g = c_g tanh), with
the input chain of Example 2.4 (2.8), ``X_{t+1} = lam tanh(X_t) + eps_{t+1}``, eps uniform:

* N = 10, d = 3, K = 4096 particles, first-order states (S, J): target < 15 s per 1,000 steps;
* N = 4, d = 2, K = 4096 particles, second-order states (S, J, H): target < 30 s per 1,000 steps.

Paths (each step = the RNN state update + the sensitivity update; the data update runs outside in
NumPy and is included in every timing, it costs ~0.1 ms per step):

* ``numpy``: the batched NumPy engine, ``advance_first_order`` / ``advance_second_order``
  (GEMMs on (K P_c, N) views, OpenBLAS threads as configured). It is slow, so it is timed over
  fewer steps and EXTRAPOLATED linearly to 1,000 steps (the per-step cost does not depend on t).
* ``kernel 1-step``: :func:`rtrl_theory.engine._numba_particles.advance_particles_fast`, one call
  per step (in place), with 1 and 2 numba threads (``numba.set_num_threads``).
* ``kernel n-step``: ``advance_particles_fast_steps`` on blocks of ``BLOCK`` steps (the data of a
  block generated at once), each particle running the block with its J, H in cache.

Method: everything is compiled and warmed up first; then the cases are timed round-robin for
``--rounds`` rounds and each keeps its best round (on a shared 2-core machine a transient
slowdown then hits one round of every case rather than all repeats of one). Seconds per 1,000
steps = best time / steps timed * 1,000; chain-steps/s = K * steps / time. PASS/FAIL compares the
kernel rows with the targets. The load average is printed before and after: other processes on
the machine bias every number upward.

Usage::

    python benchmarks/bench_particles.py            # the real measurement (~2 minutes)
    python benchmarks/bench_particles.py --quick    # K = 256, a few steps: a smoke test
    python benchmarks/bench_particles.py --seed 7
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.engine import (
    SensitivityState,
    advance_first_order,
    advance_second_order,
    numba_available,
)
from rtrl_theory.engine._numba_particles import (
    advance_particles_fast,
    advance_particles_fast_steps,
    particles_fast_supported,
)

LAM, NOISE = 0.5, 0.5  # Example 2.4: X' = LAM tanh(X) + U(-NOISE, NOISE)
BLOCK = 100  # steps per call of advance_particles_fast_steps
CASES = (
    # (label, N, d, order, target seconds per 1,000 steps)
    ("N=10 d=3 first order", 10, 3, 1, 15.0),
    ("N=4 d=2 second order", 4, 2, 2, 30.0),
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(seed: int) -> None:
    import numba

    print(f"seed: {seed}")
    print(f"machine: {platform.node()}  {platform.platform()}  CPU: {cpu_model()}")
    print(f"cores (os.cpu_count): {os.cpu_count()}  load average: {os.getloadavg()}")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__} "
        f"(threading layer: {numba.config.THREADING_LAYER}, NUMBA_NUM_THREADS="
        f"{numba.config.NUMBA_NUM_THREADS}), OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )


class Case:
    """One problem: model, prepared weights, the particles' states and the data chain."""

    def __init__(self, N, d, order, K, rng):
        self.N, self.d, self.order, self.K = N, d, order, K
        self.model = PaperRNN(N, d)
        assert particles_fast_supported(self.model)
        theta = self.model.flatten(self.model.init_params(rng))
        self.cell = self.model.cell
        self.prep = self.cell.prepare(theta[N:], second_order=order == 2)
        P = self.cell.n_params
        # non-zero states, as after a burn-in
        self.S = rng.uniform(0.0, 1.0, (K, N))
        self.Jt = rng.normal(0.0, 0.1, (K, P, N))
        self.Ht = rng.normal(0.0, 0.1, (K, P, P, N)) if order == 2 else None
        self.X = rng.uniform(-1.0, 1.0, (K, d))
        self.rng = rng
        self.kw = {"state_start": self.cell.state_cols.start, "activation": "sigmoid"}

    def next_x(self):
        """One step of the data chain (2.8), in NumPy."""
        self.X = LAM * np.tanh(self.X) + self.rng.uniform(-NOISE, NOISE, self.X.shape)
        return self.X

    def x_block(self, n):
        out = np.empty((n,) + self.X.shape)
        for i in range(n):
            out[i] = self.next_x()
        return out

    # -- the three paths: each runs n steps and returns the elapsed wall time ---------------
    def run_numpy(self, n):
        advance = advance_first_order if self.order == 1 else advance_second_order
        st = SensitivityState(self.S, self.Jt, self.Ht)
        t0 = time.perf_counter()
        for _ in range(n):
            st, _ = advance(self.cell, self.prep, st, self.next_x())
        dt = time.perf_counter() - t0
        self.S, self.Jt, self.Ht = st.S, st.Jt, st.Ht  # keep the (contiguous) new arrays
        return dt

    def run_single(self, n):
        t0 = time.perf_counter()
        for _ in range(n):
            advance_particles_fast(self.prep, self.S, self.Jt, self.next_x(), self.Ht, **self.kw)
        return time.perf_counter() - t0

    def run_block(self, n):
        t0 = time.perf_counter()
        done = 0
        while done < n:
            m = min(BLOCK, n - done)
            advance_particles_fast_steps(
                self.prep, self.S, self.Jt, self.x_block(m), self.Ht, **self.kw
            )
            done += m
        return time.perf_counter() - t0


def check_against_numpy(case: Case, n_check: int = 64, steps: int = 3) -> float:
    """Max-norm relative difference kernel vs NumPy engine on the first particles (sanity)."""
    k = min(n_check, case.K)
    S, Jt = case.S[:k].copy(), case.Jt[:k].copy()
    Ht = None if case.Ht is None else case.Ht[:k].copy()
    st = SensitivityState(S.copy(), Jt.copy(), None if Ht is None else Ht.copy())
    advance = advance_first_order if case.order == 1 else advance_second_order
    worst = 0.0
    for _ in range(steps):
        x = case.rng.uniform(-1.0, 1.0, (k, case.d))
        st, _ = advance(case.cell, case.prep, st, x)
        advance_particles_fast(case.prep, S, Jt, x, Ht, **case.kw)
        pairs = [(S, st.S), (Jt, st.Jt)] + ([(Ht, st.Ht)] if Ht is not None else [])
        for a, b in pairs:
            worst = max(worst, float(np.max(np.abs(a - b)) / np.max(np.abs(b))))
    return worst


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20250114)
    parser.add_argument("--quick", action="store_true", help="K = 256, few steps (smoke test)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--load", type=int, default=0, metavar="K",
        help="start K busy processes for the duration of the run (stopped at the end)",
    )
    args = parser.parse_args(argv)
    from bench_rtrl import BusyLoad  # the script's folder is on sys.path

    with BusyLoad(max(0, args.load)):
        print(f"# load: {max(0, args.load)} busy process(es) started by the benchmark beside it")
        _main(args)


def _main(args) -> None:
    if not numba_available():
        raise SystemExit("numba is not installed: the particle kernels need it")
    import numba

    machine_info(args.seed)
    rng = np.random.default_rng(args.seed)
    K = 256 if args.quick else 4096
    steps_numpy = {1: 3, 2: 2} if args.quick else {1: 40, 2: 15}
    steps_kernel = BLOCK if args.quick else 2 * BLOCK
    max_threads = numba.config.NUMBA_NUM_THREADS
    threads = sorted({1, min(2, max_threads)})

    # (case label, path label, threads, runner, steps, target)
    cases = [(label, Case(N, d, o, K, rng), tgt) for label, N, d, o, tgt in CASES]
    plan = []
    for label, case, tgt in cases:
        plan.append(
            (label, "numpy (extrapolated)", None, case.run_numpy, steps_numpy[case.order], tgt)
        )
        for nt in threads:
            plan.append((label, "kernel 1-step", nt, case.run_single, steps_kernel, tgt))
            plan.append((label, f"kernel {BLOCK}-step", nt, case.run_block, steps_kernel, tgt))

    print("\ncompiling / warming up ...", flush=True)
    t0 = time.perf_counter()
    for _, case, _ in cases:
        case.run_numpy(1)
        case.run_single(1)
        case.run_block(2)
    print(
        f"  done in {time.perf_counter() - t0:.1f} s (numba's on-disk cache makes later runs fast)"
    )
    for label, case, _ in cases:
        print(f"  {label}: max rel. diff kernel vs NumPy engine = {check_against_numpy(case):.2e}")

    best = [np.inf] * len(plan)
    for r in range(args.rounds):
        for i, (_, _, nt, run, n, _) in enumerate(plan):
            if nt is not None:
                numba.set_num_threads(nt)
            time.sleep(0.2)
            best[i] = min(best[i], run(n))
        print(f"  round {r + 1}/{args.rounds} done, load average {os.getloadavg()}", flush=True)
    numba.set_num_threads(max_threads)

    print(f"\nK = {K} particles; seconds per 1,000 steps (best of {args.rounds} rounds)")
    head = f"{'case':<22} {'path':<21} {'threads':>7} {'steps':>6} {'s/1000 steps':>13} {'chain-steps/s':>14} {'target':>7}  result"
    print(head)
    print("-" * len(head))
    for (label, path, nt, _, n, tgt), t in zip(plan, best, strict=True):
        per1000 = t / n * 1000.0
        rate = K * n / t
        nt_s = "blas" if nt is None else str(nt)
        if args.quick:
            verdict = "n/a (quick)"
        elif nt == threads[-1]:  # the targets are for the whole machine (all its cores)
            verdict = "PASS" if per1000 < tgt else "FAIL"
        else:
            verdict = "-"
        print(
            f"{label:<22} {path:<21} {nt_s:>7} {n:>6} {per1000:>13.2f} {rate:>14.3g} {tgt:>6.0f}s  {verdict}"
        )
    print(
        f"\nPASS/FAIL: kernel rows with {threads[-1]} threads (the machine) against the targets. "
        "numpy rows: timed over the 'steps' shown and extrapolated linearly to 1,000 steps; "
        "kernel rows: 1-step = one advance_particles_fast call per step, "
        f"{BLOCK}-step = advance_particles_fast_steps on blocks of {BLOCK} steps. "
        "All rows include the NumPy data update of (2.8)."
    )
    simulator_rows(K, 50 if args.quick else 1000, args.seed, args.quick)
    print(f"load average at the end: {os.getloadavg()}")


def simulator_rows(K: int, n_steps: int, seed: int, quick: bool) -> None:
    """The public path: JointProcess.run (data chain, Lipschitz targets, kernel, bookkeeping)."""
    from rtrl_theory import PaperRNN
    from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget
    from rtrl_theory.runners import JointProcess

    print(f"\nJointProcess.run, the simulator as users call it (K = {K}, {n_steps} steps)")
    for label, N, d, order, tgt in CASES:
        model = PaperRNN(N, d)
        proc = DataProcess(ExampleChain(d, 0.5, 0.5), LipschitzTarget.random(d, rng=seed))
        jp = JointProcess(model, model.init_params(seed), proc, order=order)
        z = jp.run(jp.initial(K, rng=seed), 2, rng=seed)  # compile / warm up
        t0 = time.perf_counter()
        jp.run(z, n_steps, rng=seed + 1)
        per1000 = (time.perf_counter() - t0) / n_steps * 1000.0
        verdict = "n/a (quick)" if quick else ("PASS" if per1000 < tgt else "FAIL")
        print(
            f"  {label:<22} backend {jp.backend:<6} {per1000:8.2f} s / 1000 steps "
            f"(target {tgt:.0f} s)  {verdict}"
        )


if __name__ == "__main__":
    main()
