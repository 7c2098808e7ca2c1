"""The assumptions checker (function and CLI)."""

from __future__ import annotations

import json

import pytest

from rtrl_theory.bounds import check_assumptions
from rtrl_theory.cli import main


def test_hypotheses_hold_inside_and_fail_outside():
    ok = check_assumptions(4, 2, c_f=0.1, c_g=1.0, lam=0.5, schedule="eta0=0.1,t0=100,gamma=0.75")
    assert ok.hypotheses_hold and ok.rho < 1 and ok.rho_bar == max(0.5, ok.rho)
    assert ok.lam_plus_rho == pytest.approx(0.5 + ok.rho)
    assert all(h["holds"] for h in ok.hypotheses.values())
    # Each hypothesis failing on its own:
    assert not check_assumptions(4, 2, c_f=0.3, lam=0.5).hypotheses_hold  # rho > 1
    assert not check_assumptions(4, 2, c_f=0.1, lam=1.0).hypotheses_hold  # lam = 1
    bad_rm = check_assumptions(4, 2, c_f=0.1, lam=0.5, schedule="eta0=0.1,gamma=0.4")
    assert not bad_rm.hypotheses_hold
    assert "sum eta_t^2 = inf" in bad_rm.hypotheses["Robbins-Monro (Assumption 2.14)"]["detail"]


def test_outside_the_box_rho_is_undefined_not_nan():
    r = check_assumptions(4, 2, c_f=1.0, lam=0.5)
    assert r.rho is None and r.rho_bar is None and r.radii is None
    assert not r.hypotheses_hold
    assert "undefined" in r.hypotheses["rho < 1 (Assumption 2.10)"]["detail"]


def test_no_schedule_is_not_assessed_and_does_not_fail():
    r = check_assumptions(4, 2, c_f=0.1, lam=0.5)
    assert r.hypotheses["Robbins-Monro (Assumption 2.14)"]["holds"] is None
    assert r.hypotheses_hold


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lam: expected a positive"):
        check_assumptions(4, 2, c_f=0.1, lam=-0.5)
    with pytest.raises(ValueError, match="c_f: expected a positive"):
        check_assumptions(4, 2, c_f=0.0)
    with pytest.raises(ValueError, match="bounded_map: unknown"):
        check_assumptions(4, 2, c_f=0.1, bounded_map="relu")


def test_cli_prints_and_writes_json(tmp_path, capsys):
    out = tmp_path / "a.json"
    code = main(
        [
            "assumptions",
            "--n-hidden",
            "4",
            "--n-input",
            "2",
            "--c-f",
            "0.1",
            "--c-g",
            "1",
            "--bounded-map",
            "tanh",
            "--lam",
            "0.5",
            "--c-x",
            "1",
            "--schedule",
            "eta0=0.1,t0=100,gamma=0.75",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    for word in ("K_WW", "rho_BB", "rho_bar", "lam + rho", "c_f_max", "Robbins-Monro"):
        assert word in text
    d = json.loads(out.read_text())
    assert {"rho", "rho_bar", "hypotheses_hold", "c_f_max"} <= set(d)
    assert d["hypotheses_hold"] is True and d["c_f_max"] * 4 == pytest.approx(1.1233, abs=1e-4)


def test_cli_exit_status_when_a_hypothesis_fails(capsys):
    assert main(["assumptions", "--n-hidden", "4", "--c-f", "0.3"]) == 1
    assert "FAILS" in capsys.readouterr().out
    assert main(["assumptions", "--lam", "-1"]) == 2
