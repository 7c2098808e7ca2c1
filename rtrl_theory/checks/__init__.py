"""The verification runner behind ``rtrl-theory verify`` (checks themselves live in ``proofs_checks``)."""

from ._runner import (
    STATUSES,
    CheckResult,
    discover,
    format_markdown,
    format_table,
    results_to_json,
    run_checks,
)

__all__ = [
    "STATUSES",
    "CheckResult",
    "discover",
    "format_markdown",
    "format_table",
    "results_to_json",
    "run_checks",
]
