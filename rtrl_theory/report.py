r"""``rtrl-theory report``: one Markdown and one HTML page with the verify table and the figures.

The page has two parts:

1. **The verify table**: for each check of ``proofs_checks`` (one statement of [P1]) its id, the
   statement, what [P1] claims, what was measured, the method, the status and the run time, as
   ``rtrl-theory verify`` prints it (:func:`rtrl_theory.checks.run_checks`). The checks are run
   (``--quick`` by default, ``--full`` for the large sizes) or read from a JSON file written by
   ``rtrl-theory verify --json PATH`` (``--verify-json PATH``); the results used are saved beside
   the report as ``verify.json``.
2. **The power table** (optional): for each check the mutants tried and caught and the share
   caught, as ``rtrl-theory verify --power`` prints it, read from its ``--json`` file
   (``--power-json PATH``) or computed (``--power``, which runs every check once per mutant);
   saved beside the report as ``power.json``.
3. **The figures**: every PNG of the figures folder (``--figures DIR``, default ``./figures``,
   where ``rtrl-theory figures`` writes), in the order and with the titles, seeds, run times and
   summaries of its ``manifest.json`` when there is one (otherwise from the scripts' docstrings,
   or the file name). When a figure exists in both modes the full-size one is shown. A figure
   whose last run failed is marked FAILED with the reason; the image an earlier run left is
   shown dimmed and labelled "last successful image from <date>, stale", never as current. An
   unreadable manifest is reported on the page and on stderr (statuses then unknown).

``report.md`` links the images (relative paths, so the page renders on GitHub or in an editor
next to the figures); ``report.html`` is self-contained: the images are embedded as base64 data
(``--link-images`` links them instead, for a smaller file). Both are written atomically.

:func:`build_report` is what ``rtrl-theory report`` does (:mod:`rtrl_theory.commands.report`):
gather the tables (run, or read from files) and call :func:`write_report`. The command's parser
and ``main`` left this module (``rtrl_theory.report.add_parser`` and ``main`` still work, with a
DeprecationWarning, for one release).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rtrl_theory._deprecation import moved_names

__all__ = [
    "FigureItem",
    "build_report",
    "collect_figures",
    "load_power_json",
    "load_verify_json",
    "read_manifest",
    "render_html",
    "render_markdown",
    "report_messages",
    "write_report",
]

__getattr__ = moved_names(
    "rtrl_theory.report",  # not __name__: "__main__" under python -m
    {
        "add_parser": "rtrl_theory.commands.report:add_parser",
        "main": "rtrl_theory.commands.report:main",
        "_cmd_report": "rtrl_theory.commands.report:_cmd_report",
    },
    why="the command's parser moved to rtrl_theory.commands.report",
)

STATUS_COLORS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "skip": "#9a6700",
    "note": "#0969da",
    "refuted": "#8250df",
}


@dataclass(frozen=True)
class FigureItem:
    """One figure of the report.

    Attributes
    ----------
    name : str
        Script name (``fig01_linear_rnn``), or the file stem without a manifest.
    png : Path or None
        The image; None for a failed figure without any earlier image.
    pdf : Path or None
    mode : {"full", "quick"}
    title : str
        Caption: the script's docstring summary (or the name).
    details : str
        Seed, run time, whether the data was cached (from the manifest), else empty.
    summary : str
        The script's printed summary (from the manifest), else empty.
    status : {"ok", "failed", "unknown"}
        The figure's last run in the manifest; ``"unknown"`` when the manifest is unreadable.
    error : str
        Why the last run failed (from the manifest).
    stale_since : str or None
        For a failed figure whose earlier image is still on disk, the date of the last
        successful run that made it; ``png`` is then that stale image (None if there is none).
    """

    name: str
    png: Path | None
    pdf: Path | None
    mode: str
    title: str
    details: str = ""
    summary: str = ""
    status: str = "ok"
    error: str = ""
    stale_since: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the figure's last run failed (its image, if any, is stale)."""
        return self.status == "failed"


# ------------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------------
def load_verify_json(path):
    """Read the verify table from a JSON file of ``rtrl-theory verify --json`` (or this report).

    Parameters
    ----------
    path : path
        The JSON file.

    Returns
    -------
    results : list of CheckResult
        The table's rows.
    mode : str
        The mode the checks ran in (``"unknown"`` when the file does not say).

    Raises
    ------
    ValueError
        If the file is not such a JSON document (the message names ``verify_json``).
    """
    from rtrl_theory.checks import CheckResult

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        results = [CheckResult(**r) for r in data["results"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"verify_json: {path} is not a results file of `rtrl-theory verify --json` ({exc})"
        ) from exc
    return results, data.get("mode", "unknown")


def load_power_json(path):
    """Read the power table from a JSON file of ``rtrl-theory verify --power --json``.

    Parameters
    ----------
    path : path
        The JSON file.

    Returns
    -------
    rows : list of PowerRow
        The table's rows (:func:`rtrl_theory.checks.power_from_json`).
    mode : str
        The mode the table ran in (``"unknown"`` when the file does not say).

    Raises
    ------
    ValueError
        If the file is not such a JSON document (the message names ``power_json``).
    """
    from rtrl_theory.checks import power_from_json

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = power_from_json(data)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"power_json: {path} is not a power table of `rtrl-theory verify --power --json` "
            f"({exc})"
        ) from exc
    return rows, data.get("mode", "unknown")


def _power_markdown(rows) -> list[str]:
    """Return the power section of the Markdown page (empty list without rows)."""
    from rtrl_theory.checks import power_summary

    if rows is None:
        return []
    s = power_summary(rows)
    lines = ["## Power of the checks", ""]
    if s["n_mutants"]:
        lines.append(
            f"{s['n_caught']} of {s['n_mutants']} mutants caught ({s['share_caught']:.1%}) over "
            f"{s['n_checks']} checks. A mutant is a named change of the library that makes the "
            "check's claim false; it is caught when the check's status changes."
        )
    else:
        lines.append("No mutants declared.")
    lines += [
        "",
        "| id | baseline | tried | caught | share | mutants |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        marks = "; ".join(
            f"{o.mutant}: "
            + ("caught" if o.caught else "crashed" if o.crashed else "MISSED")
            + ("" if o.catchable else " (uncatchable)")
            for o in r.outcomes
        )
        share = f"{r.share:.0%}" if r.outcomes else "-"
        lines.append(
            f"| {r.check_id} | {r.baseline_status} | {r.n_tried} | {r.n_caught} | {share} | "
            f"{_md(marks) or 'none declared'} |"
        )
    why = [
        f"- **{o.check_id}/{o.mutant}**: "
        + _md(o.why_not if not o.catchable else f"missed -- {o.description}")
        for r in rows
        for o in r.outcomes
        if not o.caught
    ]
    if why:
        lines += ["", *why]
    return [*lines, ""]


def _power_html(rows) -> list[str]:
    from rtrl_theory.checks import power_summary

    if rows is None:
        return []
    e = html.escape
    s = power_summary(rows)
    out = ['<h2 id="power">Power of the checks</h2>']
    if s["n_mutants"]:
        out.append(
            f"<p>{s['n_caught']} of {s['n_mutants']} mutants caught ({s['share_caught']:.1%}) "
            f"over {s['n_checks']} checks.</p>"
        )
    out.append(
        "<table><thead><tr><th>id</th><th>baseline</th><th>tried</th><th>caught</th>"
        "<th>share</th><th>mutants</th></tr></thead><tbody>"
    )
    for r in rows:
        marks = "<br>".join(
            f"{e(o.mutant)}: "
            + ("caught" if o.caught else "crashed" if o.crashed else "<b>missed</b>")
            + ("" if o.catchable else f" (uncatchable: {e(o.why_not)})")
            for o in r.outcomes
        )
        share = f"{r.share:.0%}" if r.outcomes else "-"
        out.append(
            f"<tr><td><code>{e(r.check_id)}</code></td><td>{e(r.baseline_status)}</td>"
            f'<td class="num">{r.n_tried}</td><td class="num">{r.n_caught}</td>'
            f'<td class="num">{share}</td><td>{marks or "none declared"}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _script_title(name: str) -> str:
    """First docstring line of ``paper_figures.<name>`` (empty if it cannot be imported)."""
    try:
        from rtrl_theory.figures import locate_figures_package

        locate_figures_package("paper_figures")
        module = importlib.import_module(f"paper_figures.{name}")
    except Exception:
        return ""
    doc = (module.__doc__ or "").strip().splitlines()
    return doc[0].strip() if doc else ""


def _details(entry: dict) -> str:
    parts = []
    if entry.get("seed") is not None:
        parts.append(f"seed {entry['seed']}")
    if entry.get("compute_seconds") is not None:
        parts.append(f"compute {entry['compute_seconds']:.1f} s")
    if entry.get("cached"):
        parts.append("data from the cache")
    if entry.get("script"):
        parts.append(f"script {entry['script']}")
    return ", ".join(parts)


def read_manifest(figures_dir) -> tuple[dict, str]:
    """Read the figures' manifest (``<figures_dir>/manifest.json``).

    The report only reads the manifest; ``rtrl-theory figures`` keeps an unreadable one aside.

    Parameters
    ----------
    figures_dir : path
        The figures folder.

    Returns
    -------
    entries : dict
        The manifest's entries keyed by ``(figure, mode)`` (empty without a usable manifest).
    problem : str
        Why the manifest could not be used; "" when it could, or when there is none.
    """
    manifest = Path(figures_dir) / "manifest.json"
    if not manifest.exists():
        return {}, ""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entries = {}
        for e in data["figures"]:
            entries[(e["figure"], e["mode"])] = e
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        return {}, (
            f"{manifest} could not be read ({type(exc).__name__}: {exc}); whether each figure "
            "below is current is unknown (run `rtrl-theory figures` to remake it)"
        )
    return entries, ""


def collect_figures(figures_dir, *, problems: list | None = None) -> list[FigureItem]:
    """Return the figures of ``figures_dir``, with the status of their last run from the manifest.

    A figure present in both modes (``<name>.png`` and ``<name>_quick.png``) is listed once, in
    full mode (quick when only the quick run is in the manifest). A figure whose last run
    failed is listed with ``status="failed"`` and the reason, never as current: its image, if an
    earlier run left one, comes with the date of that run (``stale_since``). Without a readable
    manifest the figures are the PNGs of the folder, with ``status="unknown"`` when the manifest
    exists but cannot be read (the reason is appended to ``problems`` when a list is given).

    Parameters
    ----------
    figures_dir : path
        The figures folder (``rtrl-theory figures --out``).
    problems : list, optional
        Receives a sentence per problem with the folder (an unreadable manifest).

    Returns
    -------
    list of FigureItem
        The figures, sorted by name; empty when the folder does not exist.
    """
    figures_dir = Path(figures_dir)
    if not figures_dir.is_dir():
        return []
    entries, problem = read_manifest(figures_dir)
    if problem and problems is not None:
        problems.append(problem)
    default_status = "unknown" if problem else "ok"
    names = {}
    for png in figures_dir.glob("*.png"):
        quick = png.stem.endswith("_quick")
        names.setdefault(png.stem[: -len("_quick")] if quick else png.stem, set()).add(
            "quick" if quick else "full"
        )
    for name, mode in entries:
        names.setdefault(name, set()).add(mode)
    items: list[FigureItem] = []
    for name in sorted(names):
        modes = names[name]
        mode = "full" if "full" in modes else "quick"
        stem = name + ("_quick" if mode == "quick" else "")
        entry = entries.get((name, mode), {})
        status = entry.get("status", default_status) if entry else default_status
        png = figures_dir / f"{stem}.png"
        png = png if png.is_file() else None
        pdf = figures_dir / f"{stem}.pdf"
        pdf = pdf if pdf.is_file() else None
        stale_since = None
        if status not in ("ok", "unknown"):
            status = "failed"
            stale_since = (entry.get("stale") or {}).get("last_success")
            if png is not None and stale_since is None:
                stale_since = _mtime(png)
        elif png is None:  # an ok entry whose image is gone: nothing to show
            continue
        items.append(
            FigureItem(
                name=name,
                png=png,
                pdf=pdf,
                mode=mode,
                title=entry.get("title") or _script_title(name) or name,
                details=_details(entry) if status == "ok" else "",
                summary=entry.get("summary", "") if status == "ok" else "",
                status=status,
                error=str(entry.get("error") or ""),
                stale_since=stale_since if png is not None else None,
            )
        )
    return items


def _mtime(path: Path) -> str:
    t = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc)
    return t.isoformat(timespec="seconds")


def _stale_note(f: FigureItem) -> str:
    """One sentence for a failed figure: why, and what the image shown (if any) is."""
    why = f"FAILED in its last run ({f.mode} mode): {f.error or 'no reason recorded'}"
    if f.png is None:
        return why + ". No image."
    return why + f". The image is the last successful one, from {f.stale_since}: stale."


def _figures_line(figures) -> str:
    failed = [f.name for f in figures if f.failed]
    line = f"{len(figures)} figures"
    if failed:
        line += f", {len(failed)} failed in their last run: {', '.join(failed)}"
    return line


# ------------------------------------------------------------------------------------------------
# rendering
# ------------------------------------------------------------------------------------------------
def _md(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


def _counts(results) -> str:
    from rtrl_theory.checks import format_counts

    return format_counts(results)


def render_markdown(
    results, figures, *, mode: str, base: Path, generated: str, figure_notes=(), power=None
) -> str:
    """Return the Markdown page (image links relative to ``base``, the report's folder).

    Parameters
    ----------
    results : list of CheckResult
        The verify table's rows.
    figures : list of FigureItem
        The figures (:func:`collect_figures`).
    mode : str
        The mode the checks ran in (``"quick"`` or ``"full"``).
    base : Path
        The report's folder: image and PDF links are relative to it.
    generated : str
        When the report was made (shown on the page).
    figure_notes : sequence of str
        Sentences shown above the figures (e.g. an unreadable manifest).
    power : list of PowerRow, optional
        The rows of :func:`rtrl_theory.checks.run_power`, or None for no power section.

    Returns
    -------
    str
        The page.
    """
    from rtrl_theory.checks import format_markdown

    lines = [
        "# rtrl-theory report",
        "",
        "Checks of the convergence theory of RTRL in [P1] (Lam, Sirignano, Spiliopoulos, "
        "arXiv:2501.08040) and the figures of its Section 7 reproduced, with the project's "
        "theory figures.",
        "",
        f"Generated {generated}.",
        "",
        f"## Verify table ({mode} mode)",
        "",
        f"{_counts(results)}.",
        "",
        format_markdown(results).rstrip("\n"),
        "",
        *_power_markdown(power),
        "## Figures",
        "",
    ]
    for note in figure_notes:
        lines += [f"**Warning:** {_md(note)}", ""]
    if not figures:
        lines += ["No figure found (run `rtrl-theory figures` first).", ""]
    else:
        lines += [f"{_figures_line(figures)}.", ""]
    for f in figures:
        lines += [f"### {_md(f.title)}" + (" (FAILED)" if f.failed else ""), ""]
        if f.failed:
            lines += [f"**{_md(_stale_note(f))}**", ""]
        elif f.status == "unknown":
            lines += ["*Status unknown (manifest unreadable): this image may be stale.*", ""]
        if f.png is not None:
            alt = f"{f.name} (stale)" if f.failed else f.name
            lines += [f"![{_md(alt)}]({_rel(f.png, base)})", ""]
        extra = [f"`{f.name}` ({f.mode} mode)"]
        if f.details:
            extra.append(f.details)
        if f.pdf is not None:
            extra.append(f"[PDF{' (stale)' if f.failed else ''}]({_rel(f.pdf, base)})")
        lines += ["; ".join(extra) + ".", ""]
        if f.summary:
            lines += ["```text", f.summary.rstrip(), "```", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #1f2328;
       padding: 0 1em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
td.status { font-weight: bold; text-transform: uppercase; }
td.num { text-align: right; white-space: nowrap; }
figure { margin: 2em 0; }
figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { font-size: 0.9em; }
figure.failed img { opacity: 0.45; border: 3px dashed #cf222e; }
p.failed { color: #cf222e; font-weight: bold; }
p.warning { color: #9a6700; font-weight: bold; }
pre { background: #f6f8fa; padding: 0.6em; font-size: 0.8em; overflow-x: auto; }
"""


def render_html(
    results,
    figures,
    *,
    mode: str,
    base: Path,
    generated: str,
    embed: bool = True,
    figure_notes=(),
    power=None,
) -> str:
    """Return the HTML page: self-contained (images as base64) unless ``embed=False``.

    Parameters
    ----------
    results : list of CheckResult
        The verify table's rows.
    figures : list of FigureItem
        The figures (:func:`collect_figures`).
    mode : str
        The mode the checks ran in (``"quick"`` or ``"full"``).
    base : Path
        The report's folder: image and PDF links are relative to it.
    generated : str
        When the report was made (shown on the page).
    embed : bool
        Embed the PNGs as base64 data (a self-contained page) rather than link them.
    figure_notes : sequence of str
        Sentences shown above the figures (e.g. an unreadable manifest).
    power : list of PowerRow, optional
        The rows of :func:`rtrl_theory.checks.run_power`, or None for no power section.

    Returns
    -------
    str
        The page.
    """
    e = html.escape
    rows = []
    for r in results:
        color = STATUS_COLORS.get(r.status, "#1f2328")
        rows.append(
            "<tr>"
            f'<td id="{e(r.id)}"><code>{e(r.id)}</code></td>'
            f"<td>{e(r.statement)}</td><td>{e(r.claimed)}</td><td>{e(r.measured)}</td>"
            f"<td>{e(r.method)}</td>"
            f'<td class="status" style="color:{color}">{e(r.status)}</td>'
            f'<td class="num">{r.seconds:.2f}</td>'
            "</tr>"
        )
    reasons = [
        f"<li><b>{e(r.id)}</b> ({e(r.status)}): {e(' '.join(r.reason.split()))}</li>"
        for r in results
        if r.reason
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>rtrl-theory report</title><style>{_CSS}</style></head><body>",
        "<h1>rtrl-theory report</h1>",
        "<p>Checks of the convergence theory of RTRL in [P1] (Lam, Sirignano, Spiliopoulos, "
        "arXiv:2501.08040) and the figures of its Section 7 reproduced, with the project's "
        "theory figures.</p>",
        f"<p>Generated {e(generated)}.</p>",
        f'<h2 id="verify">Verify table ({e(mode)} mode)</h2>',
        f"<p>{e(_counts(results))}.</p>",
        "<table><thead><tr><th>id</th><th>statement</th><th>claimed</th><th>measured</th>"
        "<th>method</th><th>status</th><th>seconds</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    if reasons:
        parts += ["<ul>", *reasons, "</ul>"]
    parts += _power_html(power)
    parts.append('<h2 id="figures">Figures</h2>')
    for note in figure_notes:
        parts.append(f'<p class="warning">Warning: {e(note)}</p>')
    if not figures:
        parts.append("<p>No figure found (run <code>rtrl-theory figures</code> first).</p>")
    else:
        parts.append(f"<p>{e(_figures_line(figures))}.</p>")
    for f in figures:
        title = f"<b>{e(f.title)}</b>" + (" <b>(FAILED)</b>" if f.failed else "")
        caption = [title, f"<code>{e(f.name)}</code> ({e(f.mode)} mode)"]
        if f.details:
            caption.append(e(f.details))
        if f.pdf is not None:
            caption.append(
                f'<a href="{e(_rel(f.pdf, base))}">PDF{" (stale)" if f.failed else ""}</a>'
            )
        parts.append(f'<figure id="{e(f.name)}"' + (' class="failed">' if f.failed else ">"))
        if f.failed:
            parts.append(f'<p class="failed">{e(_stale_note(f))}</p>')
        elif f.status == "unknown":
            parts.append(
                '<p class="warning">Status unknown (manifest unreadable): this image may be '
                "stale.</p>"
            )
        if f.png is not None:
            if embed:
                data = base64.b64encode(f.png.read_bytes()).decode("ascii")
                src = f"data:image/png;base64,{data}"
            else:
                src = e(_rel(f.png, base))
            alt = f"{f.name} (stale)" if f.failed else f.name
            parts.append(f'<img src="{src}" alt="{e(alt)}">')
        parts.append(f"<figcaption>{'; '.join(caption)}</figcaption>")
        if f.summary:
            parts.append(f"<pre>{e(f.summary.rstrip())}</pre>")
        parts.append("</figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _write_text_atomic(path: Path, text: str) -> None:
    from rtrl_theory._outputs import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_report(
    out="report",
    *,
    results=None,
    mode: str = "quick",
    figures_dir="figures",
    embed: bool = True,
    power=None,
    power_mode: str | None = None,
) -> dict:
    """Write the report's Markdown, HTML and JSON files under ``out``.

    Write ``<out>/report.md``, ``<out>/report.html`` and ``<out>/verify.json`` (and
    ``<out>/power.json`` with a power table).

    Parameters
    ----------
    out : path
        Output folder.
    results : list of CheckResult
        The verify table's rows.
    mode : str
        ``"quick"`` or ``"full"``: the mode the checks ran in.
    figures_dir : path
        Folder of the figures (``rtrl-theory figures --out``).
    embed : bool
        Embed the PNGs in the HTML page (self-contained) rather than link them.
    power : list of PowerRow, optional
        The power table (:func:`rtrl_theory.checks.run_power`); None for no power section.
    power_mode : str, optional
        The mode the power table ran in (default ``mode``).

    Returns
    -------
    dict
        ``{"markdown": path, "html": path, "verify_json": path, "figures": [FigureItem],
        "n_failed": int, "n_failed_figures": int, "figure_notes": [str]}``, plus
        ``"power_json": path`` with a power table: ``n_failed`` counts failed checks,
        ``n_failed_figures`` figures whose last run failed (shown as failed, their old images
        marked stale), ``figure_notes`` problems with the figures folder (an unreadable
        manifest).
    """
    from rtrl_theory._outputs import write_json_atomic
    from rtrl_theory.checks import results_to_json

    if results is None:
        raise ValueError("results: expected the check results (rtrl_theory.checks.run_checks)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    figures = collect_figures(figures_dir, problems=notes)
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    base = out.resolve()
    md = render_markdown(
        results,
        figures,
        mode=mode,
        base=base,
        generated=generated,
        figure_notes=notes,
        power=power,
    )
    page = render_html(
        results,
        figures,
        mode=mode,
        base=base,
        generated=generated,
        embed=embed,
        figure_notes=notes,
        power=power,
    )
    paths = {"markdown": out / "report.md", "html": out / "report.html"}
    _write_text_atomic(paths["markdown"], md)
    _write_text_atomic(paths["html"], page)
    data = results_to_json(results, quick=mode == "quick")
    data["mode"] = mode
    paths["verify_json"] = write_json_atomic(out / "verify.json", data)
    if power is not None:
        from rtrl_theory.checks import power_to_json

        pj = power_to_json(power, quick=(power_mode or mode) == "quick")
        pj["mode"] = power_mode or mode
        paths["power_json"] = write_json_atomic(out / "power.json", pj)
    return {
        **paths,
        "figures": figures,
        "n_failed": sum(r.failed for r in results),
        "n_failed_figures": sum(f.failed for f in figures),
        "figure_notes": notes,
    }


def build_report(
    out="report",
    *,
    quick: bool = True,
    only=None,
    verify_json=None,
    power: bool = False,
    power_json=None,
    figures_dir="figures",
    embed: bool = True,
    progress=None,
) -> dict:
    """Gather the verify (and power) tables, then write the report (:func:`write_report`).

    Parameters
    ----------
    out : path
        Output folder.
    quick : bool
        Run the checks (and the power table) in quick mode, else full mode.
    only : list of str, optional
        Run only these check ids (not with ``verify_json``).
    verify_json : path, optional
        Read the verify table from this ``rtrl-theory verify --json`` file instead of running it.
    power : bool
        Add the power table, computed (:func:`rtrl_theory.checks.run_power`).
    power_json : path, optional
        Add the power table read from this ``rtrl-theory verify --power --json`` file.
    figures_dir : path
        Folder of the figures (``rtrl-theory figures --out``).
    embed : bool
        Embed the PNGs in the HTML page rather than link them.
    progress : callable, optional
        ``progress(label)`` before each check (or power) run.

    Returns
    -------
    dict
        What :func:`write_report` returned, plus ``"results"``: the verify table's rows.

    Raises
    ------
    ValueError
        ``only`` with ``verify_json``, an unknown check id, or an unreadable table file.
    """
    from rtrl_theory.checks import run_checks, run_power

    if verify_json is not None:
        if only:
            raise ValueError("only: cannot select checks from a --verify-json file")
        results, mode = load_verify_json(verify_json)
    else:
        mode = "quick" if quick else "full"
        results = run_checks(only, quick=quick, progress=progress)
    table, table_mode = None, None
    if power_json is not None:
        table, table_mode = load_power_json(power_json)
    elif power:
        table_mode = "quick" if quick else "full"
        table = run_power(only, quick=quick, progress=progress)
    res = write_report(out, results=results, mode=mode, figures_dir=figures_dir, embed=embed,
                       power=table, power_mode=table_mode)
    return {**res, "results": results}


def report_messages(res: dict, figures_dir) -> tuple[str, list[str]]:
    """Return what ``rtrl-theory report`` prints after writing: a summary and the warnings.

    Parameters
    ----------
    res : dict
        What :func:`build_report` returned.
    figures_dir : path
        The figures folder read (named in the summary).

    Returns
    -------
    summary : str
        ``wrote <md> and <html>: N checks (counts), M figures from <dir>``.
    warnings : list of str
        ``warning: ...`` for each problem with the figures folder and each failed figure.
    """
    results = res["results"]
    summary = (
        f"wrote {res['markdown']} and {res['html']}: {len(results)} checks "
        f"({_counts(results)}), {len(res['figures'])} figures from {figures_dir}"
    )
    warnings = [f"warning: {note}" for note in res["figure_notes"]]
    warnings += [f"warning: {f.name}: {_stale_note(f)}" for f in res["figures"] if f.failed]
    return summary, warnings


if __name__ == "__main__":  # pragma: no cover
    sys.exit(__getattr__("main")())  # deprecated: use `rtrl-theory report`
