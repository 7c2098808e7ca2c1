r"""One online RTRL pass over tiny-shakespeare with a GRU of 20 units: time and bits per character.

The character-level experiment of [P1] Section 7.4 at its largest GRU: one-hot inputs over the
65-character vocabulary, a softmax cross-entropy head, online RTRL (2.24)-(2.26) with RMSprop and
batch 1, over the 1,003,854 training characters (1,003,853 next-character steps), on the compiled
kernel ``rtrl_theory.engine._numba_text.rtrl_train_text_fast``. Target: under 5 minutes.

Printed:

* the machine's dgemm rate (1024^3 ``numpy.matmul``) and the rate of a bare GEMM of the J update's
  shape, ``[A; w^T A] J`` = (N + 1, N) x (N, P_c), both measured in this run;
* the FLOP bound of a pass: :math:`2 (N + 1) N P_c` flops per step (P_c = 5180 for N = 20,
  V = 65) times the number of steps, divided by the dgemm rate;
* a timed prefix (>= 50,000 characters, best of ``--repeats``, the full pass extrapolated from it),
  steps/s, microseconds per step and the GFLOP/s of the J update it implies;
* the NumPy engine (``train_online``) on a short prefix, for comparison;
* one full pass (unless ``--no-full``): wall time, steps/s, the training loss over its last
  50,000 steps, and the bits per character on the held-out tail (111,540 characters, read from a
  zero state by a forward pass).

Optimizer: RMSprop with beta = 0.999 (the running mean of g^2 over ~1000 steps). With batch 1 and
an update at every step, the trainer's default beta = 0.9 (a ~10-step mean) leaves the update
direction g / sqrt(v) mostly noise: measured over the first 100,000-200,000 steps, beta = 0.9
stalls at 4.3-4.7 bits/char for every eta in [3e-5, 3e-3] (the unigram entropy is 4.77), while
beta = 0.999 with eta in [1e-3, 4e-3] reaches 2.8-2.9 (training loss) and 3.4-3.7 held-out.

BLAS threads: scipy's OpenBLAS behind numba's ``np.dot`` runs the small J-update GEMM fastest on
one thread (two threads were 1.3-5x slower on the shared 2-core machine), so the script sets
``OPENBLAS_NUM_THREADS=1`` unless it is already set.

Usage::

    python benchmarks/bench_text.py                 # prefix + one full pass (about 3 minutes)
    python benchmarks/bench_text.py --no-full       # prefix only (about 30 s)
    python benchmarks/bench_text.py --quick         # smoke test: short prefix, no full pass
    python benchmarks/bench_text.py --data-dir DIR  # else $RTRL_THEORY_DATA, else ../shared/data
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from rtrl_theory.cells._gru import char_rnn  # noqa: E402
from rtrl_theory.data._text import bits_per_character, next_char_pairs, tiny_shakespeare  # noqa: E402
from rtrl_theory.engine._numba_text import flops_per_step, rtrl_train_text_fast  # noqa: E402
from rtrl_theory.runners import PowerSchedule, RMSprop, train_online  # noqa: E402

TARGET_S = 300.0


def dgemm_rate(n: int = 1024, repeats: int = 5) -> float:
    """GFLOP/s of numpy's n^3 matmul, best of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    out = np.empty((n, n))
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t)
    return 2.0 * n**3 / best / 1e9


def dgemm_rate_threads(threads: int) -> float | None:
    """:func:`dgemm_rate` in a subprocess with ``OPENBLAS_NUM_THREADS=threads`` (None on failure)."""
    import subprocess
    import sys

    code = "import bench_text as b; print(b.dgemm_rate())"
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), env.get("PYTHONPATH", "")])
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        return float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def j_shape_gemm_rate(N: int, Pc: int, reps: int = 2000, repeats: int = 5) -> tuple[float, float]:
    """(GFLOP/s, seconds) of the bare (N + 1, N) x (N, P_c) GEMM inside numba (the kernel's call)."""
    import numba

    @numba.njit(cache=False)
    def loop(A, J, Jn, reps):  # pragma: no cover - compiled
        for _ in range(reps):
            np.dot(A, J, Jn)

    rng = np.random.default_rng(0)
    A = rng.standard_normal((N + 1, N)) * 0.1
    J = rng.standard_normal((N, Pc))
    Jn = np.empty((N + 1, Pc))
    loop(A, J, Jn, 1)
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        loop(A, J, Jn, reps)
        best = min(best, (time.perf_counter() - t) / reps)
    return 2.0 * (N + 1) * N * Pc / best / 1e9, best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None, help="data directory (else $RTRL_THEORY_DATA)")
    ap.add_argument("--hidden", type=int, default=20, help="GRU units N (default 20)")
    ap.add_argument("--prefix", type=int, default=50_000, help="timed prefix (characters)")
    ap.add_argument("--repeats", type=int, default=3, help="prefix timings, best kept")
    ap.add_argument("--numpy-steps", type=int, default=2_000, help="NumPy engine prefix")
    ap.add_argument("--no-full", action="store_true", help="skip the full pass")
    ap.add_argument("--quick", action="store_true", help="smoke test (short, no full pass)")
    ap.add_argument("--eta0", type=float, default=2e-3, help="RMSprop eta_0 (default 2e-3)")
    ap.add_argument("--beta", type=float, default=0.999, help="RMSprop beta (default 0.999)")
    ap.add_argument("--t0", type=float, default=1e5, help="schedule t_0 (default 1e5)")
    ap.add_argument("--gamma", type=float, default=0.75, help="schedule gamma (default 0.75)")
    ap.add_argument("--seed", type=int, default=0, help="initial parameters")
    args = ap.parse_args(argv)
    if args.quick:
        args.prefix, args.repeats, args.numpy_steps, args.no_full = 5_000, 1, 300, True

    split = tiny_shakespeare(args.data_dir)
    V = split.vocab.size
    model = char_rnn("gru", args.hidden, V)
    theta0 = model.init_params(args.seed)
    X, Y = next_char_pairs(split.train)
    T = X.shape[0]
    schedule = PowerSchedule(args.eta0, args.t0, args.gamma)
    etas = schedule(np.arange(T))
    opt = RMSprop(beta=args.beta, eps=1e-8)
    N, Pc = model.n_hidden, model.cell.n_params
    fps = flops_per_step(model)

    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(
        f"GRU N = {N}, V = {V}: P = {model.n_params} parameters (cell P_c = {Pc}); "
        f"{split.n_train:,} training characters = {T:,} steps; held-out {split.n_heldout:,}"
    )
    print(f"{opt}, schedule {schedule}, batch 1, seed {args.seed}")

    rate = dgemm_rate()
    rate2 = dgemm_rate_threads(os.cpu_count() or 1)
    jrate, jsec = j_shape_gemm_rate(N, Pc)
    bound = fps * T / (rate * 1e9)
    print(f"\ndgemm 1024^3 (numpy, this run, 1 thread): {rate:.1f} GFLOP/s")
    if rate2 is not None:
        print(
            f"dgemm 1024^3 with {os.cpu_count()} threads (subprocess): {rate2:.1f} GFLOP/s; "
            f"FLOP bound of a pass at that rate: {fps * T / (rate2 * 1e9):.0f} s"
        )
    print(
        f"bare GEMM of the J update's shape ({N + 1} x {N}) x ({N} x {Pc}): "
        f"{jsec * 1e6:.1f} us, {jrate:.1f} GFLOP/s"
    )
    print(
        f"J update: {fps / 1e6:.2f} MFLOP/step, {fps * T / 1e12:.2f} TFLOP/pass; "
        f"FLOP bound at the 1-thread dgemm rate: {bound:.0f} s"
    )

    # compile (or load from the cache) outside the timings
    rtrl_train_text_fast(model, theta0, X[:10], Y[:10], etas=etas[:10], optimizer=opt)

    m = min(args.prefix, T)
    best = math.inf
    for _ in range(args.repeats):
        t = time.perf_counter()
        rtrl_train_text_fast(model, theta0, X[:m], Y[:m], etas=etas[:m], optimizer=opt)
        best = min(best, time.perf_counter() - t)
    per = best / m
    print(
        f"\nprefix {m:,} steps (best of {args.repeats}): {best:.2f} s, {1 / per:,.0f} steps/s, "
        f"{per * 1e6:.1f} us/step, J update {fps / per / 1e9:.1f} GFLOP/s "
        f"({fps / per / 1e9 / rate:.2f} of dgemm)"
    )
    est = per * T
    print(
        f"full pass extrapolated: {est:.0f} s = {est / 60:.2f} min "
        f"(target < {TARGET_S / 60:.0f} min: {'met' if est < TARGET_S else 'NOT met'})"
    )

    mn = min(args.numpy_steps, T)
    res = train_online(
        model,
        theta0,
        (X[:mn], Y[:mn]),
        mn,
        schedule=schedule,
        optimizer=opt,
        record_every=mn,
        backend="numpy",
    )
    pn = res.wall_time / mn
    print(
        f"NumPy engine (train_online) {mn:,} steps: {pn * 1e6:.0f} us/step, "
        f"full pass {pn * T / 60:.1f} min; compiled / NumPy speed-up {pn / per:.1f}x"
    )

    if args.no_full:
        return
    print("\nfull pass ...", flush=True)
    t = time.perf_counter()
    out = rtrl_train_text_fast(model, theta0, X, Y, etas=etas, optimizer=opt)
    wall = time.perf_counter() - t
    t = time.perf_counter()
    bpc = bits_per_character(model, out.theta, split.heldout)
    t_eval = time.perf_counter() - t
    status = "completed" if out.fail < 0 else f"stopped at step {out.fail} ({out.reason})"
    last = out.losses[-50_000:].mean() / math.log(2.0)
    print(
        f"full pass: {wall:.1f} s = {wall / 60:.2f} min, {out.losses.shape[0] / wall:,.0f} steps/s, "
        f"J update {fps * out.losses.shape[0] / wall / 1e9:.1f} GFLOP/s; {status}"
    )
    print(
        f"  target < {TARGET_S / 60:.0f} min: {'met' if wall < TARGET_S else 'NOT met'}; "
        f"{wall / bound:.2f}x the FLOP bound"
    )
    print(f"  training loss, last 50,000 steps: {last:.3f} bits/char")
    print(f"  held-out bits per character: {bpc:.3f} (forward pass {t_eval:.2f} s)")


if __name__ == "__main__":
    main()
