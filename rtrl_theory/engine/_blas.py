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
import os

__all__ = ["BLAS_MULTI_MIN_FLOPS", "blas_threads", "threads_for_gemm"]

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
#: One thread wins or ties everywhere there (under load). On the same machine when it was idle
#: (numpy's dgemm at 103 GFLOP/s), BLAS's two threads did pay at N = 64: the NumPy engine's
#: two-thread GEMMs ran at 60 GFLOP/s against 45 for the compiled loop on one thread. Hence the
#: rule of :func:`threads_for_gemm`: one thread below 2e7 flops per GEMM (N = 32 and below at
#: d = 3), and above it too when the machine is busy.
BLAS_MULTI_MIN_FLOPS = 2e7

_FALLBACK: list | None = None
#: threadpoolctl.ThreadpoolController once built; False when threadpoolctl is not installed.
_CONTROLLER = None


def threads_for_gemm(n_rows: int, n_inner: int, n_cols: int) -> int | None:
    """Return the BLAS thread count for one GEMM: 1, or None for BLAS's default.

    1 for a latency-bound GEMM (below :data:`BLAS_MULTI_MIN_FLOPS`) or on a busy machine (the
    1-minute load average above the number of cores less one: BLAS's threads would spin against
    the other processes); None (BLAS's default) for a large GEMM on an idle machine.
    """
    if 2.0 * n_rows * n_inner * n_cols < BLAS_MULTI_MIN_FLOPS:
        return 1
    try:
        busy = os.getloadavg()[0] > (os.cpu_count() or 1) - 1
    except OSError:  # pragma: no cover - no load average on this platform
        busy = True
    return 1 if busy else None


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
