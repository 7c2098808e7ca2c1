"""The verify rows of the online estimators: they pass, and each declared mutant is caught."""

import pytest

from rtrl_theory.checks import run_checks, run_power

CHECKS = ["online-unbiased", "snap-n-exact"]


@pytest.mark.parametrize("cid", CHECKS)
def test_online_checks_pass(cid):
    (res,) = run_checks([cid], quick=True)
    assert res.status == "pass", res.reason


@pytest.mark.slow
@pytest.mark.parametrize("cid", CHECKS)
def test_online_checks_catch_their_mutants(cid):
    (row,) = run_power([cid], quick=True)
    assert row.outcomes and all(o.caught for o in row.outcomes), [
        (o.mutant, o.status) for o in row.outcomes if not o.caught
    ]
