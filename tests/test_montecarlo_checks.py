"""The Monte Carlo checks (issue 4) fail when fed a wrong claim or a broken implementation.

(That they pass on the real library is covered by tests/test_checks.py, which runs every check.)
Each test clears the shared per-mode cache of proofs_checks._montecarlo, since the broken
piece must be recomputed.
"""

from __future__ import annotations

import numpy as np
import pytest

from proofs_checks import _montecarlo
from rtrl_theory.checks import discover

REGISTRY = discover()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(_montecarlo, "_CACHE", {})


def test_prop_3_1_fails_against_a_too_small_bound(monkeypatch):
    real = _montecarlo.assumptions()

    class Smaller:  # a claimed rho_bar below the measured rate (0.46)
        lam, rho, rho_bar = real.lam, real.rho, 0.3

    mod = REGISTRY["prop-3.1"]
    monkeypatch.setattr(mod, "assumptions", lambda: Smaller)
    res = mod.check(quick=True)
    assert res.status == "fail" and "synchronous rate" in res.reason


def test_thm_3_11_fails_for_a_chain_that_does_not_forget_its_start(monkeypatch):
    from rtrl_theory.data import ExampleChain

    # Inputs frozen at their start (no contraction, lam = 1): two stationary laws.
    monkeypatch.setattr(ExampleChain, "step", lambda self, x, eps: x)
    res = REGISTRY["thm-3.11"].check(quick=True)
    assert res.status == "fail" and "final W1" in res.reason


def test_lemma_3_12_fails_on_a_wrong_exponent(monkeypatch):
    mod = REGISTRY["lemma-3.12"]
    monkeypatch.setattr(mod, "CLAIMED_EXPONENT", -0.5)
    res = mod.check(quick=True)
    assert res.status == "fail" and "slope" in res.reason


def test_thm_3_16_fails_when_the_update_direction_drops_the_sensitivities(monkeypatch):
    from rtrl_theory.runners import JointProcess

    orig = JointProcess.update_direction

    def no_J(self, z):  # a plausible bug: forgetting J^T alpha in (3.63)-(3.64)
        g = orig(self, z)
        g[:, self.n_hidden :] = 0.0
        return g

    monkeypatch.setattr(JointProcess, "update_direction", no_J)
    res = REGISTRY["thm-3.16"].check(quick=True)
    assert res.status == "fail" and "gradient" in res.reason


def test_tbptt_bias_check_fails_when_the_truncation_has_no_effect(monkeypatch):
    mod = REGISTRY["tbptt-bias"]
    real = mod.tbptt_bias

    def unbiased(*a, **k):
        r = real(*a, **k)
        zero = {t: 0.0 for t in r.taus}
        return type(r)(
            r.taus,
            {t: 0 * r.bias[t] for t in r.taus},
            r.stderr,
            zero,
            r.noise,
            r.n_particles,
            r.n_steps,
            r.burn_in,
            r.lag_norm,
            r.lag_noise,
        )

    monkeypatch.setattr(mod, "tbptt_bias", unbiased)
    res = mod.check(quick=True)
    assert res.status == "fail" and "not above 10 x noise" in res.reason


def test_lemma_4_2_fails_with_a_wrong_stationary_mean(monkeypatch):
    mod = REGISTRY["lemma-4.2"]
    real = mod.stationary_average

    def shifted(*a, **k):
        # Gbar off by 1.0 (true value ~0.135): the identity is off by 1, its standard error ~0.08
        est, z = real(*a, **k)
        new = type(est)(
            est.value + 1.0, est.stderr, est.samples, est.n_particles, est.n_steps, est.burn_in
        )
        return new, z

    monkeypatch.setattr(mod, "stationary_average", shifted)
    res = mod.check(quick=True)
    assert res.status == "fail" and "identity (4.1)" in res.reason
    assert np.isfinite(res.details["z_scores"]).all()
