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
    "power_from_json",
    "JUDGEABLE",
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

    Usable as a decorator on an ``functools.lru_cache`` function. :func:`run_power` clears every
    registered cache before the baseline run and before each mutated run, so that no result
    computed under one mutant is reused under another (keys should include ``(quick, seed)``).

    Parameters
    ----------
    cache : object
        A dict, an ``lru_cache``-wrapped function, or any object with ``clear()`` or
        ``cache_clear()``. Registering the same object twice registers it once.

    Returns
    -------
    object
        ``cache`` itself (so that ``CACHE = register_cache({})`` and ``@register_cache`` work).

    Raises
    ------
    TypeError
        If ``cache`` has neither ``clear()`` nor ``cache_clear()``.
    """
    if not (hasattr(cache, "clear") or hasattr(cache, "cache_clear")):
        raise TypeError("register_cache: expected an object with clear() or cache_clear()")
    if not any(c is cache for c in _CACHES):  # a module imported twice registers once
        _CACHES.append(cache)
    return cache


def clear_caches() -> None:
    """Clear every registered cache."""
    for c in _CACHES:
        (c.cache_clear if hasattr(c, "cache_clear") else c.clear)()


@dataclass(frozen=True)
class MutantOutcome:
    """One mutant's run: its status and whether it was caught.

    ``caught`` is True when the mutated run's status differs from the baseline status and the
    mutated run did not crash; ``crashed`` marks a mutated run in which the check raised.

    Attributes
    ----------
    check_id : str
        The check's ``ID``.
    mutant : str
        The mutant's name (:attr:`Mutant.name`).
    description : str
        What the mutant changes (:attr:`Mutant.description`).
    baseline_status : str
        The check's status without the mutant (one of :data:`STATUSES`).
    status : str
        The check's status under the mutant.
    caught : bool
        Whether the status changed and the mutated run did not crash.
    catchable : bool
        Whether the check declares it can catch this mutant.
    why_not : str, default ""
        For an uncatchable mutant, why the check cannot catch it.
    reason : str, default ""
        The mutated run's reason (or the exception, when it crashed).
    seconds : float, default 0.0
        Wall time of the mutated run.
    crashed : bool, default False
        Whether the check raised under the mutant.
    """

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
    crashed: bool = False


@dataclass(frozen=True)
class PowerRow:
    """Per check: the baseline status and the outcome of each mutant.

    Attributes
    ----------
    check_id : str
        The check's ``ID``.
    baseline_status : str
        Its status without mutants (one of :data:`STATUSES`).
    outcomes : tuple of MutantOutcome
        One per declared mutant, in the order of ``MUTANTS``; empty for a check without mutants.
    baseline_seconds : float, default 0.0
        Wall time of the baseline run.
    baseline_reason : str, default ""
        The baseline run's reason.

    See Also
    --------
    run_power : computes the rows.
    format_power_table, power_summary, power_to_json : read them.
    """

    check_id: str
    baseline_status: str
    outcomes: tuple = field(default_factory=tuple)
    baseline_seconds: float = 0.0
    baseline_reason: str = ""

    @property
    def n_tried(self) -> int:
        return len(self.outcomes)

    @property
    def n_caught(self) -> int:
        return sum(o.caught for o in self.outcomes)

    @property
    def n_catchable(self) -> int:
        return sum(o.catchable for o in self.outcomes)

    @property
    def share(self) -> float:
        return self.n_caught / self.n_tried if self.outcomes else float("nan")

    @property
    def seconds(self) -> float:
        """Baseline plus mutated runs."""
        return self.baseline_seconds + sum(o.seconds for o in self.outcomes)


#: Baseline statuses on which a mutant can be judged (a change of status is a catch).
JUDGEABLE = ("pass", "refuted", "note")


def _crashed(res) -> bool:
    return bool((res.details or {}).get("crashed"))


def run_power(
    only: Iterable[str] | None = None,
    *,
    quick: bool = True,
    seed: int = 0,
    package: str = "proofs_checks",
    progress=None,
    on_run=None,
) -> list[PowerRow]:
    """Run each selected check and each of its mutants; return one :class:`PowerRow` per check.

    Parameters
    ----------
    only : iterable of str, optional
        Check ids (default: every registered check).
    quick : bool
        Quick or full sizes, as for :func:`run_checks`.
    seed : int
        Shift of every Monte Carlo seed (the same for the baseline and the mutated runs).
    package : str
        Package of the check modules.
    progress : callable, optional
        ``progress(label)`` before each run; ``label`` is ``"<id>"`` for the baseline and
        ``"<id> / <mutant>"`` for a mutated run.
    on_run : callable, optional
        ``on_run(label, status, seconds)`` after each run.

    Checks without ``MUTANTS`` give a row with no outcomes (reported as such: a check with no
    declared mutant has unmeasured power).

    Returns
    -------
    list of PowerRow
        One per selected check, in the order of :func:`select`.

    Raises
    ------
    ValueError
        If ``only`` names an unknown check id, or ``seed`` is not a non-negative integer.
    """
    from ._runner import run_checks, select

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    selected = select(only, package=package)
    for cid, mod in selected.items():  # bad declarations are found before any long run
        for m in getattr(mod, "MUTANTS", ()):
            if not isinstance(m, Mutant):
                raise TypeError(f"{cid}: MUTANTS must hold Mutant objects, got {type(m).__name__}")

    def _run(cid, label):
        if progress is not None:
            progress(label)
        clear_caches()
        try:
            (res,) = run_checks([cid], quick=quick, seed=seed, package=package)
        finally:
            clear_caches()
        if on_run is not None:
            on_run(label, res.status, res.seconds)
        return res

    rows = []
    for cid, mod in selected.items():
        base = _run(cid, cid)
        judgeable = base.status in JUDGEABLE and not _crashed(base)
        outcomes = []
        for m in getattr(mod, "MUTANTS", ()):
            if not judgeable:
                outcomes.append(
                    MutantOutcome(
                        cid,
                        m.name,
                        m.description,
                        base.status,
                        "not run",
                        False,
                        m.catchable,
                        m.why_not,
                        reason=f"baseline {base.status}: power not measurable",
                    )
                )
                if on_run is not None:
                    on_run(f"{cid} / {m.name}", "not run", 0.0)
                continue
            label = f"{cid} / {m.name}"
            if progress is not None:
                progress(label)
            t0 = time.perf_counter()
            clear_caches()
            try:
                with m.patch():
                    (res,) = run_checks([cid], quick=quick, seed=seed, package=package)
            except Exception as exc:  # the patch itself failed (a missing attribute, ...)
                from ._runner import CheckResult

                res = CheckResult(
                    cid,
                    base.statement,
                    "",
                    "",
                    "",
                    "fail",
                    f"mutant patch raised {type(exc).__name__}: {exc}",
                    details={"crashed": True, "exception": type(exc).__name__},
                )
            finally:
                clear_caches()
            seconds = time.perf_counter() - t0
            if on_run is not None:
                on_run(label, res.status, seconds)
            crashed = _crashed(res)
            outcomes.append(
                MutantOutcome(
                    cid,
                    m.name,
                    m.description,
                    base.status,
                    res.status,
                    caught=res.status != base.status and not crashed,
                    catchable=m.catchable,
                    why_not=m.why_not,
                    reason=res.reason,
                    seconds=seconds,
                    crashed=crashed,
                )
            )
        rows.append(PowerRow(cid, base.status, tuple(outcomes), base.seconds, base.reason))
    return rows


def power_summary(rows: list[PowerRow]) -> dict:
    """Totals: mutants tried, caught, share caught, and the lists behind the misses.

    ``share_caught`` is over every declared mutant (an uncatchable one counts as not caught);
    ``share_caught_catchable`` over the catchable ones only. Shares are None without mutants.

    Parameters
    ----------
    rows : list of PowerRow
        As :func:`run_power` returns them.

    Returns
    -------
    dict
        ``n_checks``, ``n_mutants``, ``n_caught``, ``share_caught``, ``n_catchable``,
        ``share_caught_catchable``, and the lists ``checks_without_mutants``, ``uncatchable``,
        ``missed``, ``crashed`` (``"<id>/<mutant>"``) and ``baseline_failed`` (check ids).
    """
    tried = sum(r.n_tried for r in rows)
    caught = sum(r.n_caught for r in rows)
    catchable = sum(r.n_catchable for r in rows)
    caught_catchable = sum(o.caught for r in rows for o in r.outcomes if o.catchable)
    return {
        "n_checks": len(rows),
        "n_mutants": tried,
        "n_caught": caught,
        "share_caught": caught / tried if tried else None,
        "n_catchable": catchable,
        "share_caught_catchable": caught_catchable / catchable if catchable else None,
        "checks_without_mutants": [r.check_id for r in rows if not r.outcomes],
        "uncatchable": [
            f"{o.check_id}/{o.mutant}" for r in rows for o in r.outcomes if not o.catchable
        ],
        "missed": [
            f"{o.check_id}/{o.mutant}"
            for r in rows
            for o in r.outcomes
            if o.catchable and not o.caught
        ],
        "crashed": [f"{o.check_id}/{o.mutant}" for r in rows for o in r.outcomes if o.crashed],
        "baseline_failed": [r.check_id for r in rows if r.baseline_status not in JUDGEABLE],
    }


def _fate(o: MutantOutcome) -> str:
    if o.caught:
        fate = f"caught ({o.status})"
    elif o.crashed:
        fate = "CRASHED"
    elif o.status == "not run":
        fate = "not run"
    elif not o.catchable:
        return f"{o.mutant}: not caught [uncatchable]"
    else:
        fate = "MISSED"
    return f"{o.mutant}: {fate}" + ("" if o.catchable else " [uncatchable]")


def format_power_table(rows: list[PowerRow], *, width: int | None = None) -> str:
    """Format the power rows as a plain-text table.

    Plain-text power table: per check, the mutants tried and caught, the share, and each
    mutant's fate; then the total line and every missed, crashed or uncatchable mutant with why.

    Parameters
    ----------
    rows : list of PowerRow
        As :func:`run_power` returns them.
    width : int, optional
        Characters per line (e.g. the terminal's); the mutants column wraps to fit. Default 100.

    Returns
    -------
    str
        The table, the total line and the lines on missed, crashed and uncatchable mutants.
    """
    import textwrap

    width = 100 if width is None else max(int(width), 60)
    idw = max([len("id")] + [len(r.check_id) for r in rows])
    head = f"{'id':{idw}s}  {'baseline':8s}  {'tried':>5s}  {'caught':>6s}  {'share':>5s}  "
    mw = max(width - len(head), 20)
    lines = [head + "mutants", "-" * min(width, len(head) + mw)]
    for r in rows:
        if r.outcomes:
            share = f"{r.share:.0%}"
            marks = "; ".join(_fate(o) for o in r.outcomes)
        else:
            share = "-"
            marks = (
                "none declared (a note row: nothing to make false)"
                if r.baseline_status == "note"
                else "NONE DECLARED: power not measured"
            )
        wrapped = textwrap.wrap(marks, mw) or [""]
        lines.append(
            f"{r.check_id:{idw}s}  {r.baseline_status:8s}  {r.n_tried:5d}  {r.n_caught:6d}  "
            f"{share:>5s}  {wrapped[0]}"
        )
        lines += [" " * len(head) + w for w in wrapped[1:]]
    s = power_summary(rows)
    lines.append("")
    if s["n_mutants"]:
        lines.append(
            f"total: {s['n_caught']} of {s['n_mutants']} mutants caught "
            f"({s['share_caught']:.1%}) over {s['n_checks']} checks; "
            f"{s['n_caught']} of {s['n_catchable']} catchable"
            + (f" ({s['share_caught_catchable']:.1%})" if s["n_catchable"] else "")
        )
    else:
        lines.append(f"total: no mutants declared over {s['n_checks']} checks")

    def _why(prefix, o, text):
        return textwrap.fill(
            " ".join(f"{prefix} {o.check_id}/{o.mutant}: {text}".split()),
            width,
            subsequent_indent="    ",
        )

    for r in rows:
        if r.baseline_status not in JUDGEABLE:
            lines.append(
                textwrap.fill(
                    f"baseline {r.baseline_status} {r.check_id}: its mutants were not run "
                    f"({' '.join(r.baseline_reason.split())[:300]})",
                    width,
                    subsequent_indent="    ",
                )
            )
        for o in r.outcomes:
            if not o.catchable:
                lines.append(_why("uncatchable", o, o.why_not))
            elif o.crashed:
                lines.append(_why("crashed", o, f"{o.description} -- {o.reason[:300]}"))
            elif not o.caught and o.status != "not run":
                lines.append(_why("missed", o, f"{o.description} -- status stayed {o.status}"))
    return "\n".join(lines)


def power_to_json(rows: list[PowerRow], *, quick: bool, seed: int = 0) -> dict:
    """Return a JSON-ready dict: mode, seed, the summary and per check every mutant's outcome.

    Parameters
    ----------
    rows : list of PowerRow
        As :func:`run_power` returns them.
    quick : bool
        Whether the runs used quick sizes (written as ``mode``: ``"quick"`` or ``"full"``).
    seed : int, default 0
        The seed shift of the runs.

    Returns
    -------
    dict
        ``{"mode", "seed", "summary": power_summary(rows), "checks": [...]}``; each check has
        ``id``, ``baseline_status``, ``baseline_seconds``, ``n_tried``, ``n_caught``, ``share``
        and ``mutants`` (each :class:`MutantOutcome` as a dict).

    See Also
    --------
    power_from_json : the inverse.
    """
    from dataclasses import asdict

    return {
        "mode": "quick" if quick else "full",
        "seed": seed,
        "summary": power_summary(rows),
        "checks": [
            {
                "id": r.check_id,
                "baseline_status": r.baseline_status,
                "baseline_seconds": r.baseline_seconds,
                "n_tried": r.n_tried,
                "n_caught": r.n_caught,
                "share": r.share if r.outcomes else None,
                "mutants": [asdict(o) for o in r.outcomes],
            }
            for r in rows
        ],
    }


def power_from_json(data: dict) -> list[PowerRow]:
    """Rebuild the rows of :func:`power_to_json` (for ``rtrl-theory report --power-json``).

    Parameters
    ----------
    data : dict
        A document written by :func:`power_to_json` (read back from JSON).

    Returns
    -------
    list of PowerRow
        The rows, equal to those that were written.

    Raises
    ------
    ValueError
        If ``data`` is not such a document.
    """
    try:
        rows = []
        for c in data["checks"]:
            outcomes = tuple(MutantOutcome(**o) for o in c["mutants"])
            rows.append(
                PowerRow(
                    c["id"], c["baseline_status"], outcomes, float(c.get("baseline_seconds", 0.0))
                )
            )
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"not a power table of `rtrl-theory verify --power --json` ({exc})"
        ) from exc
    return rows
