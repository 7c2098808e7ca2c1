"""Every notebook of notebooks/ runs top to bottom in quick mode on a real Jupyter kernel.

Each jupytext percent script is converted to a notebook (jupytext), executed by nbclient on an
ipykernel of this interpreter in a temporary folder, with ``RTRL_THEORY_QUICK=1``, and must draw
at least one figure inline (an ``image/png`` output). About 50 s for the six on two cores (kernel
start-up included), so they stay in the default run (CI must execute every notebook, STYLE.md
section 8); none is excluded.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
#: Seconds per cell before the execution fails (the slowest quick cell takes a few seconds).
CELL_TIMEOUT = 600
KERNEL = "rtrl-theory-tests"
#: Notebooks left out of the default run (too slow for it); none at present.
SLOW: set[str] = set()


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec of this interpreter (whatever kernels the machine has) and its environment."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # ipykernel then selects the inline backend: figures inline
    env["RTRL_THEORY_QUICK"] = "1"
    # One thread per library: on a loaded two-core machine numba's parallel particle kernel
    # and multithreaded BLAS lose far more to contention than they gain.
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # jupyter_core's platformdirs migration, no warning
    return home, env


def test_the_six_notebooks_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:2] for n in names] == ["01", "02", "03", "04", "05", "06", "07"], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_percent_script_with_a_quick_switch(path):
    text = path.read_text(encoding="utf-8")
    assert "format_name: percent" in text and "# %% [markdown]" in text
    assert re.search(r'QUICK = os\.environ\.get\("RTRL_THEORY_QUICK", "1"\) == "1"', text)
    nb = jupytext.reads(text, fmt="py:percent")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and nb.cells[0].cell_type == "markdown"
    assert "from rtrl_theory" in "".join(c.source for c in code)  # it calls the library
    assert not any(c.get("outputs") for c in code)  # no outputs are stored


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW else p for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_runs_top_to_bottom_in_quick_mode(path, kernel_env, tmp_path, monkeypatch):
    home, env = kernel_env
    monkeypatch.setenv("JUPYTER_PATH", str(home))  # finds the kernelspec above
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not its warning about TCP
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    t0 = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError with the cell and traceback
    seconds = time.perf_counter() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "the notebook drew no figure inline"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "quick mode" in text
    print(f"{path.name}: {seconds:.1f} s, {len(images)} figures")
