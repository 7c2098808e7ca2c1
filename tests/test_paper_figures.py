"""Every paper_figures/fig*.py script runs in quick mode, writes PNG, PDF and its .npz cache, and
reuses the cache on a second run (STYLE.md section 7)."""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "paper_figures").glob("fig*.py"))
# The theory figures train thousands of steps and run particle estimates even in quick mode
# (about 3-5 s each): left out of the default run.
SLOW = {"fig_thm61_gradient_norm", "fig_contraction"}


@pytest.fixture
def figures(monkeypatch):
    """Import paper_figures (not installed: it lives at the repository root) with Agg."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.syspath_prepend(str(ROOT))

    def load(name):
        return importlib.import_module(f"paper_figures.{name}")

    return load


def test_every_figure_of_section_7_has_a_script():
    expected = {
        "fig01_linear_rnn",
        "fig02_linear_rnn_large_std",
        "fig03_elman_relu_rtrl",
        "fig04_elman_relu_tbptt",
        "fig05_elman_tanh_rtrl",
        "fig06_elman_tanh_tbptt",
        "fig07_elman_tanh_gamma2_rtrl",
        "fig08_elman_tanh_gamma2_tbptt",
        "fig09_neural_sde",
        "fig_thm61_gradient_norm",
        "fig_contraction",
    }
    assert expected <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_has_the_figure_interface(figures, name):
    m = figures(name)
    assert m.NAME == name
    assert callable(m.compute) and callable(m.plot) and callable(m.main)
    assert isinstance(m.DEFAULT_SEED, int)
    json.dumps(m.settings(True)), json.dumps(m.settings(False))  # the cache key is JSON
    assert "[P1]" in m.__doc__ and "Choices" in m.__doc__  # says what and why


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in SCRIPTS]
)
def test_quick_run_writes_png_pdf_and_cache_then_reuses_the_cache(
    figures, name, tmp_path, monkeypatch
):
    m = figures(name)
    info = m.main(["--quick", "--out", str(tmp_path)])
    assert not info["cached"]
    for key in ("png", "pdf", "npz"):
        assert info[key].exists() and info[key].stat().st_size > 0, key
    assert info["png"].name == f"{name}_quick.png"
    with np.load(info["npz"], allow_pickle=False) as z:
        config = json.loads(str(z["__config__"]))
        assert int(z["__seed__"]) == m.DEFAULT_SEED == config["seed"]
        assert config["quick"] is True and config["settings"] == json.loads(
            json.dumps(m.settings(True))
        )

    def fail(*args, **kwargs):
        raise AssertionError("compute called although the cache matches")

    monkeypatch.setattr(m, "compute", fail)
    again = m.main(["--quick", "--out", str(tmp_path)])
    assert again["cached"]
    assert again["compute_seconds"] == pytest.approx(info["compute_seconds"])


def test_recompute_and_a_changed_seed_bypass_the_cache(figures, tmp_path, monkeypatch):
    m = figures("fig03_elman_relu_rtrl")
    first = m.main(["--quick", "--out", str(tmp_path)])
    with np.load(first["npz"]) as z:
        loss_seed7 = z["loss"]
    calls = []
    compute = m.compute

    @functools.wraps(compute)  # run_figure reads compute's signature to pass the cache options
    def counting(*args, **kwargs):
        calls.append(kwargs)
        return compute(*args, **kwargs)

    monkeypatch.setattr(m, "compute", counting)
    assert not m.main(["--quick", "--out", str(tmp_path), "--recompute"])["cached"]
    assert calls[-1]["recompute"] is True  # the sweep's run cache is bypassed too
    second = m.main(["--quick", "--out", str(tmp_path), "--seed", "8"])
    assert not second["cached"] and len(calls) == 2
    with np.load(second["npz"]) as b:  # the same file, overwritten with the new seed's data
        assert int(b["__seed__"]) == 8
        assert not np.array_equal(loss_seed7, b["loss"])  # another seed, other replicates


def test_a_tbptt_companion_reuses_the_rtrl_runs(figures, tmp_path):
    rtrl = figures("fig05_elman_tanh_rtrl").main(["--quick", "--out", str(tmp_path)])
    tbptt = figures("fig06_elman_tanh_tbptt").main(["--quick", "--out", str(tmp_path)])
    with np.load(rtrl["npz"]) as a, np.load(tbptt["npz"]) as b:
        sel = b["algo"] == "rtrl"
        assert sel.sum() == a["algo"].size and (a["algo"] == "rtrl").all()
        np.testing.assert_array_equal(b["loss"][sel], a["loss"])  # the same runs, read back
        np.testing.assert_array_equal(b["wall_time"][sel], a["wall_time"])


def test_fig2_is_fig1_shifted_by_the_input_scale(figures):
    # Linear model and teacher from S_0 = 0, noiseless targets: inputs scaled by s scale every
    # loss by s^2 and every gradient by s^2, which RMSprop divides out (module docstring of
    # fig02). Same seed, hence the same draws: the losses differ by the factor s^2 exactly but
    # for RMSprop's eps = 1e-8, which perturbs an update by eps / sqrt(v) relatively (sqrt(v)
    # down to ~1e-4 late in a run) and the perturbation is carried along the run (measured:
    # largest relative deviation 1.2e-4, RTRL at eta0 = 0.01; 2e-6 for the other runs).
    f1, f2 = figures("fig01_linear_rnn"), figures("fig02_linear_rnn_large_std")
    a = f1.compute(True, np.random.default_rng(f1.DEFAULT_SEED))
    b = f2.compute(True, np.random.default_rng(f2.DEFAULT_SEED))
    assert (a["status"] == b["status"]).all()
    np.testing.assert_allclose(b["loss"], f2.STD_FACTOR**2 * a["loss"], rtol=1e-3)


def test_runner_lists_and_runs_selected_scripts(figures, tmp_path, capsys, monkeypatch):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")  # __main__ sets these on import; restored after the test
    main = figures("__main__").main
    assert main(["--list"]) == 0
    assert capsys.readouterr().out.split() == SCRIPTS
    assert main(["--only", "fig03_elman_relu_rtrl", "--quick", "--out", str(tmp_path)]) == 0
    timings = json.loads((tmp_path / "timings_quick.json").read_text())
    assert [r["figure"] for r in timings["figures"]] == ["fig03_elman_relu_rtrl"]
    with pytest.raises(SystemExit):
        main(["--only", "fig99_missing"])
