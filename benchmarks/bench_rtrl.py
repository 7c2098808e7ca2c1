r"""Throughput of the exact RTRL step (2.20)-(2.23) and of online RTRL (2.24)-(2.26) of [P1].

Compares, on the paper's RNN (2.17)-(2.19) with d = 3 inputs:

(a) one sequence at fixed theta, N in {10, 32, 64}: the NumPy engine
    (``rtrl_theory.engine.rtrl_sequences``), the numba kernel
    (``rtrl_theory.engine._numba.rtrl_sequence_fast``, BLAS and loop variants) and, if JAX is
    importable, a ``jax.lax.scan`` written the way a JAX user would write it;
(b) K = 1024 chains, N = 10: the batched NumPy engine (one GEMM for all chains), and the numba
    kernel running the chains one after another;
(c) the online SGD step, where theta changes every step (``rtrl_train_paper_fast`` vs JAX);
plus the "J update alone" (GEMM + diagonal write) at N = 64 against a dgemm measured in the same
run (target: at least half of the dgemm rate).

FLOP count: the J update :math:`J_{t+1} = D_t(f(B) J_t + M_t)` costs 2 N^2 P_c flops per
chain-step with P_c = N d + N^2 (the cell parameters; alpha does not enter J); rates in GFLOP/s
count only these flops, whatever else a path computes.

Method: every case runs a whole sequence per call, its length T chosen so that a call takes about
``budget`` seconds. After calibration (which also compiles), all cases are timed round-robin for
several rounds, with a short pause before each call, and each case keeps its best call: on a
shared 2-core machine a transient slowdown then hits one round of every case instead of all the
repeats of one case.

Targets (issue 14: at least 2x the JAX scan at every N when quiet) and why N = 32 and 64 cannot
meet them on the 2-core development machine. Both implementations do the same 2 N^2 P_c flops per
step (the GEMM of the J update; P_c = N d + N^2). Quiet measurements of 2026-12-05 23:46
(this script, ``NUMBA_NUM_THREADS=1``; dgemm 1024^3 at 96.66 GFLOP/s with BLAS's 2 threads):

* N = 64: 2 * 64^2 * 4288 = 35.13 MFLOP per step; JAX 707.6 us, so 2x JAX is 353.8 us per step,
  i.e. 99.3 GFLOP/s = 1.03 of the dgemm peak, for the whole step. The GEMM of that shape alone
  (numpy, 2 threads) takes 419.9 us (83.7 GFLOP/s, 0.87 of peak): more than the budget before
  anything else is computed. Unreachable without fewer flops (the exact recursion has no cheaper
  form: J_t is dense).
* N = 32: 2 * 32^2 * 1120 = 2.29 MFLOP; JAX 74.3 us, so 2x is 37.1 us; the GEMM of that shape
  alone takes 36.5 us at 2 threads (62.9 GFLOP/s), leaving 0.6 us for the forward pass, the
  O(N P_c) row-local terms and gradient row (about 4,500 scattered updates) and the loss:
  unreachable by the same count. (Idle runs of 2026-12-06 04:00 gave JAX 67.5-76.6 us and the
  GEMM alone 31-32 us in numpy, 35-40 us inside the compiled loop: a budget of 34-38 us is then
  not strictly out of reach, but it leaves the rest of the step a few microseconds.)
* N = 10: 28.6 kFLOP; JAX 2.77 us, 2x is 1.38 us. The compiled step measured 1.67 us (1.66x);
  the GEMM inside it about 0.7 us (a latency-bound 11 x 10 x 130 product), the rest the forward
  pass, the table walk and the gradient sums: within reach only by shaving the non-GEMM half.
  Shaved on 2026-12-06 (``bench_vs_commit.py --ref main --rtrl 10``, machine loaded, ratios of
  the same rounds): 0.80 of main's time at fixed theta (2.29x JAX in that run, main 1.83x), 0.72
  online (1.81x JAX, main 1.30x). The non-GEMM half had two costs LLVM could not remove: numba's
  negative-index wraparound on every index read from the cell's table (unsigned indices now, in
  the table walk, the weight maps and the pre-activation forward; the maps alone ran 4x faster),
  and the activation written from one array into another that might overlap it (scalar code; now
  in place, ``cells._jit._act_rows``, vectorised).

Idle, 2026-12-06 03:52, after the compiled loops took BLAS's two threads from 1e6 flops per GEMM
(``engine._blas.BLAS_MULTI_MIN_FLOPS``, was 2e7) and stopped counting their own process as load:
fixed theta 1.291 / 2.781 us (2.15x JAX), 42.2 / 76.6 us (1.81x), 442 / 705 us (1.59x) at N = 10,
32, 64; ``--load 2`` right after: 2.29x, 2.06x, 1.20x. Before that change, the same idle run gave
2.12x, 1.27x, 1.45x (N = 32 had stayed on one thread).

With ``--load 2`` (2026-12-06 00:40, the shared machine already at load 3-4; dgemm measured at
46.7 GFLOP/s in that run) the fixed-theta ratios to JAX were 1.40 (N = 10), 2.03 (N = 32) and
0.98 (N = 64); online SGD 1.17, 1.54, 1.18. At N = 64 the compiled loop runs its GEMM on ONE
BLAS thread when the machine is busy (``engine._blas``: two threads spin against the busy
processes, issue 14), 35.1 MFLOP in 1357 us = 25.9 GFLOP/s, while the GEMM of that shape alone on
two threads took 907.6 us in the same run: 1.5x JAX (886 us per step) would need the whole step
faster than the two-thread GEMM alone.

Usage::

    python benchmarks/bench_rtrl.py              # the real measurement (about a minute)
    python benchmarks/bench_rtrl.py --quick      # a few seconds, a smoke test
    python benchmarks/bench_rtrl.py --crossover  # loops vs BLAS, behind _numba.BLAS_MIN_N
    python benchmarks/bench_rtrl.py --crossover --sizes 4 5 6 8 10 12  # those N only
    python benchmarks/bench_rtrl.py --crossover-threads  # 1 BLAS thread vs default
    python benchmarks/bench_rtrl.py --load 2     # the same table beside 2 busy processes
    python benchmarks/bench_rtrl.py --seed 7
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rtrl_theory import PaperRNN
from rtrl_theory.cells import RowLocalTerm, StateJacobian
from rtrl_theory.engine import add_row_local, apply_state_jacobian, rtrl_sequences
from rtrl_theory.engine._numba import (
    BLAS_MIN_N,
    numba_available,
    rtrl_sequence_fast,
    rtrl_train_paper_fast,
)

D_IN = 3
SIZES = (10, 32, 64)
K_BATCH = 1024


def flops_per_chain_step(N: int, d: int = D_IN) -> float:
    """2 N^2 P_c, P_c = N d + N^2 (the J update's GEMM)."""
    return 2.0 * N * N * (N * d + N * N)


# ------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One timed configuration: ``run()`` performs ``steps`` steps (or GEMMs)."""

    section: str
    label: str
    N: int
    K: int
    steps: int
    run: Callable[[], object]
    flops_per_step: float
    key: str = ""
    best: float = np.inf  # seconds per call

    @property
    def sec_per_step(self) -> float:
        return self.best / self.steps

    @property
    def gflops(self) -> float:
        return self.flops_per_step / self.sec_per_step / 1e9


class Timer:
    """Calibrates sequence lengths and times cases round-robin (see the module docstring)."""

    def __init__(self, budget: float, settle_seconds: float):
        self.budget = budget
        self.settle_seconds = settle_seconds

    def settle(self) -> None:
        """Pause so that idle BLAS / XLA worker threads stop spinning before the next call.

        numpy and scipy (whose OpenBLAS numba's ``np.dot`` calls) each load their own OpenBLAS with
        its own thread pool, and XLA has a third; a pool's workers busy-wait for a while (~0.1 s
        measured here) after a call, which on 2 cores halves the next library's GEMM speed.
        """
        if self.settle_seconds:
            time.sleep(self.settle_seconds)

    def length(self, run_T: Callable[[int], object], t_probe: int, t_max: int) -> int:
        """T such that ``run_T(T)`` takes about ``budget`` seconds (warms up / compiles first)."""
        run_T(t_probe)
        self.settle()
        t = time.perf_counter()
        run_T(t_probe)
        est = (time.perf_counter() - t) / t_probe
        return int(min(t_max, max(t_probe, self.budget / max(est, 1e-9))))

    def time_all(self, cases: list[Case], rounds: int) -> None:
        for case in cases:  # warm-up at the final length (JAX compiles here)
            case.run()
        for r in range(rounds):
            print(f"  timing round {r + 1}/{rounds}", file=sys.stderr, flush=True)
            for case in cases:
                self.settle()
                t = time.perf_counter()
                case.run()
                case.best = min(case.best, time.perf_counter() - t)


# ------------------------------------------------------------------------------------------------
# Problems and paths
# ------------------------------------------------------------------------------------------------
def make_problem(N: int, T_max: int, rng: np.random.Generator, n_chains: int = 1):
    model = PaperRNN(N, D_IN)
    params = model.init_params(rng)
    theta = model.flatten(params)
    X = rng.uniform(-1.0, 1.0, (n_chains, T_max, D_IN))
    Y = rng.uniform(-1.0, 1.0, (n_chains, T_max))
    return model, params, theta, X, Y


def jax_functions(N: int, d: int):
    """jit-compiled lax.scan loops, float64: fixed-theta sequence and online SGD.

    Written the way a JAX user would: carry (S, J) with J (N, P_c), ``J' = D[:, None] * (fB @ J
    + M)`` with M's nonzeros added on the diagonal blocks by ``.at[].add``, gradient accumulated.
    """
    import jax
    import jax.numpy as jnp

    M, P = d + N, N * (d + N)
    rows = jnp.arange(P) % N  # M_t's nonzeros sit at (i, m N + i)
    cols = jnp.arange(P)

    def advance(ThT, G1T, J, x, S):
        u = jnp.concatenate([x, S])
        s = jax.nn.sigmoid(ThT.T @ u)
        D = s * (1.0 - s)
        fB = ThT[d:].T
        Jn = D[:, None] * (fB @ J).at[rows, cols].add((G1T * u[:, None]).reshape(-1))
        return s, Jn

    @jax.jit
    def sequence(ThT, G1T, alpha, X, Y):
        def step(carry, xy):
            S, J, g_alpha, g_cell, loss = carry
            s, Jn = advance(ThT, G1T, J, xy[0], S)
            r = alpha @ s - xy[1]
            return (s, Jn, g_alpha + r * s, g_cell + r * (alpha @ Jn), loss + 0.5 * r * r), None

        init = (jnp.zeros(N), jnp.zeros((N, P)), jnp.zeros(N), jnp.zeros(P), jnp.zeros(()))
        (S, J, g_alpha, g_cell, loss), _ = jax.lax.scan(step, init, (X, Y))
        T = X.shape[0]
        return loss / T, jnp.concatenate([g_alpha, g_cell]) / T, S, J

    @jax.jit
    def train(alpha, vth, X, Y, c_f, c_g, eta0, t0, gamma):
        scale = jnp.where(jnp.arange(M)[:, None] < d, c_g, c_f)

        def step(carry, xy):
            alpha, vth, S, J, tau = carry
            th = jnp.tanh(vth.reshape(M, N))
            s, Jn = advance(scale * th, scale * (1.0 - th * th), J, xy[0], S)
            r = alpha @ s - xy[1]
            g = jnp.concatenate([r * s, r * (alpha @ Jn)])
            eta = eta0 / (1.0 + tau / t0) ** gamma
            new = (alpha - eta * g[:N], vth - eta * g[N:], s, Jn, tau + 1.0)
            return new, (0.5 * r * r, jnp.linalg.norm(g))

        init = (alpha, vth, jnp.zeros(N), jnp.zeros((N, P)), jnp.zeros(()))
        (alpha, vth, S, J, _), (losses, norms) = jax.lax.scan(step, init, (X, Y))
        return jnp.concatenate([alpha, vth]), S, J, losses, norms

    return sequence, train


def j_update_only_numba():
    """The J update alone, numba, kernel layout J[k, p]: GEMM + diagonal write, no loss/grad."""
    import numba

    @numba.njit(cache=True, fastmath=False)
    def j_update(A, G1T, u, D, J, Jn, n_steps):
        M, N = G1T.shape
        for _ in range(n_steps):
            np.dot(A, J, Jn)
            for m in range(M):
                um = u[m]
                for k in range(N):
                    Jn[k, m * N + k] += D[k] * G1T[m, k] * um
            J, Jn = Jn, J
        return J

    return j_update


# ------------------------------------------------------------------------------------------------
# Building the cases
# ------------------------------------------------------------------------------------------------
def reference_cases(timer: Timer, rng: np.random.Generator, quick: bool) -> list[Case]:
    """dgemm 1024^3 and GEMMs of the J update's own shape (P_c x N) @ (N x N), numpy."""
    a, b = rng.standard_normal((1024, 1024)), rng.standard_normal((1024, 1024))
    out = np.empty((1024, 1024))
    n = 1 if quick else 4
    cases = [
        Case(
            "ref",
            "dgemm 1024 x 1024 x 1024",
            1024,
            1,
            n,
            lambda n=n: [np.matmul(a, b, out=out) for _ in range(n)],
            2.0 * 1024**3,
            key="dgemm",
        )
    ]
    for N in SIZES:
        P_c = N * D_IN + N * N
        Jt, R, o = rng.standard_normal((P_c, N)), rng.standard_normal((N, N)), np.empty((P_c, N))

        def gemms(n, Jt=Jt, R=R, o=o):
            for _ in range(n):
                np.matmul(Jt, R, out=o)

        n = timer.length(gemms, 10, 10**6)
        cases.append(
            Case(
                "ref",
                f"GEMM ({P_c} x {N}) @ ({N} x {N})",
                N,
                1,
                n,
                lambda n=n, f=gemms: f(n),
                flops_per_chain_step(N),
                key="gemm-shape",
            )
        )
    return cases


def fixed_theta_cases(timer, rng, have_jax, quick, checks) -> list[Case]:
    cases = []
    for N in SIZES:
        t_max = 200_000 if N <= 10 else 20_000
        model, params, theta, X, Y = make_problem(N, t_max, rng)
        prep = model.cell.prepare(theta[N:])
        alpha, x1, y1 = theta[:N], X[0], Y[0]
        fl = flops_per_chain_step(N)

        def np_run(T, model=model, theta=theta, X=X, Y=Y):
            return rtrl_sequences(model, theta, X[:, :T], Y[:, :T])

        T = timer.length(np_run, 10, t_max)
        cases.append(
            Case("a", "numpy rtrl_sequences", N, 1, T, lambda T=T, f=np_run: f(T), fl, key="numpy")
        )
        for method in ("blas", "loops"):

            def nb_run(T, prep=prep, alpha=alpha, x1=x1, y1=y1, method=method):
                return rtrl_sequence_fast(
                    prep.Theta, prep.G1, alpha, x1[:T], y1[:T], state_start=D_IN, method=method
                )

            T = timer.length(nb_run, 20, t_max)
            cases.append(
                Case(
                    "a",
                    f"numba kernel, {method}",
                    N,
                    1,
                    T,
                    lambda T=T, f=nb_run: f(T),
                    fl,
                    key=f"numba-{method}",
                )
            )
        # agreement on a short prefix (timings of different numbers would be meaningless)
        ref = rtrl_sequences(model, theta, X[:, :200], Y[:, :200])
        scale = np.max(np.abs(ref.grad[0]))
        diffs = {
            m: np.max(np.abs(nb_run(200, method=m).grad - ref.grad[0])) / scale
            for m in ("blas", "loops")
        }
        if have_jax:
            import jax

            seq_jax, _ = jax_functions(N, D_IN)
            ThT, G1T = np.ascontiguousarray(prep.Theta.T), np.ascontiguousarray(prep.G1.T)

            def jax_run(T, ThT=ThT, G1T=G1T, alpha=alpha, x1=x1, y1=y1, f=seq_jax):
                return jax.block_until_ready(f(ThT, G1T, alpha, x1[:T], y1[:T]))

            # every new T is a new trace: probe at 200 steps (also the agreement check), then one
            # compilation at the final length, outside the timings.
            diffs["jax"] = np.max(np.abs(np.asarray(jax_run(200)[1]) - ref.grad[0])) / scale
            T = 200 if quick else timer.length(jax_run, 200, t_max)
            cases.append(
                Case(
                    "a",
                    "jax lax.scan (jit, x64)",
                    N,
                    1,
                    T,
                    lambda T=T, f=jax_run: f(T),
                    fl,
                    key="jax",
                )
            )
        checks.append((f"fixed theta, N = {N}, 200 steps, vs numpy engine", diffs))
    return cases


def batch_cases(timer, rng, have_jax, quick, checks) -> list[Case]:
    N, t_max = 10, 2_000
    model, params, theta, X, Y = make_problem(N, t_max, rng, n_chains=K_BATCH)
    fl = flops_per_chain_step(N)

    def np_batch(T, model=model, theta=theta, X=X, Y=Y):
        return rtrl_sequences(model, theta, X[:, :T], Y[:, :T])

    T = timer.length(np_batch, 5, t_max)
    cases = [
        Case(
            "b",
            "numpy rtrl_sequences, batched",
            N,
            K_BATCH,
            T,
            lambda T=T: np_batch(T),
            K_BATCH * fl,
            key="numpy-batch",
        )
    ]
    prep = model.cell.prepare(theta[N:])
    n_chains = 16 if quick else 64  # a subset, long enough sequences to amortise each call

    def nb_chains(T, prep=prep, theta=theta, X=X, Y=Y):
        for c in range(n_chains):
            rtrl_sequence_fast(prep.Theta, prep.G1, theta[:N], X[c, :T], Y[c, :T], state_start=D_IN)

    T = timer.length(nb_chains, 20, t_max)
    cases.append(
        Case(
            "b",
            f"numba kernel, {n_chains} chains in turn",
            N,
            n_chains,
            T,
            lambda T=T: nb_chains(T),
            n_chains * fl,
            key="numba-chains",
        )
    )
    if have_jax:
        import jax

        seq_jax, _ = jax_functions(N, D_IN)
        # What a JAX user would write for many chains: vmap of the scanned sequence.
        batched = jax.jit(jax.vmap(seq_jax, in_axes=(None, None, None, 0, 0)))
        ThT, G1T = np.ascontiguousarray(prep.Theta.T), np.ascontiguousarray(prep.G1.T)

        def jax_batch(T, ThT=ThT, G1T=G1T, alpha=theta[:N], X=X, Y=Y, f=batched):
            return jax.block_until_ready(f(ThT, G1T, alpha, X[:, :T], Y[:, :T]))

        ours = rtrl_sequences(model, theta, X[:4, :50], Y[:4, :50]).grad
        theirs = np.asarray(jax_batch(50)[1])[:4]
        checks.append(
            (
                f"K = {K_BATCH}, N = {N}, 50 steps, per-chain gradients vs numpy engine",
                {"jax vmap": np.max(np.abs(ours - theirs)) / np.max(np.abs(ours))},
            )
        )
        T = 20 if quick else timer.length(jax_batch, 20, t_max)
        cases.append(
            Case(
                "b",
                "jax vmap(lax.scan) (jit, x64)",
                N,
                K_BATCH,
                T,
                lambda T=T, f=jax_batch: f(T),
                K_BATCH * fl,
                key="jax-batch",
            )
        )
    return cases


def training_cases(timer, rng, have_jax, quick, checks) -> list[Case]:
    cases = []
    for N in SIZES:
        t_max = 200_000 if N <= 10 else 20_000
        model, params, theta, X, Y = make_problem(N, t_max, rng)
        x1, y1 = X[0], Y[0]
        kw = dict(c_f=model.c_f, c_g=model.c_g, eta0=0.05, t0=1000.0, gamma=0.75)
        fl = flops_per_chain_step(N)

        def nb_train(T, p=params, x1=x1, y1=y1, kw=kw):
            return rtrl_train_paper_fast(p.alpha, p.W, p.B, x1[:T], y1[:T], **kw)

        T = timer.length(nb_train, 20, t_max)
        cases.append(
            Case(
                "c",
                "numba rtrl_train_paper_fast",
                N,
                1,
                T,
                lambda T=T, f=nb_train: f(T),
                fl,
                key="numba-train",
            )
        )
        if have_jax:
            import jax

            _, train_jax = jax_functions(N, D_IN)

            def jax_train(T, a=theta[:N], vth=theta[N:], x1=x1, y1=y1, kw=kw, f=train_jax):
                return jax.block_until_ready(
                    f(
                        a,
                        vth,
                        x1[:T],
                        y1[:T],
                        kw["c_f"],
                        kw["c_g"],
                        kw["eta0"],
                        kw["t0"],
                        kw["gamma"],
                    )
                )

            ours = nb_train(200).theta
            theirs = np.asarray(jax_train(200)[0])
            checks.append(
                (
                    f"online SGD, N = {N}, 200 steps, final theta vs numba",
                    {"jax": np.max(np.abs(ours - theirs)) / np.max(np.abs(ours))},
                )
            )
            T = 200 if quick else timer.length(jax_train, 200, t_max)
            cases.append(
                Case(
                    "c",
                    "jax lax.scan train (jit, x64)",
                    N,
                    1,
                    T,
                    lambda T=T, f=jax_train: f(T),
                    fl,
                    key="jax-train",
                )
            )
    return cases


def j_alone_cases(rng, quick) -> list[Case]:
    N = 64
    P_c = N * D_IN + N * N
    model = PaperRNN(N, D_IN)
    prep = model.cell.prepare(model.flatten(model.init_params(rng))[N:])
    D = rng.uniform(0.1, 0.25, N)
    A = D[:, None] * prep.rec
    G1T = np.ascontiguousarray(prep.G1.T)
    u = np.concatenate([rng.uniform(-1, 1, D_IN), rng.uniform(0, 1, N)])
    J, Jn = rng.standard_normal((N, P_c)) * 1e-2, np.empty((N, P_c))
    j_update = j_update_only_numba()
    n = 40 if quick else 400
    cases = [
        Case(
            "j",
            "J update alone (numba: np.dot + diag)",
            N,
            1,
            n,
            lambda: j_update(A, G1T, u, D, J, Jn, n),
            flops_per_chain_step(N),
            key="j-alone",
        )
    ]
    # The library's own NumPy J update: apply_state_jacobian (one GEMM, D folded into the small
    # matrix) followed by add_row_local (the immediate term on the diagonal blocks).
    sj = StateJacobian(diag=None, coefs=(D[None],), mats=(prep.rec,))
    term = RowLocalTerm(0, D[None], u[None], prep.G1)
    Jt0 = np.ascontiguousarray(J.T)[None]

    def np_update(n=n):
        Jt = Jt0
        for _ in range(n):
            Jt = apply_state_jacobian(sj, Jt)
            add_row_local(Jt, term)
        return Jt

    cases.append(
        Case(
            "j",
            "J update alone (numpy engine)",
            N,
            1,
            n,
            np_update,
            flops_per_chain_step(N),
            key="j-alone-numpy",
        )
    )
    return cases


# ------------------------------------------------------------------------------------------------
# Loops vs BLAS crossover (the measurement behind rtrl_theory.engine._numba.BLAS_MIN_N)
# ------------------------------------------------------------------------------------------------
def crossover(timer: Timer, rng: np.random.Generator, rounds: int, sizes=None) -> None:
    print(
        "\nloops vs BLAS inside the numba kernels, microseconds per step "
        f"(method='auto' uses BLAS for N >= {BLAS_MIN_N})"
    )
    sizes = sizes or (1, 2, 3, 4, 5, 6, 8, 10, 16, 32)
    table = {}
    cases = []
    for N in sizes:
        t_max = 20_000
        model, params, theta, X, Y = make_problem(N, t_max, rng)
        prep = model.cell.prepare(theta[N:])
        x1, y1 = X[0], Y[0]
        for method in ("loops", "blas"):

            def seq(T, method=method, prep=prep, theta=theta, x1=x1, y1=y1, N=N):
                return rtrl_sequence_fast(
                    prep.Theta, prep.G1, theta[:N], x1[:T], y1[:T], state_start=D_IN, method=method
                )

            def train(T, method=method, p=params, x1=x1, y1=y1, model=model):
                return rtrl_train_paper_fast(
                    p.alpha,
                    p.W,
                    p.B,
                    x1[:T],
                    y1[:T],
                    c_f=model.c_f,
                    c_g=model.c_g,
                    eta0=0.05,
                    t0=1000.0,
                    gamma=0.75,
                    method=method,
                )

            for kind, f in (("seq", seq), ("train", train)):
                T = timer.length(f, 20, t_max)
                case = Case("x", f"{kind} {method}", N, 1, T, lambda T=T, f=f: f(T), 0.0)
                table[(N, kind, method)] = case
                cases.append(case)
    timer.time_all(cases, rounds)
    print(f"{'N':>3} {'seq loops':>10} {'seq blas':>10} {'train loops':>12} {'train blas':>11}")
    for N in sizes:
        us = [
            table[(N, k, m)].sec_per_step * 1e6
            for k, m in (("seq", "loops"), ("seq", "blas"), ("train", "loops"), ("train", "blas"))
        ]
        print(f"{N:>3} {us[0]:>10.3f} {us[1]:>10.3f} {us[2]:>12.3f} {us[3]:>11.3f}")


def crossover_threads(timer: Timer, rng: np.random.Generator, rounds: int, sizes=None) -> None:
    """One BLAS thread against BLAS's default inside the compiled fixed-theta loop (the
    measurement behind rtrl_theory.engine._blas.BLAS_MULTI_MIN_FLOPS)."""
    from rtrl_theory.engine import _blas

    print(
        "\nBLAS threads inside the compiled loop (fixed theta, method 'blas'), microseconds per "
        f"step; the library uses 1 thread below {_blas.BLAS_MULTI_MIN_FLOPS:.0e} flops per GEMM"
    )
    sizes = tuple(sizes) if sizes else (10, 32, 64, 100, 128)
    table, cases = {}, []
    saved = _blas.BLAS_MULTI_MIN_FLOPS
    for N in sizes:
        model, params, theta, X, Y = make_problem(N, 4000, rng)
        prep = model.cell.prepare(theta[N:])
        x1, y1 = X[0], Y[0]
        for mode, limit in (("1 thread", np.inf), ("default", 0.0)):

            def seq(T, prep=prep, theta=theta, x1=x1, y1=y1, N=N, limit=limit):
                _blas.BLAS_MULTI_MIN_FLOPS = limit
                try:
                    return rtrl_sequence_fast(
                        prep.Theta, prep.G1, theta[:N], x1[:T], y1[:T], state_start=D_IN,
                        method="blas",
                    )
                finally:
                    _blas.BLAS_MULTI_MIN_FLOPS = saved

            T = timer.length(seq, 10, 4000)
            case = Case("x", mode, N, 1, T, lambda T=T, f=seq: f(T), 0.0)
            table[(N, mode)] = case
            cases.append(case)
    timer.time_all(cases, rounds)
    print(f"{'N':>4} {'flops/GEMM':>11} {'1 thread':>10} {'default':>10} {'default/1':>10}")
    for N in sizes:
        a, b = (table[(N, m)].sec_per_step * 1e6 for m in ("1 thread", "default"))
        fl = 2.0 * (N + 1) * N * (N * D_IN + N * N)
        print(f"{N:>4} {fl:>11.2e} {a:>10.2f} {b:>10.2f} {b / a:>10.2f}")


class BusyLoad:
    """K busy processes (a pure-Python spin loop each) for the duration of a ``with`` block,
    stopped by their process ids when it ends (also on errors and Ctrl-C)."""

    def __init__(self, k: int):
        self.k = int(k)
        self.procs: list = []

    def __enter__(self):
        import subprocess

        for _ in range(self.k):
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True:\n    pass"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except Exception:
                p.kill()
                p.wait()
        return False


# ------------------------------------------------------------------------------------------------
# Reporting
# ------------------------------------------------------------------------------------------------
def machine_info(seed: int, quick: bool) -> list[str]:
    import scipy

    def blas(mod):
        try:
            b = mod.show_config(mode="dicts")["Build Dependencies"]["blas"]
            return f"{b.get('name')} {b.get('version')}"
        except Exception:  # pragma: no cover - older builds
            return "unknown"

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        import numba

        nb = numba.__version__
    except ImportError:
        nb = "not installed"
    try:
        import jax

        jx = f"{jax.__version__} (backend {jax.default_backend()}, x64)"
    except ImportError:
        jx = "not installed"
    return [
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}",
        f"cpu: {cpu}, {os.cpu_count()} logical cores",
        f"numpy {np.__version__} (BLAS: {blas(np)}), scipy {scipy.__version__} "
        f"(BLAS behind numba's np.dot: {blas(scipy)})",
        f"numba {nb}; jax {jx}",
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
        f"seed={seed}, mode={'quick' if quick else 'full'}, d={D_IN}, "
        f"numba method 'auto': BLAS for N >= {BLAS_MIN_N}",
    ]


HEAD = (
    f"{'case':<38} {'N':>3} {'K':>5} {'T':>7} {'steps/s':>10} {'chain-steps/s':>13} "
    f"{'us/step':>10} {'GFLOP/s':>8} {'/dgemm':>7}"
)
SECTIONS = {
    "a": "(a) one sequence, fixed theta",
    "b": f"(b) K = {K_BATCH} chains sharing theta",
    "c": "(c) online RTRL SGD (2.24)-(2.26): theta changes every step",
    "j": "J update alone (GEMM + diagonal write, no loss/grad), target >= 0.5 of dgemm",
}


def print_results(cases: list[Case], checks, have_jax: bool) -> None:
    by_key = {(c.key, c.N): c for c in cases}
    dgemm = by_key[("dgemm", 1024)].gflops
    print(f"\ndgemm 1024 x 1024 x 1024 (numpy matmul): {dgemm:.2f} GFLOP/s")
    for c in cases:
        if c.key == "gemm-shape":
            print(
                f"GEMM of the J update's shape, {c.label}, numpy: {c.gflops:.2f} GFLOP/s "
                f"({c.gflops / dgemm:.3f} of dgemm), {c.sec_per_step * 1e6:.3f} us"
            )
    print("\n" + HEAD)
    section = None
    for c in cases:
        if c.section == "ref":
            continue
        if c.section != section:
            section = c.section
            print(SECTIONS[section])
        sps = 1.0 / c.sec_per_step
        print(
            f"{c.label:<38} {c.N:>3} {c.K:>5} {c.steps:>7} {sps:>10.4g} {c.K * sps:>13.4g} "
            f"{c.sec_per_step * 1e6:>10.3f} {c.gflops:>8.2f} {c.gflops / dgemm:>7.3f}"
        )
    for key, what in (("j-alone-numpy", "numpy engine"), ("j-alone", "numba")):
        j = by_key[(key, 64)]
        print(
            f"J update alone at N = 64 ({what}): {j.gflops:.2f} GFLOP/s = "
            f"{j.gflops / dgemm:.3f} of dgemm "
            f"(target >= 0.5: {'met' if j.gflops >= 0.5 * dgemm else 'NOT met'})"
        )

    print("\nAgreement (max |difference| / max |reference|):")
    for what, diffs in checks:
        print(f"  {what}: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))

    rate = {k: 1.0 / c.sec_per_step for k, c in by_key.items()}
    print("\nRatios of steps/s:")
    for N in SIZES:
        blas, loops = rate[("numba-blas", N)], rate[("numba-loops", N)]
        best, which = (blas, "blas") if blas >= loops else (loops, "loops")
        line = f"  N = {N:>2}: numba ({which}) / numpy = {best / rate[('numpy', N)]:.2f}"
        if have_jax:
            line += f"; numba / jax = {best / rate[('jax', N)]:.2f}"
            line += (
                f"; online SGD: numba / jax = "
                f"{rate[('numba-train', N)] / rate[('jax-train', N)]:.2f}"
            )
        print(line)

    def chain_rate(key):
        c = by_key[(key, 10)]
        return c.K / c.sec_per_step

    line = (
        f"  N = 10, K = {K_BATCH}, chain-steps/s: numpy batched / numba chains in turn = "
        f"{chain_rate('numpy-batch') / chain_rate('numba-chains'):.2f}"
    )
    if have_jax:
        jb = chain_rate("jax-batch")
        line += (
            f"; numpy batched / jax vmap = {chain_rate('numpy-batch') / jb:.2f}"
            f"; numba chains / jax vmap = {chain_rate('numba-chains') / jb:.2f}"
        )
    print(line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (a few seconds)")
    ap.add_argument("--seed", type=int, default=20250114, help="seed of the data generator")
    ap.add_argument(
        "--crossover",
        action="store_true",
        help="only the loops-vs-BLAS table behind _numba.BLAS_MIN_N",
    )
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help="the state sizes of --crossover (default 1 2 3 4 5 6 8 10 16 32) or of --crossover-threads (default 10 32 64 100 128)",
    )
    ap.add_argument(
        "--crossover-threads",
        action="store_true",
        help="only the one-BLAS-thread vs default table behind _blas.BLAS_MULTI_MIN_FLOPS",
    )
    ap.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="K",
        help="start K busy processes for the duration of the run (stopped at the end)",
    )
    args = ap.parse_args(argv)
    if args.load < 0:
        ap.error(f"--load: expected a non-negative number of busy processes, got {args.load}")
    with BusyLoad(args.load):
        return _run(args)


def _run(args) -> int:
    quick = args.quick
    # quick: a smoke test, timings indicative only
    timer = Timer(budget=0.01 if quick else 0.15, settle_seconds=0.03 if quick else 0.15)
    rounds = 1 if quick else 5
    streams = dict(
        zip(("ref", "a", "b", "c", "j"), np.random.default_rng(args.seed).spawn(5), strict=True)
    )

    if not numba_available():
        print("numba is not installed: nothing to compare (pip install 'rtrl-theory[fast]')")
        return 1
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        have_jax = True
    except ImportError:
        have_jax = False

    print("# RTRL step throughput, [P1] (2.20)-(2.26); paper RNN, sigmoid, f = c_f tanh, g = tanh")
    for line in machine_info(args.seed, quick):
        print("#", line)
    print(
        "# flops counted: 2 N^2 P_c per chain-step, P_c = N d + N^2 (alpha does not enter J); "
        f"best of {rounds} round-robin rounds"
    )
    print(f"# load: {args.load} busy process(es) started by the benchmark beside it")
    if args.crossover:
        crossover(timer, streams["a"], rounds, args.sizes)
        return 0
    if args.crossover_threads:
        crossover_threads(timer, streams["a"], rounds, args.sizes)
        return 0

    checks: list = []
    print("calibrating and compiling ...", file=sys.stderr, flush=True)
    cases = reference_cases(timer, streams["ref"], quick)
    cases += fixed_theta_cases(timer, streams["a"], have_jax, quick, checks)
    cases += batch_cases(timer, streams["b"], have_jax, quick, checks)
    cases += training_cases(timer, streams["c"], have_jax, quick, checks)
    cases += j_alone_cases(streams["j"], quick)
    timer.time_all(cases, rounds)
    print_results(cases, checks, have_jax)
    return 0


if __name__ == "__main__":
    sys.exit(main())
