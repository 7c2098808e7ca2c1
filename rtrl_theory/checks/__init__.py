"""The verification runner behind ``rtrl-theory verify`` (checks themselves live in ``proofs_checks``).

A check module defines ``ID``, ``STATEMENT``, ``check(quick=True, seed=0) ->`` :class:`CheckResult`
and ``MUTANTS`` (a tuple of :class:`Mutant`); :func:`discover` finds them, :func:`run_checks`
runs them and :func:`run_power` measures their power against their mutants.
"""

from rtrl_theory._deprecation import moved_names as _moved_names

from ._power import (
    Mutant,
    MutantOutcome,
    PowerRow,
    format_power_table,
    power_from_json,
    power_summary,
    power_to_json,
    register_cache,
    run_power,
)
from ._runner import (
    STATUSES,
    CheckResult,
    discover,
    format_counts,
    format_markdown,
    format_table,
    results_to_json,
    run_checks,
    select,
)

__all__ = [
    # writing a check
    "STATUSES",
    "CheckResult",
    "Mutant",
    "register_cache",
    # running the checks
    "discover",
    "select",
    "run_checks",
    "format_table",
    "format_markdown",
    "format_counts",
    "results_to_json",
    # their power against the mutants
    "MutantOutcome",
    "PowerRow",
    "run_power",
    "format_power_table",
    "power_summary",
    "power_to_json",
    "power_from_json",
]

# The harness's own plumbing (run_power clears the caches; format_counts counts): deprecated
# here for one release.
__getattr__ = _moved_names(
    __name__,
    {
        "clear_caches": "rtrl_theory.checks._power:clear_caches",
        "status_counts": "rtrl_theory.checks._runner:status_counts",
    },
)
