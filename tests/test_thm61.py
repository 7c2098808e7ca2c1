"""Theorem 6.1's decision rule (proofs_checks/thm_6_1_convergence.py, version 2) and its pieces.

Truths: scipy's own t-test (an independent implementation) for ``one_sided_t``; the defining
property of Fieller's interval (its ends are where the paired t-test of b - rho a turns) for
``fieller_ratio_interval``; closed forms of the schedule for the spread law's ratio; symmetry
(exchangeable windows give L -> -L); the docstring's model simulated for the levels; and the check
itself at a fixed seed for the pass and the mutants (slow).
"""

from __future__ import annotations

import textwrap
from unittest import mock

import numpy as np
import pytest
from scipy import stats

from rtrl_theory import estimators
from rtrl_theory.estimators import WindowStatistics, window_checkpoints
from rtrl_theory.estimators._convergence import fieller_ratio_interval, one_sided_t
from rtrl_theory.runners import PowerSchedule


def test_one_sided_t_matches_scipy(rng):
    for n in (2, 5, 12):
        x = rng.normal(0.3, 1.0, n)
        t, p = one_sided_t(x)
        ref = stats.ttest_1samp(x, 0.0, alternative="greater")
        assert t == pytest.approx(ref.statistic, rel=1e-12)
        assert p == pytest.approx(ref.pvalue, rel=1e-10)
    with pytest.raises(ValueError, match="x: expected at least two finite"):
        one_sided_t([1.0])
    with pytest.raises(ValueError, match="x: expected at least two finite"):
        one_sided_t([1.0, np.nan])


def test_fieller_interval_ends_are_where_the_paired_t_test_turns(rng):
    # Fieller's set {rho: |t(b - rho a)| <= t_crit}: at its ends |t| = t_crit exactly.
    n, level = 12, 0.95
    a = rng.gamma(3.0, 1.0, n)
    b = 0.2 * a + rng.normal(0, 0.1, n)
    R, lo, hi = fieller_ratio_interval(a, b, level)
    assert R == pytest.approx(b.mean() / a.mean(), rel=1e-14) and lo < R < hi
    crit = stats.t.ppf(0.5 + level / 2, n - 1)
    for rho in (lo, hi):
        d = b - rho * a
        assert abs(d.mean() / (d.std(ddof=1) / np.sqrt(n))) == pytest.approx(crit, rel=1e-9)
    inside = b - 0.5 * (lo + hi) * a
    assert abs(inside.mean() / (inside.std(ddof=1) / np.sqrt(n))) < crit
    # a mean of a indistinguishable from 0: the set is unbounded
    z = rng.normal(0.0, 1.0, n)
    z -= z.mean()
    assert fieller_ratio_interval(z, b, level)[1:] == (-np.inf, np.inf)
    with pytest.raises(ValueError, match="level"):
        fieller_ratio_interval(a, b, 1.5)
    with pytest.raises(ValueError, match="same length"):
        fieller_ratio_interval(a, b[:-1])


def test_rate_test_fails_iff_the_one_sided_fieller_bound_exceeds_c_r(rng):
    # (A) (t(B - c r A) > t_{0.99}) is the one-sided 99% Fieller lower bound of E B / E A above
    # c r: the two-sided 98% interval's lower end.
    for _ in range(40):
        a = rng.gamma(3.0, 1.0, 8)
        b = rng.uniform(0.05, 0.6) * a * rng.gamma(3.0, 1.0 / 3.0, 8)
        cr = 0.3
        t, _ = one_sided_t(b - cr * a)
        lo = fieller_ratio_interval(a, b, 0.98)[1]
        assert (t > stats.t.ppf(0.99, 7)) == (lo > cr)


def _synthetic(q, schedule=None):
    early, late = window_checkpoints(40_000, 3, 4000, 250, 1000)
    sched = PowerSchedule(0.5, 1000.0, 1.0) if schedule is None else schedule
    return WindowStatistics("x", early, late, np.asarray(q, float), np.full_like(q, 1e-8), sched)


def test_window_statistics_closed_forms(rng):
    q = rng.gamma(2.0, 1e-6, (5, 6))
    st = _synthetic(q)
    np.testing.assert_allclose(st.early, q[:, :3].mean(1), rtol=1e-14)
    np.testing.assert_allclose(st.late, q[:, 3:].mean(1), rtol=1e-14)
    eta = lambda t: 0.5 / (1 + np.asarray(t, float) / 1000)  # noqa: E731
    ea, eb = [4000, 4250, 4500], [38000, 39000, 40000]
    r = np.mean(eta(eb)) / np.mean(eta(ea))
    assert st.predicted_ratio() == pytest.approx(r, rel=1e-14)
    span = np.mean(np.log(eb)) - np.mean(np.log(ea))
    assert st.expected_slope() == pytest.approx(np.log(r) / (2 * span), rel=1e-12)
    assert st.rate_test(2.0) == one_sided_t(st.late - 2.0 * r * st.early)
    # the mutant's exponent is read at call time: eta^2 in the ratio
    with mock.patch.object(estimators._convergence, "SGD_SPREAD_EXPONENT", 1.0):
        r2 = np.mean(eta(eb) ** 2) / np.mean(eta(ea) ** 2)
        assert st.predicted_ratio() == pytest.approx(r2, rel=1e-14)
    # exchangeable windows: swapping them turns every L_s into -L_s (symmetric clamp included)
    swapped = _synthetic(np.c_[q[:, 3:], q[:, :3]])
    np.testing.assert_allclose(swapped.log_ratios(), -st.log_ratios(), rtol=1e-12)
    # a window mean below the clamp (negative estimates) gives a finite L
    neg = q.copy()
    neg[0, 3:] = -1e-6
    assert np.all(np.isfinite(_synthetic(neg).log_ratios()))
    d = st.to_dict()
    assert d["predicted_ratio"] == pytest.approx(r) and len(d["early_means"]) == 5


def test_window_checkpoints_and_errors():
    early, late = window_checkpoints(40_000, 6, 4000, 250, 1000)
    assert early.tolist() == [4000, 4250, 4500, 4750, 5000, 5250]
    assert late.tolist() == [35000, 36000, 37000, 38000, 39000, 40000]
    with pytest.raises(ValueError, match="disjoint"):
        window_checkpoints(6000, 6, 4000, 250, 1000)
    with pytest.raises(ValueError, match="n_window"):
        window_checkpoints(40_000, 0, 4000, 250, 1000)
    with pytest.raises(ValueError, match="n_particles"):
        estimators.theorem_6_1_windows([0], n_particles=1)


def test_design_power_model_levels():
    # The docstring's model (spread law + chi^2_1 scale model): the levels alpha_A and alpha_B
    # hold up to the t-test's approximation. Tolerance: 4 binomial standard errors of n_sim runs.
    from proofs_checks import thm_6_1_convergence as m

    n_sim = 20_000
    d = m.design_power(k=1.0, n_sim=n_sim, rng=3)
    se = np.sqrt(0.01 * 0.99 / n_sim)
    assert d["r"] == pytest.approx(0.14554537795, rel=1e-9)  # the schedule's closed form
    assert d["fail_A_at_boundary"] <= m.ALPHA_A + 4 * se
    assert d["control_passes"] <= m.ALPHA_B + 4 * se
    assert d["fail_B_at_claim"] < 0.005 and d["fail_A_at_claim"] < 0.001
    assert d["mutant_caught"] > 0.9  # documented: 0.96 at k = 1


def _load_benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "false_failures.py"
    spec = importlib.util.spec_from_file_location("false_failures_bench_thm61", path)
    ff = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ff)
    return ff


FAKE = """
from unittest import mock

import fakelib_thm61
from rtrl_theory.checks import CheckResult, Mutant

ID = "fake-seeded"
STATEMENT = "LIMIT >= 0.5"


def check(quick=True, seed=0):
    ok = fakelib_thm61.LIMIT >= 0.5
    ctrl = {"ctrl": {"ok": seed == 2}}
    return CheckResult(ID, STATEMENT, "", "", "", "pass" if ok else "fail", "",
                       details={"controls": ctrl})


MUTANTS = (
    Mutant("quartered", "LIMIT / 4", lambda: mock.patch.object(fakelib_thm61, "LIMIT", 0.25)),
    Mutant("unused", "never read", lambda: mock.patch.object(fakelib_thm61, "UNUSED", 1.0)),
    Mutant("bad", "no such attribute", lambda: mock.patch.object(fakelib_thm61, "NOPE", 1.0)),
)
"""


def test_false_failure_benchmark_counts_mutant_and_control_catches(tmp_path, monkeypatch):
    import sys

    pkg = tmp_path / "fakechecks_thm61"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "one.py").write_text(textwrap.dedent(FAKE))
    (tmp_path / "fakelib_thm61.py").write_text("LIMIT = 1.0\nUNUSED = 0.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        ff = _load_benchmark()
        rates = ff.false_failures(
            n_seeds=4, start=1, package="fakechecks_thm61", mutants=True
        )["fake-seeded"]
        assert rates["seeds"] == [1, 2, 3, 4] and rates["n_fail"] == 0
        mc = rates["mutants_caught"]
        assert (mc["quartered"]["k"], mc["unused"]["k"], mc["bad"]["k"]) == (4, 0, 0)
        ctrl = rates["controls_caught"]["ctrl"]
        assert ctrl["per_seed"] == [True, False, True, True] and ctrl["k"] == 3
        assert ctrl["wilson95"] == list(ff.wilson_interval(3, 4))
        assert "mutant quartered: caught 4/4" in ff.format_rates({"fake-seeded": rates})
        with pytest.raises(ValueError, match="start"):
            ff.false_failures(n_seeds=1, start=-1, package="fakechecks_thm61")
    finally:
        for name in [m for m in sys.modules if m.startswith(("fakechecks_thm61", "fakelib_thm61"))]:
            del sys.modules[name]


@pytest.mark.slow
def test_thm_6_1_passes_at_seed_0_and_fails_on_the_spread_exponent_mutant():
    # ~20-30 s: the quick check at seed 0 (one of the measured seeds, see the docstring).
    from proofs_checks import thm_6_1_convergence as m

    with mock.patch.object(m, "_CACHE", {}):
        res = m.check(quick=True, seed=0)
        assert res.status == "pass", res.reason
        assert not res.details["controls"]["RTRL, constant eta"]["ok"]  # the control fails
        runs = m.run(True, 0)
        (mutant,) = [x for x in m.MUTANTS if x.name == "spread-exponent-1"]
        with mutant.patch():
            bad = m.check(quick=True, seed=0)
        # the mutant acts on the prediction only: the same simulated windows were judged
        assert m.run(True, 0) is runs
        assert bad.status == "fail" and "(A)" in bad.reason


def test_windows_are_deterministic_and_do_not_read_the_spread_exponent():
    # Same seeds, same windows (seeded streams); the spread-exponent mutant changes only the
    # prediction, so a cached simulation judged under it equals a fresh run under it (this is
    # what ``false_failures.py --reuse-cache`` relies on for thm-6.1).
    setup = estimators.theorem_6_1_setup(pretrain_steps=0)
    kw = dict(setup=setup, n_train=3000, t_fit=1000, n_window=2, early_spacing=100,
              late_spacing=500, n_particles=3, n_steps=5, burn_in=5)  # fmt: skip
    a = estimators.theorem_6_1_windows([7, 8], **kw)
    with mock.patch.object(estimators._convergence, "SGD_SPREAD_EXPONENT", 1.0):
        b = estimators.theorem_6_1_windows([7, 8], **kw)
        r_mut = b.predicted_ratio()
    np.testing.assert_array_equal(a.q, b.q)
    np.testing.assert_array_equal(a.noise2, b.noise2)
    assert a.q.shape == (2, 4) and a.early_steps.tolist() == [1000, 1100]
    assert a.late_steps.tolist() == [2500, 3000] and np.all(a.noise2 > 0)
    assert r_mut < a.predicted_ratio() < 1
