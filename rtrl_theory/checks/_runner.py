"""The verification runner: check results, the registry of ``proofs_checks`` and its reports.

Every module of the top-level package ``proofs_checks`` whose name does not start with ``_``
defines ``ID`` (for example ``"lemma-3.5"``), ``STATEMENT`` (the result in words) and
``check(quick: bool = True, seed: int = 0) -> CheckResult`` (``seed`` shifts every Monte Carlo
seed of the check; a check without randomness may omit it), and ``MUTANTS`` (see
:mod:`rtrl_theory.checks._power`). :func:`discover` finds them; :func:`run_checks` runs a
selection, timing each and turning an unexpected exception into a failed result (a crash is a
failure, never a silent pass).

Statuses: ``pass`` (the statement holds where measured), ``fail`` (it does not, or the check
crashed), ``refuted`` ([P1]'s statement as written is false, and a reproducible counterexample is
shown), ``note`` (a text slip or an ambiguity of [P1], reported, not decided) and ``skip``.
"""

from __future__ import annotations

import importlib
import pkgutil
import textwrap
import time
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

__all__ = [
    "CheckResult",
    "STATUSES",
    "discover",
    "run_checks",
    "select",
    "format_table",
    "format_markdown",
    "results_to_json",
    "status_counts",
    "format_counts",
    "WIDTHS",
]

STATUSES = ("pass", "fail", "refuted", "note", "skip")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of a statement of [P1].

    Attributes
    ----------
    id : str
        Short identifier, e.g. ``"lemma-3.5"``.
    statement : str
        The statement in words.
    claimed : str
        What [P1] claims (or the project's convention derived from it).
    measured : str
        What was measured or derived here.
    method : str
        How (closed form, SymPy, independent implementation, finite differences, Monte Carlo).
    status : {"pass", "fail", "refuted", "note", "skip"}
        ``refuted``: the statement of [P1] as written is false and ``measured`` shows a
        reproducible counterexample; ``note`` marks a text slip or an ambiguity of [P1] that is
        reported, not decided.
    reason : str
        Why it failed or was skipped (empty on pass).
    seconds : float
        Run time.
    details : dict
        Machine-readable numbers behind ``measured``.
    """

    id: str
    statement: str
    claimed: str
    measured: str
    method: str
    status: str
    reason: str = ""
    seconds: float = 0.0
    details: dict | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: expected one of {STATUSES}, got {self.status!r}")

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def discover(package: str = "proofs_checks") -> dict[str, object]:
    """Import every public module of ``package``; return ``{ID: module}`` sorted by ID.

    A check module defines ``ID`` and a callable ``check``; modules whose name starts with an
    underscore, and modules without both, are skipped. IDs sort by their numbers
    (``lemma-3.10`` after ``lemma-3.9``).

    Parameters
    ----------
    package : str, default "proofs_checks"
        Importable package holding the check modules.

    Returns
    -------
    dict of str to module
        ``{ID: module}``, sorted by ID.

    Raises
    ------
    RuntimeError
        If two modules declare the same ID.

    See Also
    --------
    select : the same, restricted to some IDs.
    run_checks : runs them.
    """
    pkg = importlib.import_module(package)
    found = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        cid = getattr(mod, "ID", None)
        if cid is None or not callable(getattr(mod, "check", None)):
            continue
        if cid in found:
            raise RuntimeError(f"duplicate check id {cid!r} in {package}.{info.name}")
        found[cid] = mod
    return dict(sorted(found.items(), key=lambda kv: _sort_key(kv[0])))


def _sort_key(cid: str):
    # "lemma-3.5" -> ("lemma", (3, 5)) so that 3.10 sorts after 3.9.
    head, _, num = cid.partition("-")
    parts = []
    for p in num.replace("-", ".").split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return (tuple(parts), head)


def select(only: Iterable[str] | None = None, *, package: str = "proofs_checks") -> dict:
    """``{ID: module}`` of the registered checks, or of those in ``only``, in order.

    Parameters
    ----------
    only : iterable of str, optional
        Check IDs to keep (default: every registered check). The order is the registry's.
    package : str, default "proofs_checks"
        Package of the check modules (:func:`discover`).

    Returns
    -------
    dict of str to module
        ``{ID: module}`` in the registry's order.

    Raises
    ------
    ValueError
        If ``only`` names an unknown check id (the message lists the known ones).
    """
    registry = discover(package)
    if not only:
        return registry
    only = list(only)
    unknown = [c for c in only if c not in registry]
    if unknown:
        raise ValueError(
            f"only: unknown check id(s) {', '.join(unknown)}; known: {', '.join(registry)}"
        )
    return {c: m for c, m in registry.items() if c in only}


def _accepts_seed(fn) -> bool:
    import inspect

    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def run_checks(
    only: Iterable[str] | None = None,
    *,
    quick: bool = True,
    seed: int = 0,
    package: str = "proofs_checks",
    progress=None,
    on_result=None,
) -> list[CheckResult]:
    """Run the registered checks (or those in ``only``) and return their results in order.

    ``seed`` shifts every Monte Carlo seed of the checks that take one (``check(quick, seed)``);
    for a true statement a check then fails at about its stated false-failure rate.
    ``progress(cid)`` is called before each check, ``on_result(result)`` after it (with its
    run time in ``result.seconds``). A check that raises gives a ``fail`` whose ``details`` are
    ``{"crashed": True, "exception": <type name>}``.

    Parameters
    ----------
    only : iterable of str, optional
        Check IDs to run (default: every registered check).
    quick : bool, default True
        Quick sizes (seconds per check) or the full sizes.
    seed : int, default 0
        Non-negative shift of every Monte Carlo seed.
    package : str, default "proofs_checks"
        Package of the check modules (:func:`discover`).
    progress : callable, optional
        ``progress(cid)`` before each check.
    on_result : callable, optional
        ``on_result(result)`` after each check.

    Returns
    -------
    list of CheckResult
        One per selected check, in the registry's order, with ``seconds`` set.

    Raises
    ------
    ValueError
        If ``only`` names an unknown check id (the message lists the known ones), or ``seed``
        is not a non-negative integer.

    See Also
    --------
    run_power : runs each check under its mutants too.
    format_table, format_markdown, results_to_json : present the results.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    selected = list(select(only, package=package).items())
    results = []
    for cid, mod in selected:
        if progress is not None:
            progress(cid)
        t0 = time.perf_counter()
        try:
            if _accepts_seed(mod.check):
                res = mod.check(quick=quick, seed=seed)
            else:
                res = mod.check(quick=quick)
        except Exception as exc:  # a crashing check is a failing check
            res = CheckResult(
                cid,
                getattr(mod, "STATEMENT", ""),
                "",
                "",
                "",
                "fail",
                f"check raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}",
                details={"crashed": True, "exception": type(exc).__name__},
            )
        res = replace(res, seconds=time.perf_counter() - t0)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


#: Column widths of the plain-text table (statement, claimed, measured); long cells wrap.
WIDTHS = {"statement": 34, "claimed": 36, "measured": 52}


def status_counts(results: list[CheckResult]) -> dict:
    """``{status: number of results}`` for every status of :data:`STATUSES` (zeros included).

    Parameters
    ----------
    results : list of CheckResult

    Returns
    -------
    dict of str to int
    """
    return {s: sum(r.status == s for r in results) for s in STATUSES}


def format_counts(results: list[CheckResult]) -> str:
    """Return the summary line: pass, fail, refuted and note counted separately (skip when any).

    Parameters
    ----------
    results : list of CheckResult
        As :func:`run_checks` returns them.

    Returns
    -------
    str
        For example ``"26 pass, 0 fail, 4 refuted, 2 note"``; ``"no checks"`` for an empty list.
    """
    if not results:
        return "no checks"
    counts = status_counts(results)
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n or s != "skip")


def _fit_widths(results, width: int) -> dict:
    """Widths of the wrapped columns so that a table row fits in ``width`` characters.

    The fixed columns (id, status, seconds, separators) are taken off and the rest is shared
    between statement, claimed and measured in the proportions of :data:`WIDTHS` (at least 12
    characters each, so a very narrow terminal gives a wider table rather than an unreadable one).
    """
    idw = max([2] + [len(r.id) for r in results])
    fixed = idw + len("refuted") + len("seconds") + 2 * 5
    room = max(int(width) - fixed, 36)
    total = sum(WIDTHS.values())
    out = {k: max(12, room * v // total) for k, v in WIDTHS.items()}
    return out


def format_table(
    results: list[CheckResult], *, widths: dict | None = None, width: int | None = None
) -> str:
    """Plain-text table (id, statement, claimed, measured, status, seconds); long cells wrap.

    ``width`` (characters, e.g. ``shutil.get_terminal_size().columns``) fits the table to it by
    narrowing or widening the three text columns; without it the widths of :data:`WIDTHS` (or
    ``widths``) are used. The summary line counts pass, fail, refuted and note separately.

    Parameters
    ----------
    results : list of CheckResult
        As :func:`run_checks` returns them.
    widths : dict of str to int, optional
        Widths of the wrapped columns ``statement``, ``claimed``, ``measured`` (overrides).
    width : int, optional
        Total width in characters to fit the table to.

    Returns
    -------
    str
        The table and the summary line (:func:`format_counts`).

    See Also
    --------
    format_markdown : the same columns as Markdown.
    """
    if width is not None:
        widths = {**_fit_widths(results, width), **(widths or {})}
    widths = {**WIDTHS, **(widths or {})}
    cols = ("id", "statement", "claimed", "measured", "status", "seconds")
    rows = []
    for r in results:
        cells = {
            "id": [r.id],
            "statement": textwrap.wrap(" ".join(r.statement.split()), widths["statement"]) or [""],
            "claimed": textwrap.wrap(" ".join(r.claimed.split()), widths["claimed"]) or [""],
            "measured": textwrap.wrap(" ".join(r.measured.split()), widths["measured"]) or [""],
            "status": [r.status.upper()],
            "seconds": [f"{r.seconds:.2f}"],
        }
        rows.append(cells)
    w = {c: max([len(c)] + [len(line) for row in rows for line in row[c]]) for c in cols}
    out = ["  ".join(c.ljust(w[c]) for c in cols), "  ".join("-" * w[c] for c in cols)]
    for row in rows:
        height = max(len(v) for v in row.values())
        for i in range(height):
            out.append(
                "  ".join((row[c][i] if i < len(row[c]) else "").ljust(w[c]) for c in cols).rstrip()
            )
    out.append("")
    out.append(format_counts(results))
    for r in results:
        if r.status in ("fail", "skip") and r.reason:
            out.append(f"{r.id} [{r.status}]: {_clip(r.reason, 600)}")
    return "\n".join(out)


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def format_markdown(results: list[CheckResult]) -> str:
    """Markdown table of the same columns, plus the method and reasons.

    Parameters
    ----------
    results : list of CheckResult
        As :func:`run_checks` returns them.

    Returns
    -------
    str
        The table, the summary line and one bullet per result with a reason.

    See Also
    --------
    format_table : the plain-text table.
    """
    lines = [
        "| id | statement | claimed | measured | method | status | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.id} | {_md(r.statement)} | {_md(r.claimed)} | {_md(r.measured)} | "
            f"{_md(r.method)} | {r.status} | {r.seconds:.2f} |"
        )
    lines += ["", f"{format_counts(results)}."]
    reasons = [f"- **{r.id}** ({r.status}): {_md(r.reason)}" for r in results if r.reason]
    if reasons:
        lines += ["", *reasons]
    return "\n".join(lines) + "\n"


def results_to_json(results: list[CheckResult], *, quick: bool, seed: int | None = None) -> dict:
    """Return the check results as a JSON-ready dict.

    Parameters
    ----------
    results : list of CheckResult
        As :func:`run_checks` returns them.
    quick : bool
        Whether they ran at quick sizes (``mode``: ``"quick"`` or ``"full"``).
    seed : int, optional
        The seed shift they ran with (recorded when given).

    Returns
    -------
    dict
        The keys ``mode``, ``n_failed``, ``counts`` (per status), ``results`` (each
        :class:`CheckResult` as a dict) and, when given, ``seed``.
    """
    out = {
        "mode": "quick" if quick else "full",
        "n_failed": sum(r.failed for r in results),
        "counts": status_counts(results),
        "results": [asdict(r) for r in results],
    }
    if seed is not None:
        out["seed"] = seed
    return out
