"""The contraction command, the plotting helpers and the flat-array adapters of JointProcess."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rtrl_theory import PaperRNN
from rtrl_theory.cli import main
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget
from rtrl_theory.estimators import burn_in_for, limit_loss, poisson_solution, tbptt_bias, terms_for
from rtrl_theory.estimators._limits import loss_bias_curve
from rtrl_theory.runners import JointProcess


def test_contraction_cli_writes_json_and_plot(tmp_path, capsys):
    js, png = tmp_path / "c.json", tmp_path / "c.png"
    code = main(
        [
            "contraction",
            "--n-hidden",
            "3",
            "--c-f",
            "0.3",
            "--particles",
            "1500",
            "--steps",
            "40",
            "--order",
            "1",
            "--no-progress",
            "--json",
            str(js),
            "--plot",
            str(png),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "synchronous" in out and "independent" in out and "rho_bar" in out
    rec = json.loads(js.read_text())
    assert {"rate", "rate_ci", "rho_bar", "lam"} <= set(rec)
    assert rec["rate"] <= rec["rho_bar"] and rec["lam"] == 0.5 and len(rec["rate_ci"]) == 2
    assert png.stat().st_size > 10_000


def test_contraction_cli_flags_configurations_outside_the_hypotheses(tmp_path, capsys):
    code = main(
        [
            "contraction",
            "--n-hidden",
            "2",
            "--c-f",
            "1.2",
            "--particles",
            "100",
            "--coupling",
            "synchronous",
            "--order",
            "1",
            "--no-progress",
            "--json",
            str(tmp_path / "c.json"),
        ]
    )
    err = capsys.readouterr().err
    assert "outside the theorem's hypotheses" in err
    rec = json.loads((tmp_path / "c.json").read_text())
    assert rec["hypotheses_hold"] is False and code in (0, 1)


def test_contraction_cli_bad_block(capsys):
    code = main(
        [
            "contraction",
            "--particles",
            "50",
            "--coupling",
            "independent",
            "--block",
            "Q",
            "--order",
            "1",
            "--no-progress",
        ]
    )
    assert code == 2 and "block" in capsys.readouterr().err


@pytest.mark.parametrize("teacher", [False, True])
def test_flatten_unflatten_round_trip_and_markov_step(rng, teacher):
    model = PaperRNN(3, 2, c_f=0.3)
    chain = ExampleChain(2, 0.5)
    target = (
        TeacherTarget(model, model.init_params(rng), noise=0.1)
        if teacher
        else LipschitzTarget.random(2, rng=rng)
    )
    jp = JointProcess(model, model.init_params(rng), DataProcess(chain, target), order=2)
    z = jp.run(jp.initial(7, rng=1, law="box"), 3, rng=2)
    A = jp.flatten(z)
    assert A.shape == (7, jp.dim)
    back = jp.unflatten(A)
    np.testing.assert_array_equal(jp.flatten(back), A)
    np.testing.assert_allclose(back.Y, z.Y, rtol=1e-14)  # targets recomputed from the state
    np.testing.assert_array_equal(jp.markov_step(A, 5), jp.flatten(jp.step(z, 5)))
    with pytest.raises(ValueError, match=r"A: expected shape"):
        jp.unflatten(A[:, :-1])


def test_estimator_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="rho_bar: expected a number in"):
        burn_in_for(1.0)
    with pytest.raises(ValueError, match="rho_bar: expected a number in"):
        terms_for(0.0)
    assert burn_in_for(0.5, 1e-6) == 20 and terms_for(0.5, 1e-3) == 11
    model = PaperRNN(2, 1)
    jp = JointProcess(
        model,
        model.init_params(0),
        DataProcess(ExampleChain(1, 0.5), LipschitzTarget.random(1, rng=0)),
        order=1,
    )
    with pytest.raises(ValueError, match="n_particles: at least 2"):
        limit_loss(jp, n_particles=1, n_steps=5, burn_in=0)
    with pytest.raises(ValueError, match="T_grid: expected positive integers"):
        loss_bias_curve(jp, [0, 4], n_particles=10, burn_in=2)
    with pytest.raises(ValueError, match="n_inner: at least 2"):
        poisson_solution(jp, jp.initial(2), lambda z: z.Y, 0.0, n_inner=1, n_terms=3)
    with pytest.raises(ValueError, match="taus: expected a positive integer"):
        tbptt_bias(jp, (0, 2), n_particles=10, burn_in=1)


def test_limit_loss_is_reproducible_and_its_error_shrinks_with_particles():
    model = PaperRNN(2, 1)
    jp = JointProcess(
        model,
        model.init_params(0),
        DataProcess(ExampleChain(1, 0.5), LipschitzTarget.random(1, rng=0)),
        order=1,
    )
    a = limit_loss(jp, n_particles=100, n_steps=50, burn_in=20, rng=3)
    b = limit_loss(jp, n_particles=100, n_steps=50, burn_in=20, rng=3)
    c = limit_loss(jp, n_particles=1600, n_steps=50, burn_in=20, rng=4)
    assert a.value == b.value
    # 16x the particles: the standard error falls by about 4 (sample-size ratio of iid samples;
    # a factor band [2.5, 6.5] covers the randomness of two sd estimates from 100 samples).
    assert 2.5 < a.stderr / c.stderr < 6.5
    assert abs(a.value - c.value) < 5 * np.hypot(a.stderr, c.stderr)


def test_contraction_cli_saves_stationary_marginals(tmp_path, capsys):
    js, png = tmp_path / "c.json", tmp_path / "m.png"
    code = main(
        [
            "contraction",
            "--n-hidden",
            "3",
            "--c-f",
            "0.3",
            "--particles",
            "300",
            "--coupling",
            "synchronous",
            "--order",
            "1",
            "--no-progress",
            "--marginals",
            str(png),
            "--json",
            str(js),
        ]
    )
    assert code == 0 and png.stat().st_size > 10_000
    m = json.loads(js.read_text())["stationary_marginals"]
    assert m["labels"][:3] == ["S[0]", "S[1]", "S[2]"]
    assert all(0 < v < 1 for v in m["mean"][:3])  # S = sigma(.) lies in (0, 1)
