"""Assumption 2.14 (Robbins-Monro) for learning-rate schedules."""

from __future__ import annotations

import pytest

from rtrl_theory.runners import PowerSchedule, robbins_monro_violations, validate_schedule


def test_power_schedule_values():
    s = PowerSchedule(0.2, t0=10, gamma=1.0)
    assert s(0) == 0.2 and s(10) == pytest.approx(0.1) and s(30) == pytest.approx(0.05)


@pytest.mark.parametrize("gamma", [0.51, 0.75, 1.0])
def test_robbins_monro_gammas_are_accepted(gamma):
    assert robbins_monro_violations(PowerSchedule(0.1, 100, gamma)) == []
    validate_schedule(PowerSchedule(0.1, 100, gamma))


@pytest.mark.parametrize(
    "gamma, match",
    [(0.0, "constant learning rate"), (0.5, "<= 1/2"), (0.3, "<= 1/2"), (1.5, "> 1")],
)
def test_other_gammas_are_refused_unless_allowed(gamma, match):
    s = PowerSchedule(0.1, 100, gamma)
    with pytest.raises(ValueError, match=f"schedule: violates Assumption 2.14.*{match}"):
        validate_schedule(s)
    assert validate_schedule(s, allow_non_robbins_monro=True) is s


def test_arbitrary_callables_cannot_be_verified():
    with pytest.raises(ValueError, match="cannot be verified"):
        validate_schedule(lambda t: 0.1 / (1 + t))
    with pytest.raises(TypeError, match="schedule: expected a PowerSchedule or a callable"):
        validate_schedule(0.1)


def test_parse_and_bad_specs():
    assert PowerSchedule.parse("gamma=0.6, eta0=0.3") == PowerSchedule(0.3, 1000.0, 0.6)
    with pytest.raises(ValueError, match="eta0 is required"):
        PowerSchedule.parse("t0=5")
    with pytest.raises(ValueError, match="cannot read 'lr=1'"):
        PowerSchedule.parse("eta0=1,lr=1")
    with pytest.raises(ValueError, match="gamma must be a number"):
        PowerSchedule.parse("eta0=1,gamma=x")
    with pytest.raises(ValueError, match="eta0: expected a positive number"):
        PowerSchedule(-0.1)
    with pytest.raises(ValueError, match="eta0: expected a positive number"):
        PowerSchedule(0.0)
