"""BLAS thread control around the compiled per-step loops.

numba's ``np.dot`` calls scipy's OpenBLAS (and NumPy has a second copy). A per-step GEMM of the
RTRL loops, (N + 1, N) x (N, P_c), is far too small to share between threads: OpenBLAS's workers
then spin against each other and against any other busy process (issue 14: 0.29x JAX at N = 32
with two busy processes beside it, 1.53x with one thread). The compiled wrappers therefore run
their loops inside :func:`blas_threads` with one thread, unless the GEMM is large enough that
more threads pay (:data:`BLAS_MULTI_MIN_FLOPS`, measured with ``benchmarks/bench_rtrl.py
--crossover-threads``).

How: the thread-count functions that scipy's and NumPy's OpenBLAS builds export
(``scipy_openblas_set_num_threads`` and its 64-bit-integer twin), called through ctypes on the
libraries already loaded: about 0.07 ms per limit. Where there are none (an MKL or BLIS build),
`threadpoolctl <https://github.com/joblib/threadpoolctl>`_ (the ``fast`` extra) through one
``ThreadpoolController`` built once (a fresh ``threadpool_limits`` rescans the loaded libraries,
about 1 ms per call). If neither works, the limit is a no-op (``OPENBLAS_NUM_THREADS=1`` in the
environment then does the same job).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import math
import os
import time

__all__ = ["BLAS_MULTI_MIN_FLOPS", "blas_threads", "own_load", "threads_for_gemm"]

#: Least flops of one per-step GEMM, 2 (N + 1) N P_c, for which the compiled loops leave BLAS its
#: default thread count; below, one thread. ``bench_rtrl.py --crossover-threads`` on the shared
#: 2-core machine (load average 10-13 from other work, two busy processes beside it; microseconds
#: per step of the fixed-theta loop, paper RNN, d = 3; 1 thread / default):
#:
#: ====  ==========  ========  =======
#:  N    flops/GEMM  1 thread  default
#: ====  ==========  ========  =======
#:  10    2.9e4          1.9      4.0
#:  32    2.4e6        189      168
#:  64    3.6e7       3249    17473
#: 100    2.1e8      19509    35503
#: 128    5.5e8      56987    83219
#: ====  ==========  ========  =======
#:
#: One thread wins or ties everywhere there (under load), which :func:`threads_for_gemm` covers by
#: its load-average test. On the idle machine (load average 0.2-0.35, 2026-12-06, same command,
#: ``--sizes 10 12 16 20 24 32``), default / 1 thread: N = 10 1.04, 12 1.00, 16 1.01, 20 1.00,
#: 24 1.00 (7.8e5 flops: OpenBLAS keeps such GEMMs on one thread itself), 32 0.71 (2.4e6 flops,
#: 40.3 against 56.9 us per step), 64 0.58, 100 0.51, 128 0.57. The earlier limit of 2e7, set from
#: the loaded table alone, kept N = 32 on one thread on an idle machine too; 1e6 lies between the
#: last tie and the first gain.
BLAS_MULTI_MIN_FLOPS = 1e6

_FALLBACK: list | None = None
#: threadpoolctl.ThreadpoolController once built; False when threadpoolctl is not installed.
_CONTROLLER = None


def threads_for_gemm(n_rows: int, n_inner: int, n_cols: int) -> int | None:
    """Return the BLAS thread count for one GEMM: 1, or None for BLAS's default.

    1 for a latency-bound GEMM (below :data:`BLAS_MULTI_MIN_FLOPS`) or on a busy machine: the
    1-minute load average, less this process's own share of it (:func:`own_load`), above the
    number of cores less 1.5, i.e. other work keeps about all cores but one busy and BLAS's
    threads would spin against it. None (BLAS's default) for a large GEMM on an idle machine.

    Parameters
    ----------
    n_rows, n_inner, n_cols : int
        The GEMM's shape, (n_rows x n_inner) @ (n_inner x n_cols).

    Returns
    -------
    int or None
        1, or None for BLAS's default thread count.
    """
    own = own_load()  # sampled on every call, so that its average follows this process
    if 2.0 * n_rows * n_inner * n_cols < BLAS_MULTI_MIN_FLOPS:
        return 1
    try:
        others = os.getloadavg()[0] - own
    except OSError:  # pragma: no cover - no load average on this platform
        return 1
    return 1 if others > (os.cpu_count() or 1) - 1.5 else None


#: (monotonic time, process CPU seconds, load estimate) of the last :func:`own_load` sample.
_OWN: list = []


def own_load() -> float:
    """Estimate this process's share of the 1-minute load average, in cores (all its threads).

    The load average counts this process too: a long run on an idle 2-core machine pushes it
    to 1-2 by itself, which a busy test on the load average alone reads as other work. The
    estimate is the process's CPU time per wall second between samples (the first sample is
    taken when this module is imported), damped like the kernel's load average (time
    constant 60 s).

    Returns
    -------
    float
        The estimate, in cores.
    """
    now, t = time.monotonic(), os.times()
    cpu = t.user + t.system
    if not _OWN:
        _OWN[:] = [now, cpu, 0.0]
    wall0, cpu0, load = _OWN
    dt = now - wall0
    if dt >= 1.0:  # shorter intervals: too coarse a clock for a rate
        decay = math.exp(-dt / 60.0)
        load = decay * load + (1.0 - decay) * max(0.0, (cpu - cpu0) / dt)
        _OWN[:] = [now, cpu, load]
    return load


own_load()  # the first sample: the rate is measured from here


def _controller():
    """Threadpoolctl's ThreadpoolController, built once (None without threadpoolctl).

    Built once because a ``threadpool_limits`` context scans the loaded libraries every time:
    about 1 ms per call against 0.07 ms for the OpenBLAS entry points (measured on the shared
    machine, threadpoolctl 3.8), which the chunked online trainer would pay per chunk.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController()
    return _CONTROLLER or None


def _fallback_handles():
    """(get, set) pairs of the OpenBLAS builds shipped with scipy and NumPy (loaded or loadable)."""
    global _FALLBACK
    if not _FALLBACK:
        try:  # numba's np.dot goes through scipy's BLAS: make sure it is loaded before looking
            import scipy.linalg.cython_blas  # noqa: F401
        except ImportError:  # pragma: no cover - scipy is a dependency
            pass
        pairs = []
        names = [
            ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
            ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("openblas_get_num_threads", "openblas_set_num_threads"),
        ]
        for mod in ("scipy", "numpy"):
            try:
                pkg = __import__(mod)
            except ImportError:  # pragma: no cover - both are dependencies
                continue
            root = os.path.dirname(os.path.dirname(pkg.__file__))
            for path in glob.glob(os.path.join(root, f"{mod}.libs", "*openblas*.so*")):
                try:
                    lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_GLOBAL)
                except OSError:
                    continue
                for get, set_ in names:
                    if hasattr(lib, get) and hasattr(lib, set_):
                        getf, setf = getattr(lib, get), getattr(lib, set_)
                        getf.restype = ctypes.c_int
                        pairs.append((getf, setf))
                        break
        _FALLBACK = pairs
    return _FALLBACK


@contextlib.contextmanager
def blas_threads(n: int | None):
    """Run the block with at most ``n`` BLAS threads (None: leave BLAS as it is)."""
    if n is None:
        yield
        return
    handles = _fallback_handles()
    if not handles:
        controller = _controller()
        if controller is not None:
            with controller.limit(limits=int(n), user_api="blas"):
                yield
            return
    saved = []
    for getf, setf in handles:
        try:
            saved.append((setf, int(getf())))
            setf(int(n))
        except Exception:  # pragma: no cover - a library without the entry point
            continue
    try:
        yield
    finally:
        for setf, old in saved:
            setf(old)
