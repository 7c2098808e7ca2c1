"""The Monte Carlo checks (issue 4) fail when fed a wrong claim or a broken implementation.

(That they pass on the real library is covered by tests/test_checks.py, which runs every check.)
Each test clears the shared per-mode cache of proofs_checks._montecarlo, since the broken
piece must be recomputed.
"""

from __future__ import annotations

import pytest

from proofs_checks import _montecarlo
from rtrl_theory.checks import discover

REGISTRY = discover()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(_montecarlo, "_CACHE", {})


def test_thm_3_11_fails_for_a_chain_that_does_not_forget_its_start(monkeypatch):
    from rtrl_theory.data import ExampleChain

    # Inputs frozen at their start (no contraction, lam = 1): two stationary laws.
    monkeypatch.setattr(ExampleChain, "step", lambda self, x, eps: x)
    res = REGISTRY["thm-3.11"].check(quick=True)
    assert res.status == "fail" and "differs" in res.reason


def test_lemma_3_12_fails_on_a_wrong_exponent(monkeypatch):
    # The claim |E L_T - L| <= C / T^2: T (E L_T - L) has a non-zero limit (resolved), so
    # T^2 |E L_T - L| is unbounded (rebuilt check, issue 11: no log-log slope any more).
    from rtrl_theory.checks._power import clear_caches
    from rtrl_theory.estimators import _limits

    clear_caches()
    monkeypatch.setattr(_limits, "LIMIT_RATE_EXPONENT", 2.0)
    res = REGISTRY["lemma-3.12"].check(quick=True)
    clear_caches()
    assert res.status == "fail" and "T^2" in res.reason


def test_thm_3_16_fails_when_the_update_direction_drops_the_sensitivities(monkeypatch):
    from rtrl_theory.checks._power import clear_caches
    from rtrl_theory.runners import JointProcess

    orig = JointProcess.update_direction

    def no_J(self, z):  # a plausible bug: forgetting J^T alpha in (3.63)-(3.64)
        g = orig(self, z)
        g[:, self.model.split(self.theta)[0].size :] = 0.0
        return g

    clear_caches()
    monkeypatch.setattr(JointProcess, "update_direction", no_J)
    res = REGISTRY["thm-3.16"].check(quick=True)
    clear_caches()
    assert res.status == "fail" and "grad L" in res.reason


def test_lemma_4_2_fails_with_a_wrong_stationary_mean(monkeypatch):
    # Gbar off by 1.0 on the finite chains (rebuilt check, issue 11): the series drifts by
    # n_terms and leaves the exact solution of (I - P) v = G - Gbar.
    from rtrl_theory.checks._power import clear_caches
    from rtrl_theory.estimators import _finite_chain as fc

    real = fc.finite_chain_stationary_mean
    clear_caches()
    monkeypatch.setattr(fc, "finite_chain_stationary_mean", lambda P, G: real(P, G) + 1.0)
    res = REGISTRY["lemma-4.2"].check(quick=True)
    clear_caches()
    assert res.status == "fail" and "series vs exact v" in res.reason
