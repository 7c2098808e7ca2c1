"""What ``rtrl-theory verify`` does once its outputs are checked: run, tabulate, summarise.

:func:`run_verify` runs the selected checks of ``proofs_checks`` (or, with ``power=True``, each
check against each of its mutants: :func:`~rtrl_theory.checks.run_power`) with a progress display
on standard error (:class:`VerifyProgress`) and returns the table, the JSON document, the
Markdown table and whether the run failed, as :class:`VerifyRun`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ._power import format_power_table, power_summary, power_to_json, run_power
from ._runner import format_markdown, format_table, results_to_json, run_checks, select

__all__ = ["VerifyProgress", "VerifyRun", "run_verify"]


class VerifyProgress:
    """Progress over the checks on standard error.

    A tqdm bar on a terminal (the current id as its description, each finished check's status and
    time printed above it), plain ``running <id> ...`` / ``<id>: <status> in <t> s`` lines
    otherwise.

    Parameters
    ----------
    total : int
        Number of runs the bar counts.
    unit : str
        The bar's unit ("check", or "run" for the power table).
    """

    def __init__(self, total: int, unit: str = "check"):
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def start(self, label: str) -> None:
        """Announce that the run ``label`` starts."""
        if self.bar is not None:
            self.bar.set_description_str(label)
        else:
            print(f"running {label} ...", file=sys.stderr, flush=True)

    def done(self, label: str, status: str, seconds: float) -> None:
        """Report that the run ``label`` ended with ``status`` after ``seconds``."""
        line = f"{label}: {status} in {seconds:.1f} s"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        """Close the bar (a no-op without one)."""
        if self.bar is not None:
            self.bar.close()


@dataclass(frozen=True)
class VerifyRun:
    """What :func:`run_verify` produced.

    Attributes
    ----------
    table : str
        The table printed by ``rtrl-theory verify`` (the power table with ``power=True``).
    record : dict
        The JSON document of ``--json`` (:func:`~rtrl_theory.checks.results_to_json` or
        :func:`~rtrl_theory.checks.power_to_json`).
    markdown : str or None
        The Markdown table of ``--markdown``; None for the power table.
    failed : bool
        A check failed, or (power) a baseline failed, a mutant crashed or a catchable mutant was
        missed: the command exits 1.
    """

    table: str
    record: dict
    markdown: str | None
    failed: bool


def run_verify(only=None, *, quick=True, seed=0, power=False, width=None) -> VerifyRun:
    """Run the checks ``only`` (all when None), or their power table, and tabulate the results.

    Parameters
    ----------
    only : list of str, optional
        Check ids (:func:`~rtrl_theory.checks.select`).
    quick : bool
        Quick mode (small sizes) or full mode.
    seed : int
        Shift of every Monte Carlo seed of the checks.
    power : bool
        Run each check against its declared mutants (:func:`~rtrl_theory.checks.run_power`).
    width : int, optional
        Terminal width for the table (None: fixed default widths).

    Returns
    -------
    VerifyRun
        The table, JSON document, Markdown table and verdict.
    """
    if power:
        n_runs = sum(1 + len(getattr(m, "MUTANTS", ())) for m in select(only).values())
        bar = VerifyProgress(n_runs, unit="run")
        try:
            rows = run_power(only, quick=quick, seed=seed, progress=bar.start, on_run=bar.done)
        finally:
            bar.close()
        s = power_summary(rows)
        return VerifyRun(
            format_power_table(rows, width=width),
            power_to_json(rows, quick=quick, seed=seed),
            None,
            bool(s["missed"] or s["crashed"] or s["baseline_failed"]),
        )
    bar = VerifyProgress(len(select(only)))
    try:
        results = run_checks(
            only,
            quick=quick,
            seed=seed,
            progress=bar.start,
            on_result=lambda r: bar.done(r.id, r.status, r.seconds),
        )
    finally:
        bar.close()
    return VerifyRun(
        format_table(results, width=width),
        results_to_json(results, quick=quick, seed=seed),
        format_markdown(results),
        any(r.failed for r in results),
    )
