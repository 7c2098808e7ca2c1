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


@pytest.mark.parametrize("cid", sorted(REGISTRY))
def test_every_check_passes_in_quick_mode(cid):
    res = REGISTRY[cid].check(quick=True)
    assert isinstance(res, CheckResult) and res.id == cid
    assert res.status in ("pass", "note"), res.reason


def _break_tanh_second_derivative(monkeypatch):
    # A 1% error in the bounded map's second derivative: only the Hessian route uses it.
    from rtrl_theory.cells import _maps

    orig = _maps.Tanh.deriv

    def wrong(self, x, n=1):
        out = orig(self, x, n)
        return 1.01 * out if n == 2 else out

    monkeypatch.setattr(_maps.Tanh, "deriv", wrong)


def _break_scaled_derivative(monkeypatch):
    # A 1e-3 relative error in f' and g' (used by RTRL and BPTT alike, not by the plain forward
    # pass): RTRL still equals BPTT, but finite differences expose it.
    from rtrl_theory.cells import _maps

    for cls in (_maps.ScaledTanh, _maps.ScaledSigmoid):
        orig = cls.deriv

        def wrong(self, x, n=1, _orig=orig):
            out = _orig(self, x, n)
            return (1 + 1e-3) * out if n == 1 else out

        monkeypatch.setattr(cls, "deriv", wrong)


def test_eq_2_20_fails_on_a_broken_derivative(monkeypatch):
    _break_scaled_derivative(monkeypatch)
    res = REGISTRY["eq-2.20"].check(quick=True)
    assert res.status == "fail"
    assert res.details["max_rel_err_fd"] > 1e-6


def test_eq_2_20_fails_when_rtrl_and_bptt_disagree(monkeypatch):
    # Break only the forward engine's diagonal-block write (scale the immediate term).
    from rtrl_theory.engine import _forward

    orig = _forward.add_row_local

    def wrong(Jt, term):
        orig(Jt, type(term)(term.offset, 1.001 * term.a, term.u, term.w))

    monkeypatch.setattr(_forward, "add_row_local", wrong)
    res = REGISTRY["eq-2.20"].check(quick=True)
    assert res.status == "fail" and res.details["max_rel_err_bptt"] > 1e-10


def test_sec_2_4_fails_on_a_broken_second_derivative(monkeypatch):
    _break_tanh_second_derivative(monkeypatch)
    res = REGISTRY["sec-2.4"].check(quick=True)
    assert res.status == "fail"


@pytest.mark.parametrize("cid", ["lemma-3.5", "lemma-3.7"])
def test_box_checks_fail_when_the_claimed_radii_are_too_small(monkeypatch, cid):
    # Feed a wrong claim: radii 20x smaller than Lemma 3.5/3.7's.
    from rtrl_theory import bounds

    orig = bounds.apriori_bounds

    def small(model, C_x):
        b = orig(model, C_x)
        return type(b)(*(v / 20 for v in (b.K_W, b.K_B, b.K_WW, b.K_WB, b.K_BB)))

    monkeypatch.setattr(bounds, "apriori_bounds", small)
    res = REGISTRY[cid].check(quick=True)
    assert res.status == "fail" and "exceeded" in res.reason


def test_runner_turns_a_crash_into_a_failure(monkeypatch):
    def boom(quick=True):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(REGISTRY["eq-2.20"], "check", boom)
    (res,) = run_checks(["eq-2.20"])
    assert res.status == "fail" and "kaboom" in res.reason


def test_runner_rejects_unknown_ids():
    with pytest.raises(ValueError, match="only: unknown check id.*no-such"):
        run_checks(["no-such"])


def test_reports_render_every_column():
    r = [CheckResult("x-1", "a | statement", "claim", "measured 1", "method", "fail", "why", 0.5)]
    table = format_table(r)
    assert "x-1" in table and "FAIL" in table and "0.50" in table and "1 fail" in table
    md = format_markdown(r)
    assert "a \\| statement" in md and "| fail |" in md
    js = results_to_json(r, quick=True)
    assert js["n_failed"] == 1 and json.loads(json.dumps(js))["results"][0]["id"] == "x-1"
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


def test_box_checks_fail_when_library_radii_drift(monkeypatch):
    # The library's numeric radii must equal the SymPy-derived ones; a 1e-9 drift is caught
    # by the 1e-12 comparison (the simulation part would not notice it).
    from rtrl_theory import bounds

    orig = bounds.apriori_bounds

    def drift(model, C_x):
        b = orig(model, C_x)
        return type(b)(b.K_W * (1 + 1e-9), b.K_B, b.K_WW, b.K_WB, b.K_BB)

    monkeypatch.setattr(bounds, "apriori_bounds", drift)
    res = REGISTRY["lemma-3.5"].check(quick=True)
    assert res.status == "fail" and "numeric radii differ" in res.reason


def test_assumption_2_10_fails_on_a_wrong_threshold_claim(monkeypatch):
    mod = REGISTRY["assumption-2.10"]
    monkeypatch.setattr(mod, "CLAIMED_THRESHOLD", 1.30)
    res = mod.check(quick=True)
    assert res.status == "fail" and "threshold" in res.reason


def test_assumption_2_10_fails_when_numeric_rho_is_wrong(monkeypatch):
    from rtrl_theory.bounds import ContractionConstants

    mod = REGISTRY["assumption-2.10"]
    orig = mod.contraction_constants

    def wrong(model, C_x):
        c = orig(model, C_x)
        return ContractionConstants(c.rho_S, c.rho_W, c.rho_B, 1.001 * c.rho_WW, c.rho_WB, c.rho_BB)

    monkeypatch.setattr(mod, "contraction_constants", wrong)
    res = mod.check(quick=True)
    assert res.status == "fail" and "numeric rho differs" in res.reason


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


def test_appendix_b_fails_on_a_wrong_closed_form(monkeypatch):
    import sympy as sp

    mod = REGISTRY["appendix-b"]
    c, b, a0 = (sp.Symbol(n, nonnegative=True) for n in ("c", "b", "a_0"))
    t = sp.Symbol("t", integer=True, nonnegative=True)
    monkeypatch.setitem(mod.CLAIMED, "B.5", c**t * a0 + b * (1 - c**t) / (1 + c))
    res = mod.check(quick=True)
    assert res.status == "fail" and "(B.5)" in res.reason


def test_notes_fail_when_their_demonstration_does_not_reproduce(monkeypatch):
    n1, n2, n3 = REGISTRY["note-9.1"], REGISTRY["note-9.2"], REGISTRY["note-9.3"]
    assert {n1.check().status, n2.check().status, n3.check().status} == {"note"}
    monkeypatch.setattr(n1, "_x_lipschitz", lambda *a, **k: 0.1)
    monkeypatch.setattr(n2, "_w1", lambda *a, **k: 0.6)
    # a bounded readout (tanh(alpha)) removes the growth the note reports
    orig = n3._sup_update
    monkeypatch.setattr(n3, "_sup_update", lambda a, s, J, y: orig(np.tanh(a), s, J, y))
    assert n1.check().status == n2.check().status == n3.check().status == "fail"
