"""The verification runner behind ``rtrl-theory verify`` (checks themselves live in ``proofs_checks``)."""

from ._power import (
    Mutant,
    MutantOutcome,
    PowerRow,
    clear_caches,
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
    status_counts,
)

__all__ = [
    "Mutant",
    "MutantOutcome",
    "PowerRow",
    "clear_caches",
    "format_power_table",
    "power_from_json",
    "power_summary",
    "power_to_json",
    "register_cache",
    "run_power",
    "select",
    "status_counts",
    "STATUSES",
    "CheckResult",
    "discover",
    "format_counts",
    "format_markdown",
    "format_table",
    "results_to_json",
    "run_checks",
]
