"""The verification checks: each passes on the real library and FAILS when fed a wrong claim or a
broken implementation (a check that cannot fail proves nothing)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rtrl_theory.checks import (
    CheckResult,
    discover,
    format_markdown,
    format_table,
    results_to_json,
    run_checks,
)

REGISTRY = discover()


def test_registry_has_the_engine_checks():
    assert {"eq-2.20", "sec-2.4", "lemma-3.5", "lemma-3.7"} <= set(REGISTRY)


#: The status each check must have on the real library: [P1]'s statement holds (pass), is false
#: with a counterexample shown (refuted), or is a text row (note).
EXPECTED = {"note-9.1": "refuted", "note-9.2": "refuted", "note-9.3": "refuted", "prop-3.10": "refuted"}
EXPECTED.update({"note-9.4": "note", "note-9.5": "note"})
SLOW = {"thm-6.1"}  # minutes: run with -m slow


@pytest.mark.parametrize(
    "cid",
    [pytest.param(c, marks=(pytest.mark.slow,) if c in SLOW else ()) for c in sorted(REGISTRY)],
)
def test_every_check_has_its_expected_status_in_quick_mode(cid):
    res = REGISTRY[cid].check(quick=True)
    assert isinstance(res, CheckResult) and res.id == cid
    assert res.status == EXPECTED.get(cid, "pass"), res.reason


def _mutant(cid, name):
    (m,) = [m for m in REGISTRY[cid].MUTANTS if m.name == name]
    return m


def _under(cid, name):
    with _mutant(cid, name).patch():
        return REGISTRY[cid].check(quick=True)


def test_eq_2_20_fails_on_a_broken_derivative():
    # map-derivative-off: f', g' 0.1% off in the Python maps -- finite differences of the plain
    # forward pass expose it. (RTRL against BPTT exposes it too where RTRL runs on the compiled
    # engine, which derives the map derivatives in its own code: the two routes then differ.)
    res = _under("eq-2.20", "map-derivative-off")
    assert res.status == "fail"
    assert res.details["max_rel_err_fd"] > 1e-6


def test_eq_2_20_fails_when_rtrl_and_bptt_disagree():
    # immediate-term-scaled: only the forward engine's diagonal-block write is 0.1% off.
    res = _under("eq-2.20", "immediate-term-scaled")
    assert res.status == "fail" and res.details["max_rel_err_bptt"] > 1e-10


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    ["tanh-second-derivative-off", "diagonal-R-term-dropped", "sigma-second-derivative-dropped"],
)
def test_sec_2_4_fails_on_a_broken_second_order_recursion(name):
    res = _under("sec-2.4", name)
    assert res.status == "fail" and res.details["max_rel_err_fd"] > 1e-6


@pytest.mark.parametrize("cid, name", [("lemma-3.5", "K_W-halved"), ("lemma-3.7", "K_WW-halved")])
def test_box_checks_fail_when_a_radius_is_halved(cid, name):
    # A radius halved: the simulated derivatives leave the smaller box, and the radius is no
    # longer the (B.5) fixed point.
    res = _under(cid, name)
    assert res.status == "fail"
    assert "exceeded" in res.reason and "numeric radii differ" in res.reason


def test_runner_turns_a_crash_into_a_failure(monkeypatch):
    def boom(quick=True):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(REGISTRY["eq-2.20"], "check", boom)
    (res,) = run_checks(["eq-2.20"])
    assert res.status == "fail" and "kaboom" in res.reason
    assert res.details == {"crashed": True, "exception": "RuntimeError"}


def test_runner_rejects_unknown_ids():
    with pytest.raises(ValueError, match="only: unknown check id.*no-such"):
        run_checks(["no-such"])


def test_reports_render_every_column():
    r = [CheckResult("x-1", "a | statement", "claim", "measured 1", "method", "fail", "why", 0.5)]
    r.append(CheckResult("x-2", "s", "c", "m", "meth", "refuted"))
    table = format_table(r)
    assert "x-1" in table and "FAIL" in table and "0.50" in table
    assert "0 pass, 1 fail, 1 refuted, 0 note" in table  # every status counted separately
    md = format_markdown(r)
    assert "a \\| statement" in md and "| fail |" in md
    assert "0 pass, 1 fail, 1 refuted, 0 note." in md
    js = results_to_json(r, quick=True, seed=4)
    assert js["n_failed"] == 1 and json.loads(json.dumps(js))["results"][0]["id"] == "x-1"
    assert js["counts"] == {"pass": 0, "fail": 1, "refuted": 1, "note": 0, "skip": 0}
    assert js["seed"] == 4
    with pytest.raises(ValueError, match="status: expected one of"):
        CheckResult("x", "s", "c", "m", "meth", "ok")


def test_check_results_are_deterministic():
    a = REGISTRY["lemma-3.5"].check(quick=True)
    b = REGISTRY["lemma-3.5"].check(quick=True)
    assert a.details == b.details
    assert np.isfinite(a.details["ratios"]["K_W"])


# -- issue 3: symbolic bounds, contraction constants, Appendix B, notes ---------------------------


@pytest.mark.parametrize("cid", ["lemma-3.5", "lemma-3.7"])
def test_box_checks_fail_on_a_wrong_closed_form(monkeypatch, cid):
    mod = REGISTRY[cid]
    wrong = {k: 1.01 * v for k, v in mod.CLAIMED.items()}
    monkeypatch.setattr(mod, "CLAIMED", wrong)
    res = mod.check(quick=True)
    assert res.status == "fail" and "differs from the claimed radius" in res.reason


def test_box_checks_fail_when_library_radii_drift():
    # radii-drift-1e-9: the library's numeric radii must equal the SymPy-derived ones; a 1e-9
    # drift is caught by the 1e-12 comparison (the simulation part does not notice it).
    res = _under("lemma-3.5", "radii-drift-1e-9")
    assert res.status == "fail" and "numeric radii differ" in res.reason
    assert "exceeded" not in res.reason


def test_assumption_2_10_states_the_threshold_for_each_n():
    # Truth: the independent measurement (0.689 for N = 1, 1.052 for N = 2, 1.1233 for
    # N >= 3, where rho_WW binds), to the 3 decimals it was reported with.
    res = REGISTRY["assumption-2.10"].check(quick=True)
    t = {int(n): v for n, v in res.details["thresholds"].items()}
    assert set(t) == set(range(1, 7))
    assert abs(t[1]["t_symbolic"] - 0.689) < 1e-3 and abs(t[2]["t_symbolic"] - 1.052) < 1e-3
    assert all(abs(t[n]["t_symbolic"] - 1.1233) < 1e-4 for n in range(3, 7))
    assert all(t[n]["binding"] == "rho_WW" for n in range(3, 7))
    assert res.details["N0_rho_WW_binds"] == 3 and res.details["rho_WW_free_of_N"]
    assert all(v["routes_rel_diff"] <= 1e-9 for v in t.values())


@pytest.mark.slow
def test_assumption_2_10_fails_when_numeric_rho_is_wrong():
    res = _under("assumption-2.10", "rho_WW-shrunk")
    assert res.status == "fail" and "numeric rho differs" in res.reason
    # and the library's rho no longer crosses 1 at the derived t_N (N >= 3, rho_WW binds)
    assert "N=3: rho(" in res.reason and "do not straddle 1" in res.reason


@pytest.mark.parametrize("cid, blocks", [("lemma-3.8", "S"), ("lemma-3.9", "WW")])
def test_lipschitz_checks_fail_when_claimed_constants_are_too_small(monkeypatch, cid, blocks):
    from proofs_checks import _common
    from rtrl_theory import bounds
    from rtrl_theory.bounds import ContractionConstants

    orig = bounds.contraction_constants
    monkeypatch.setattr(
        bounds,
        "contraction_constants",
        lambda m, c: ContractionConstants(*(v / 3 for v in vars(orig(m, c)).values())),
    )
    monkeypatch.setattr(_common, "_LIP_CACHE", {})  # the measurement is cached per mode
    res = REGISTRY[cid].check(quick=True)
    assert res.status == "fail" and f"rho_{blocks}" in res.reason


def test_appendix_b_fails_on_a_wrong_solver():
    for name, eq in (("b5-wrong-denominator", "(B.5)"), ("b6-off-by-one", "(B.6)")):
        res = _under("appendix-b", name)
        assert res.status == "fail" and eq in res.reason


def test_appendix_b_fails_on_a_wrong_closed_form(monkeypatch):
    import sympy as sp

    mod = REGISTRY["appendix-b"]
    c, b, a0 = (sp.Symbol(n, nonnegative=True) for n in ("c", "b", "a_0"))
    t = sp.Symbol("t", integer=True, nonnegative=True)
    monkeypatch.setitem(mod.CLAIMED, "B.5", c**t * a0 + b * (1 - c**t) / (1 + c))
    res = mod.check(quick=True)
    assert res.status == "fail" and "(B.5)" in res.reason


@pytest.mark.parametrize("cid", ["note-9.1", "note-9.2", "note-9.3"])
def test_refutations_fail_when_their_counterexample_does_not_reproduce(cid):
    # Each refutation shows a counterexample to [P1]; each of its mutants makes the statement
    # true on the configuration (or breaks the derived number), and the row must then fail.
    assert REGISTRY[cid].check().status == "refuted"
    for m in REGISTRY[cid].MUTANTS:
        with m.patch():
            res = REGISTRY[cid].check()
        assert res.status == "fail" and res.reason, m.name


def test_note_9_1_shows_the_counterexample_number():
    # (4.4) with C = 1 at n = 1: |P G(z) - P G(z')| <= rho_bar |z - z'|, rho_bar = 0.5; the pair
    # gives d C_g / 4 = 0.75 (the x-Jacobian row sum at z ~ 0, saturated W), so C >= 1.5.
    d = REGISTRY["note-9.1"].check().details
    assert d["rho_bar"] == 0.5 and d["pair_ratio"] > 0.7 and d["C_lower_bound"] > 1.4
