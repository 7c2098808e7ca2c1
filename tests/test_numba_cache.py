"""The compiled engine says "compiling kernels (once)" the first time it compiles in a process,
loads the kernels from numba's on-disk cache in later processes, and still runs where no cache
location is writable (a read-only install whose user cache is unwritable too).

Each case runs in a fresh subprocess (the message and the cache are per process); the first
compilation costs tens of seconds, hence ``slow``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

CODE = (
    "import numpy as np\n"
    "from rtrl_theory import PaperRNN, loss_and_grad\n"
    "m = PaperRNN(2, 1); rng = np.random.default_rng(0)\n"
    "X, Y = rng.uniform(-1, 1, (5, 1)), rng.uniform(-1, 1, 5)\n"
    "l, g = loss_and_grad(m, m.init_params(1), X, Y, backend='numba')\n"
    "print(repr(l))\n"
)
MESSAGE = "compiling kernels (once"


def _run(env_extra):
    env = {**os.environ, **env_extra}
    out = subprocess.run(
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip(), out.stderr


@pytest.mark.slow
def test_first_compilation_is_announced_and_later_processes_load_the_cache(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    first, err1 = _run(env)
    assert MESSAGE in err1
    assert any((tmp_path / "cache").rglob("*.nbi"))  # numba wrote its index there
    second, err2 = _run(env)
    assert MESSAGE not in err2, err2  # loaded from the cache: nothing to announce
    assert first == second


@pytest.mark.slow
def test_no_writable_cache_location_falls_back_to_compiling_in_memory():
    # Only numba's zip-import locator: it covers no file of the package, the situation of a
    # read-only install whose user cache directory is not writable either.
    env = {"NUMBA_CACHE_LOCATOR_CLASSES": "numba.core.caching.ZipCacheLocator"}
    value, err = _run(env)
    assert "numba cannot cache here" in err and MESSAGE in err
    assert float(value) > 0.0
