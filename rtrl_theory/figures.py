r"""The figure runner: regenerate every figure of ``paper_figures/``, with a manifest.

:func:`run_figures` (what ``rtrl-theory figures`` calls, :mod:`rtrl_theory.commands.figures`) runs
the figure scripts of ``paper_figures`` (STYLE.md section 7; each writes PNG, PDF and its
``.npz`` data cache), ``--jobs N`` of them at a time in worker processes, shows a progress bar,
and writes ``<out>/manifest.json``: for each figure its script, seed, configuration (the cache
key: schema, version, mode, seed, settings), status, whether the data came from the cache, the
compute and wall times, the files written and the script's summary. Each script's own output goes
to ``<out>/logs/<figure>[_quick].log``.

* **Caches.** A figure whose ``.npz`` matches its configuration is only re-plotted; sweep runs are
  cached one by one in ``<out>/.runs``. ``--recompute`` ignores both.
* **Companions.** Scripts with the same settings and seed (an RTRL figure of [P1] Section 7 and
  its TBPTT companion, e.g. ``fig03``/``fig04``) share their sweep runs through the run cache, so
  they run one after the other, in name order (the RTRL half first, the companion then reads its
  runs). With ``--recompute`` the order is reversed: the companion, which runs the whole sweep,
  recomputes it, and the RTRL figure (its data cache removed) reads the fresh runs instead of
  running them a second time.
* **Parallelism.** ``--jobs N``: figures in N worker processes (BLAS limited to one thread per
  process: the figures' arrays are small). ``--sweep-jobs M``: each Section 7 sweep runs its
  configurations in M joblib processes; ``--dask-scheduler ADDRESS``: on a Dask cluster instead.
  Results do not depend on either (each run has its own SeedSequence).
* **Failures.** A script that raises is recorded (``status: "failed"``, the error and its log)
  and the others still run; the command then exits with status 1. The figure's PNG, PDF and
  ``.npz`` left from an earlier run are listed in the entry's ``stale`` field with the date of the
  last successful run (``rtrl-theory report`` shows them as stale, never as current).
* **Damaged files.** A data cache that cannot be read is recomputed with a warning (printed and
  kept in the entry's ``warnings``); an unreadable ``manifest.json`` is renamed to
  ``manifest.json.corrupt-<timestamp>`` (never dropped) and the user is told; a Dask scheduler
  address is checked once, before any figure, with a 5 s timeout.

The manifest is rewritten atomically after every figure and keeps the entries of figures (or the
other mode) not run this time, so it always describes the folder.

This module was ``rtrl_theory.figures_cli`` (that path still works, with a DeprecationWarning,
for one release).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import importlib.util
import json
import multiprocessing
import os
import shutil
import sys
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

__all__ = [
    "MANIFEST",
    "MANIFEST_SCHEMA",
    "companion_groups",
    "format_run_table",
    "run_messages",
    "list_scripts",
    "locate_figures_package",
    "run_figures",
    "select_scripts",
]

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "rtrl-theory/figures-manifest/1"
#: Environment of the worker processes (set before they start, so before NumPy is imported).
_WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


# ------------------------------------------------------------------------------------------------
# finding and grouping the scripts
# ------------------------------------------------------------------------------------------------
def locate_figures_package(package: str = "paper_figures") -> Path:
    """Return the folder of the figure-script package ``package``, made importable if needed.

    ``paper_figures`` is importable when installed (it is listed in the package discovery of
    ``pyproject.toml``) or when the working directory is the repository root. Otherwise the
    repository root of this checkout (beside ``rtrl_theory/``) or the working directory is put
    on ``sys.path`` if it holds the package.

    Parameters
    ----------
    package : str
        The package's import name.

    Returns
    -------
    Path
        The package's folder.

    Raises
    ------
    FileNotFoundError
        If the package is nowhere to be found (the message says where it looked).
    """
    if not isinstance(package, str) or not package.isidentifier():
        raise ValueError(f"package: expected a Python package name, got {package!r}")
    spec = importlib.util.find_spec(package)
    if spec is None:
        here = Path(__file__).resolve().parents[1]
        candidates = [Path.cwd(), here]
        for root in candidates:
            if (root / package / "__init__.py").is_file():
                sys.path.insert(0, str(root))
                importlib.invalidate_caches()
                spec = importlib.util.find_spec(package)
                break
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package: cannot import {package!r}; install the project (pip install -e .) or run "
            f"from the repository root (looked in {Path.cwd()} and {Path(__file__).parents[1]})"
        )
    return Path(list(spec.submodule_search_locations)[0])


def list_scripts(package: str = "paper_figures") -> list[str]:
    """Return the module names of the figure scripts (``fig*.py``) of ``package``, sorted.

    Parameters
    ----------
    package : str
        The package of figure scripts (:func:`locate_figures_package`).

    Returns
    -------
    list of str
        Module names such as ``fig01_linear_rnn``.
    """
    folder = locate_figures_package(package)
    return sorted(p.stem for p in folder.glob("fig*.py"))


def select_scripts(names: list[str], only) -> list[str]:
    """Return the scripts of ``names`` picked by ``only`` (all when ``only`` is empty).

    A token picks the script of that name and every script whose name starts with the token
    followed by ``_``: ``fig01`` picks ``fig01_linear_rnn``.

    Parameters
    ----------
    names : list of str
        The scripts to pick from (:func:`list_scripts`).
    only : list of str or None
        Names or prefixes.

    Returns
    -------
    list of str
        The picked scripts, in the order of ``names``.

    Raises
    ------
    ValueError
        If a token picks nothing (the message lists the scripts).
    """
    if not only:
        return list(names)
    picked, unknown = set(), []
    for token in only:
        hits = [n for n in names if n == token or n.startswith(f"{token}_")]
        if not hits:
            unknown.append(token)
        picked.update(hits)
    if unknown:
        raise ValueError(
            f"only: no figure script matches {', '.join(map(repr, unknown))}; available: "
            f"{', '.join(names)}"
        )
    return [n for n in names if n in picked]


def _module(package: str, name: str):
    return importlib.import_module(f"{package}.{name}")


def companion_groups(package: str, names: list[str], quick: bool) -> list[list[str]]:
    """Group ``names`` by (settings, default seed): companions share their sweep runs.

    Groups keep the name order inside and are ordered by their first member.

    Parameters
    ----------
    package : str
        The package of figure scripts.
    names : list of str
        Scripts of ``package``.
    quick : bool
        Compare the scripts' quick-mode settings (else full mode).

    Returns
    -------
    list of list of str
        The groups; a script that cannot describe its settings is alone in its group.
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        module = _module(package, name)
        try:
            key = json.dumps(
                [module.settings(quick), getattr(module, "DEFAULT_SEED", None)], sort_keys=True
            )
        except Exception:  # a script that cannot even describe itself runs (and fails) alone
            key = f"alone:{name}"
        groups.setdefault(key, []).append(name)
    return list(groups.values())


# ------------------------------------------------------------------------------------------------
# one script, in a worker process
# ------------------------------------------------------------------------------------------------
def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _rel(path, out: Path) -> str:
    try:
        return os.path.relpath(Path(path), out)
    except ValueError:  # another drive (Windows)
        return str(path)


def _describe(package: str, name: str, quick: bool) -> dict:
    """Script path, title, seed and configuration of a figure (what the manifest stores)."""
    module = _module(package, name)
    folder = locate_figures_package(package)
    doc = (module.__doc__ or "").strip().splitlines()
    seed = getattr(module, "DEFAULT_SEED", None)
    try:
        common = importlib.import_module(f"{package}._common")
        config = common.figure_config(module, quick, seed)
    except Exception:  # a package without _common: the settings alone
        from rtrl_theory._outputs import to_jsonable

        config = to_jsonable({"quick": quick, "seed": seed, "settings": module.settings(quick)})
    return {
        "script": f"{folder.name}/{name}.py",
        "title": doc[0].strip() if doc else name,
        "seed": seed,
        "configuration": config,
    }


def _run_script(package, name, argv, out, log_path, drop_cache) -> dict:
    """Run one figure script (in a worker); never raises for a failure of the script."""
    out = Path(out)
    quick = "--quick" in argv
    stem = name + ("_quick" if quick else "")
    t0 = time.perf_counter()
    entry = {"figure": name, "mode": "quick" if quick else "full", "started": _now()}
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(log_path, "w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        print(f"$ {package}.{name} {' '.join(argv)}", flush=True)
        try:
            entry.update(_describe(package, name, quick))
            if drop_cache:
                (out / f"{stem}.npz").unlink(missing_ok=True)
            info = _module(package, name).main(list(argv))
            info = info if isinstance(info, dict) else {}
            entry.update(
                status="ok",
                cached=bool(info.get("cached", False)),
                compute_seconds=info.get("compute_seconds"),
                summary=str(info.get("summary", "")),
                error=None,
                warnings=[str(w) for w in info.get("warnings", [])],
            )
            files = {k: info[k] for k in ("png", "pdf", "npz") if info.get(k) is not None}
        except (Exception, SystemExit) as exc:
            traceback.print_exc(file=log)
            entry.update(
                status="failed",
                cached=False,
                compute_seconds=None,
                summary="",
                error=f"{type(exc).__name__}: {exc}",
            )
            files = {}
    files["log"] = log_path
    entry["files"] = {k: _rel(v, out) for k, v in files.items()}
    entry["wall_seconds"] = time.perf_counter() - t0
    entry["finished"] = _now()
    return entry


# ------------------------------------------------------------------------------------------------
# the manifest
# ------------------------------------------------------------------------------------------------
def _keep_aside(path: Path, *, copy: bool = False) -> Path:
    """Rename (or copy) ``path`` to ``<name>.corrupt-<UTC timestamp>`` beside it; the new path."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    k = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{k}")
        k += 1
    if copy:
        shutil.copy2(path, target)
    else:
        os.replace(path, target)
    return target


def _load_manifest(path: Path, notices: list | None = None) -> dict:
    """Return the entries of the manifest at ``path``, keyed by ``(figure, mode)``.

    Nothing is dropped silently. A manifest that cannot be read (not JSON, not a manifest, another
    schema) is renamed to ``manifest.json.corrupt-<timestamp>`` and the run starts a new one; a
    readable manifest with malformed entries is copied there and its good entries are kept. Each
    such event appends a sentence to ``notices``.
    """
    if notices is None:
        notices = []
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "schema" not in data:
            raise ValueError("not a figures manifest (no 'schema' field)")
        if data["schema"] != MANIFEST_SCHEMA:
            raise ValueError(f"schema {data['schema']!r}, this version reads {MANIFEST_SCHEMA!r}")
        figures = data.get("figures", [])
        if not isinstance(figures, list):
            raise ValueError("'figures' is not a list")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        aside = _keep_aside(path)
        notices.append(
            f"{path} could not be read ({type(exc).__name__}: {exc}); it was kept as {aside} "
            "and a new manifest is started (the entries of the old one are not in it)"
        )
        return {}
    good, bad = {}, 0
    for e in figures:
        if (
            isinstance(e, dict)
            and isinstance(e.get("figure"), str)
            and e.get("mode") in ("quick", "full")
            and isinstance(e.get("status"), str)
        ):
            good[(e["figure"], e["mode"])] = e
        else:
            bad += 1
    if bad:
        aside = _keep_aside(path, copy=True)
        notices.append(
            f"{path}: {bad} malformed entr{'y' if bad == 1 else 'ies'} (a copy of the file is "
            f"kept as {aside}); the {len(good)} good entries are kept"
        )
    return good


def _write_manifest(path: Path, entries: dict, last_run: dict) -> None:
    from rtrl_theory._outputs import environment_info, write_json_atomic

    figures = [entries[k] for k in sorted(entries)]
    write_json_atomic(
        path,
        {
            "schema": MANIFEST_SCHEMA,
            "updated": _now(),
            "last_run": last_run,
            "environment": environment_info(),
            "figures": figures,
        },
    )


@contextlib.contextmanager
def _worker_environment():
    """Set :data:`_WORKER_ENV` (where unset) while the worker processes start; then restore."""
    saved = {k: os.environ.get(k) for k in _WORKER_ENV}
    for k, v in _WORKER_ENV.items():
        os.environ.setdefault(k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ------------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------------
def run_figures(
    names=None,
    *,
    out="figures",
    quick: bool = False,
    jobs: int = 1,
    sweep_jobs: int = 1,
    dask_scheduler: str | None = None,
    recompute: bool = False,
    package: str = "paper_figures",
    progress: bool | None = None,
) -> dict:
    """Run figure scripts and write ``<out>/manifest.json`` (module docstring).

    Parameters
    ----------
    names : list of str, optional
        Script names or prefixes (:func:`select_scripts`); default all.
    out : path
        Output folder (PNG, PDF, ``.npz``, ``.runs/``, ``logs/``, the manifest).
    quick : bool
        The scripts' quick mode (small sizes, seconds each).
    jobs : int
        Worker processes running figures at the same time.
    sweep_jobs : int
        Processes per Section 7 sweep (``--jobs`` of the scripts); -1 for one per core.
    dask_scheduler : str, optional
        Run the sweeps' runs on this Dask scheduler.
    recompute : bool
        Ignore the data and run caches.
    package : str
        The package of figure scripts.
    progress : bool or None
        Progress bar on stderr (None: only on a terminal).

    Returns
    -------
    dict
        ``{"manifest": path, "notices": [...], "entries": [...this run's entries...],
        "n_failed": int, "wall_seconds": float}``; ``notices`` says what happened to an
        unreadable manifest (kept aside, module docstring).

    Raises
    ------
    ConnectionError
        ``dask_scheduler`` given and nothing answers there within 5 s (checked once, before any
        figure runs).
    ImportError
        ``dask_scheduler`` given and dask.distributed is not installed.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected a positive int, got {jobs!r}")
    if isinstance(sweep_jobs, bool) or not isinstance(sweep_jobs, int):
        raise ValueError(f"sweep_jobs: expected a positive int or -1, got {sweep_jobs!r}")
    if sweep_jobs < 1 and sweep_jobs != -1:
        raise ValueError(f"sweep_jobs: expected a positive int or -1, got {sweep_jobs!r}")
    selected = select_scripts(list_scripts(package), names)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if dask_scheduler:
        _check_dask(dask_scheduler)
    manifest_path = out / MANIFEST
    notices: list[str] = []
    entries = _load_manifest(manifest_path, notices)
    for text in notices:
        print(f"rtrl-theory figures: warning: {text}", file=sys.stderr, flush=True)
    base = ["--out", str(out)] + (["--quick"] if quick else [])
    base += ["--jobs", str(sweep_jobs)]
    if dask_scheduler:
        base += ["--dask-scheduler", str(dask_scheduler)]
    tasks = []  # per group: deque of (name, argv, drop_cache)
    mode = "quick" if quick else "full"
    groups = companion_groups(package, selected, quick)
    # Longest first (by the previous run's wall times, when the manifest has them), so that
    # parallel workers finish together; unknown figures keep the name order.
    groups.sort(
        key=lambda g: -sum((entries.get((n, mode)) or {}).get("wall_seconds") or 0.0 for n in g)
    )
    for group in groups:
        if recompute:
            group = group[::-1]  # the companion running the whole sweep first (docstring)
            items = [(group[0], base + ["--recompute"], False)]
            items += [(n, base, True) for n in group[1:]]
        else:
            items = [(n, base, False) for n in group]
        tasks.append(deque(items))
    started, t0 = _now(), time.perf_counter()
    last_run = {
        "started": started,
        "finished": None,
        "quick": quick,
        "figures": selected,
        "jobs": jobs,
        "sweep_jobs": sweep_jobs,
        "dask_scheduler": dask_scheduler,
        "recompute": recompute,
        "package": package,
        "wall_seconds": None,
    }
    done_entries = []

    from rtrl_theory._progress import tqdm_class
    tqdm = tqdm_class()

    bar = tqdm(
        total=len(selected),
        unit="fig",
        desc="figures" + (" (quick)" if quick else ""),
        disable=(not progress) if progress is not None else None,
        file=sys.stderr,
        dynamic_ncols=True,
    )

    def record(entry):
        key = (entry["figure"], entry["mode"])
        if entry["status"] != "ok":
            entry["stale"] = _stale_files(out, entry, entries.get(key))
        entries[key] = entry
        done_entries.append(entry)
        last_run["wall_seconds"] = time.perf_counter() - t0
        _write_manifest(manifest_path, entries, last_run)
        for text in entry.get("warnings") or []:
            bar.write(f"{entry['figure']}: warning: {text}", file=sys.stderr)
        if entry["status"] == "ok":
            how = "cached data" if entry["cached"] else "computed"
            msg = f"{entry['figure']}: {how}, {entry['wall_seconds']:.1f} s"
        else:
            msg = f"{entry['figure']}: FAILED ({entry['error']}); log {entry['files']['log']}"
            stale = entry["stale"]
            if stale["files"]:
                when = stale["last_success"] or "an unknown date"
                msg += (
                    f"; {', '.join(stale['files'].values())} are from the last successful run "
                    f"({when}), stale"
                )
        bar.write(msg, file=sys.stderr)
        bar.set_postfix_str(entry["figure"])
        bar.update(1)

    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    suffix = "_quick" if quick else ""
    try:
        with _worker_environment():
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
            running = {}

            def submit_next(gi):
                if tasks[gi]:
                    name, argv, drop = tasks[gi].popleft()
                    log = out / "logs" / f"{name}{suffix}.log"
                    fut = pool.submit(_run_script, package, name, argv, out, log, drop)
                    running[fut] = (gi, name, log)

            def collect(fut, gi, name, log):
                try:
                    return fut.result(), False
                except BrokenProcessPool as exc:  # a worker died (signal, out of memory)
                    return _crashed(name, quick, out, log, exc), True
                except Exception as exc:  # the task itself could not run (pickling, import)
                    return _crashed(name, quick, out, log, exc), False

            try:
                for gi in range(len(tasks)):
                    submit_next(gi)
                while running:
                    finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    broken, next_groups = False, []
                    for fut in finished:
                        gi, name, log = running.pop(fut)
                        entry, died = collect(fut, gi, name, log)
                        broken |= died
                        record(entry)
                        next_groups.append(gi)
                    if broken:
                        # every task of the dead pool fails with it: record them, start afresh
                        for fut in list(running):
                            gi, name, log = running.pop(fut)
                            record(collect(fut, gi, name, log)[0])
                        pool.shutdown(wait=True, cancel_futures=True)
                        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
                        next_groups = range(len(tasks))
                    for gi in next_groups:
                        submit_next(gi)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
    last_run["finished"] = _now()
    last_run["wall_seconds"] = time.perf_counter() - t0
    _write_manifest(manifest_path, entries, last_run)
    return {
        "manifest": manifest_path,
        "notices": notices,
        "entries": done_entries,
        "n_failed": sum(e["status"] != "ok" for e in done_entries),
        "wall_seconds": last_run["wall_seconds"],
    }


def _stale_files(out: Path, entry: dict, previous: dict | None) -> dict:
    """Return what a failed figure leaves on disk: ``{"files": {kind: path}, "last_success": date}``.

    The PNG, PDF and ``.npz`` of the figure that exist now come from an earlier run, not from
    this failed one (a figure script writes its images last). ``last_success`` is the finish
    time of the last successful run: from the previous manifest entry (or the one it carried
    over), else the modification time of the newest file, else None.
    """
    stem = entry["figure"] + ("_quick" if entry["mode"] == "quick" else "")
    files = {k: f"{stem}.{k}" for k in ("png", "pdf", "npz") if (out / f"{stem}.{k}").is_file()}
    when = None
    if previous is not None:
        if previous.get("status") == "ok":
            when = previous.get("finished")
        else:
            when = (previous.get("stale") or {}).get("last_success")
    if when is None and files:
        newest = max((out / f).stat().st_mtime for f in files.values())
        when = _dt.datetime.fromtimestamp(newest, _dt.timezone.utc).isoformat(timespec="seconds")
    return {"files": files, "last_success": when}


def _check_dask(address) -> None:
    """Before any figure: dask.distributed importable, and a scheduler answering in 5 s."""
    if importlib.util.find_spec("distributed") is None:
        raise ImportError(
            "dask_scheduler: running the sweeps on a Dask cluster needs dask.distributed; "
            "install it with pip install -e \".[dask]\" (on every machine of the cluster)"
        )
    from rtrl_theory.runners._sweep import check_dask_scheduler

    check_dask_scheduler(address)


def _crashed(name, quick, out, log, exc) -> dict:
    return {
        "figure": name,
        "mode": "quick" if quick else "full",
        "status": "failed",
        "cached": False,
        "compute_seconds": None,
        "wall_seconds": None,
        "summary": "",
        "error": f"{type(exc).__name__}: {exc}",
        "files": {"log": _rel(log, out)},
        "finished": _now(),
    }


def format_run_table(result: dict) -> str:
    """Return the table printed by ``rtrl-theory figures`` after a run.

    Parameters
    ----------
    result : dict
        What :func:`run_figures` returned.

    Returns
    -------
    str
        One row per figure run (status, cached or computed, compute and wall seconds, by name),
        the total wall time and the manifest's path.
    """
    rows = result["entries"]
    width = max([len("figure")] + [len(e["figure"]) for e in rows])
    lines = [f"{'figure':<{width}}  {'status':>6}  {'data':>8}  {'compute s':>9}  {'wall s':>7}"]
    for e in sorted(rows, key=lambda e: e["figure"]):
        how = ("cached" if e["cached"] else "computed") if e["status"] == "ok" else "-"
        comp = "" if e["compute_seconds"] is None else f"{e['compute_seconds']:.1f}"
        wall = "" if e["wall_seconds"] is None else f"{e['wall_seconds']:.1f}"
        lines.append(f"{e['figure']:<{width}}  {e['status']:>6}  {how:>8}  {comp:>9}  {wall:>7}")
    total = result["wall_seconds"]
    lines.append(f"{'total (wall)':<{width}}  {'':>6}  {'':>8}  {'':>9}  {total:>7.1f}")
    lines.append(f"manifest: {result['manifest']}")
    return "\n".join(lines)


def run_messages(result: dict) -> list[str]:
    """Return the sentences ``rtrl-theory figures`` prints on standard error after a run.

    Parameters
    ----------
    result : dict
        What :func:`run_figures` returned.

    Returns
    -------
    list of str
        A ``warning: ...`` per notice (an unreadable manifest kept aside), then, when figures
        failed, ``N failed: name, ...``.
    """
    lines = [f"warning: {text}" for text in result["notices"]]
    failed = [e["figure"] for e in result["entries"] if e["status"] != "ok"]
    if failed:
        lines.append(f"{len(failed)} failed: {', '.join(failed)}")
    return lines
