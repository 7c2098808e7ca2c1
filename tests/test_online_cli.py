"""``rtrl-theory estimators`` (thin front end) and ``train_online(..., algo=NAME)`` (the hook)."""

import json

import numpy as np
import pytest

from rtrl_theory.cli import main
from rtrl_theory.online import bias_setup
from rtrl_theory.runners import PowerSchedule, train_online


def test_estimators_command_prints_the_table_and_writes_json_and_plot(tmp_path, capsys):
    out_json, out_png = tmp_path / "e.json", tmp_path / "e.png"
    argv = ["estimators", "--model", "paper", "--n-hidden", "3", "--particles", "6", "--steps",
            "20", "--burn-in", "8", "--algos", "exact", "uoro", "snap-1", "tbptt-4",
            "--json", str(out_json), "--plot", str(out_png), "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    for name in ("exact", "uoro", "snap-1", "tbptt-4"):
        assert f"\n{name} " in text
    data = json.loads(out_json.read_text())
    assert [e["estimator"] for e in data["estimates"]] == ["exact", "uoro", "snap-1", "tbptt-4"]
    assert data["estimates"][0]["rel_bias"] == 0.0
    assert out_png.stat().st_size > 0


@pytest.mark.parametrize("model", ["elman", "gru", "linear"])
def test_estimators_command_runs_each_model(model, capsys):
    argv = ["estimators", "--model", model, "--n-hidden", "2", "--particles", "3", "--steps",
            "5", "--burn-in", "2", "--algos", "kf-rtrl", "eprop", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "kf-rtrl" in capsys.readouterr().out


def test_estimators_command_refuses_unknown_names(capsys):
    assert main(["estimators", "--algos", "uoro", "bogus", "--no-progress"]) == 2
    assert "bogus" in capsys.readouterr().err


def test_train_online_with_exact_estimator_equals_rtrl():
    # Two loops (the trainer's NumPy RTRL path and the online module's), same data stream:
    # the same parameters up to rounding.
    model, params, process = bias_setup("elman", 3, 0)
    sched = PowerSchedule(eta0=0.05, t0=100, gamma=0.75)
    a = train_online(
        model, params, process, 60, schedule=sched, algo="rtrl", rng=1, backend="numpy"
    )
    b = train_online(model, params, process, 60, schedule=sched, algo="exact", rng=1)
    np.testing.assert_allclose(
        model.flatten(b.params), model.flatten(a.params), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(b.losses, a.losses, rtol=1e-12, atol=1e-15)


def test_train_online_tbptt_estimator_equals_tbptt():
    # TBPTT(tau) as an estimator with a lagged (block-end) update against the trainer's BPTT.
    model, params, process = bias_setup("paper", 3, 1)
    sched = PowerSchedule(eta0=0.05, t0=100, gamma=0.75)
    a = train_online(model, params, process, 48, schedule=sched, algo="tbptt", tau=4, rng=2)
    b = train_online(model, params, process, 48, schedule=sched, algo="tbptt-4", rng=2)
    np.testing.assert_allclose(
        model.flatten(b.params), model.flatten(a.params), rtol=1e-10, atol=1e-13
    )
    assert b.update_steps.tolist() == a.update_steps.tolist()


@pytest.mark.parametrize("algo", ["uoro", "kf-rtrl", "snap-2", "rflo", "eprop", "immediate"])
def test_train_online_accepts_every_estimator_name(algo):
    model, params, process = bias_setup("gru", 2, 3)
    res = train_online(model, params, process, 30, schedule=PowerSchedule(0.01, 100, 0.75),
                       algo=algo, rng=4)  # fmt: skip
    assert res.status == "completed" and res.losses.shape == (30,)
    assert res.config["estimator"] == algo


def test_train_online_hook_refuses_unknown_and_unsupported():
    model, params, process = bias_setup("paper", 2, 0)
    sched = PowerSchedule(0.01, 100, 0.75)
    with pytest.raises(ValueError, match="algo: expected one of"):
        train_online(model, params, process, 5, schedule=sched, algo="sgd")
    with pytest.raises(ValueError, match="without checkpoints"):
        train_online(model, params, process, 5, schedule=sched, algo="uoro", backend="numba")
