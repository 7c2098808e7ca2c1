"""Power of the verification checks: named mutants that make a check's claim false.

A check that cannot fail proves nothing, so every check module of ``proofs_checks`` declares the
ways its claim can be made false on the configuration it uses, as ``MUTANTS``, a tuple of
:class:`Mutant`. A mutant acts **through the library's public objects**: its ``patch`` is a
zero-argument callable returning a context manager that patches the function, constant or method
the check relies on (``unittest.mock.patch.object(rtrl_theory.bounds, "contraction_constants",
shrunk)``, a radius halved, a term dropped, ...). It never flips a flag inside the check.

:func:`run_power` runs each selected check once as it is (the baseline) and once under each of
its mutants, clearing the registered caches before and after every run so that no result
computed under a mutant leaks into another run. A mutant is **caught** when the mutated run's
status differs from the baseline status (a ``pass`` that turns into ``fail``, a ``refuted`` that
is no longer refuted). A mutant that no run of the check could catch is declared with
``catchable=False`` and a ``why_not``; it is listed and counted, never dropped.

Caches shared by several checks (particle runs reused by two checks) must be registered with
:func:`register_cache` so that the harness can clear them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = [
    "Mutant",
    "MutantOutcome",
    "PowerRow",
    "register_cache",
    "clear_caches",
    "run_power",
    "power_summary",
    "format_power_table",
    "power_to_json",
]


@dataclass(frozen=True)
class Mutant:
    """A small, named change that makes a check's claim false on the check's configuration.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"rho-halved"``.
    description : str
        What the mutant changes and why that makes the claim false.
    patch : callable
        ``patch() -> context manager``; entering it applies the change through the library's
        public objects, leaving it undoes it.
    catchable : bool
        False for a mutant that the check cannot detect on its configuration (listed, counted as
        not caught, with ``why_not``).
    why_not : str
        Why an uncatchable mutant is not caught (the bound is too loose, ...).
    """

    name: str
    description: str
    patch: Callable[[], contextlib.AbstractContextManager]
    catchable: bool = True
    why_not: str = ""

    def __post_init__(self) -> None:
        if not self.catchable and not self.why_not:
            raise ValueError(f"mutant {self.name!r}: catchable=False needs a why_not")


_CACHES: list = []


def register_cache(cache):
    """Register a cache (an object with ``clear()`` or ``cache_clear()``); returns it.

    Usable as a decorator on an ``functools.lru_cache`` function.
    """
    if not (hasattr(cache, "clear") or hasattr(cache, "cache_clear")):
        raise TypeError("register_cache: expected an object with clear() or cache_clear()")
    _CACHES.append(cache)
    return cache


def clear_caches() -> None:
    """Clear every registered cache."""
    for c in _CACHES:
        (c.cache_clear if hasattr(c, "cache_clear") else c.clear)()


@dataclass(frozen=True)
class MutantOutcome:
    """One mutant's run: its status and whether it was caught."""

    check_id: str
    mutant: str
    description: str
    baseline_status: str
    status: str
    caught: bool
    catchable: bool
    why_not: str = ""
    reason: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class PowerRow:
    """Per check: the baseline status and the outcome of each mutant."""

    check_id: str
    baseline_status: str
    outcomes: tuple = field(default_factory=tuple)

    @property
    def n_tried(self) -> int:
        return len(self.outcomes)

    @property
    def n_caught(self) -> int:
        return sum(o.caught for o in self.outcomes)

    @property
    def share(self) -> float:
        return self.n_caught / self.n_tried if self.outcomes else float("nan")


def run_power(
    only: Iterable[str] | None = None,
    *,
    quick: bool = True,
    seed: int = 0,
    package: str = "proofs_checks",
    progress=None,
) -> list[PowerRow]:
    """Run each selected check and each of its mutants; return one :class:`PowerRow` per check.

    Checks without ``MUTANTS`` give a row with no outcomes (reported as such: a check with no
    declared mutant has unmeasured power).
    """
    from ._runner import run_checks, select

    rows = []
    for cid, mod in select(only, package=package).items():
        clear_caches()
        (base,) = run_checks([cid], quick=quick, seed=seed, package=package)
        outcomes = []
        for m in getattr(mod, "MUTANTS", ()):
            if progress is not None:
                progress(f"{cid} / {m.name}")
            clear_caches()
            t0 = time.perf_counter()
            try:
                with m.patch():
                    (res,) = run_checks([cid], quick=quick, seed=seed, package=package)
            finally:
                clear_caches()
            outcomes.append(
                MutantOutcome(
                    cid,
                    m.name,
                    m.description,
                    base.status,
                    res.status,
                    caught=res.status != base.status,
                    catchable=m.catchable,
                    why_not=m.why_not,
                    reason=res.reason,
                    seconds=time.perf_counter() - t0,
                )
            )
        rows.append(PowerRow(cid, base.status, tuple(outcomes)))
    return rows


def power_summary(rows: list[PowerRow]) -> dict:
    """Totals: mutants tried, caught, share caught, and the checks without mutants."""
    tried = sum(r.n_tried for r in rows)
    caught = sum(r.n_caught for r in rows)
    return {
        "n_checks": len(rows),
        "n_mutants": tried,
        "n_caught": caught,
        "share_caught": caught / tried if tried else float("nan"),
        "checks_without_mutants": [r.check_id for r in rows if not r.outcomes],
        "uncatchable": [
            f"{o.check_id}/{o.mutant}" for r in rows for o in r.outcomes if not o.catchable
        ],
    }


def format_power_table(rows: list[PowerRow]) -> str:
    """Plain-text power table: per check, the mutants tried and caught, and each mutant's fate."""
    lines = [f"{'id':16s} {'baseline':9s} {'tried':>5s} {'caught':>6s} {'share':>6s}  mutants"]
    lines.append("-" * 100)
    for r in rows:
        marks = ", ".join(
            f"{o.mutant}:{'caught' if o.caught else 'MISSED'}"
            + ("" if o.catchable else " (uncatchable)")
            for o in r.outcomes
        )
        share = f"{r.share:.0%}" if r.outcomes else "-"
        lines.append(
            f"{r.check_id:16s} {r.baseline_status:9s} {r.n_tried:5d} {r.n_caught:6d} "
            f"{share:>6s}  {marks or 'no mutants declared'}"
        )
    s = power_summary(rows)
    lines.append("")
    share = f"{s['share_caught']:.1%}" if s["n_mutants"] else "-"
    lines.append(
        f"{s['n_caught']} of {s['n_mutants']} mutants caught ({share}) over {s['n_checks']} checks"
    )
    for r in rows:
        for o in r.outcomes:
            if not o.catchable:
                lines.append(f"uncatchable {o.check_id}/{o.mutant}: {o.why_not}")
            elif not o.caught:
                lines.append(f"missed {o.check_id}/{o.mutant}: {o.description}")
    return "\n".join(lines)


def power_to_json(rows: list[PowerRow], *, quick: bool, seed: int = 0) -> dict:
    from dataclasses import asdict

    return {
        "mode": "quick" if quick else "full",
        "seed": seed,
        "summary": power_summary(rows),
        "checks": [
            {
                "id": r.check_id,
                "baseline_status": r.baseline_status,
                "n_tried": r.n_tried,
                "n_caught": r.n_caught,
                "mutants": [asdict(o) for o in r.outcomes],
            }
            for r in rows
        ],
    }

