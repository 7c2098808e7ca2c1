"""Machinery shared by the figure scripts of ``paper_figures/`` (STYLE.md section 7).

Each script ``figNN_<slug>.py`` defines

* ``NAME`` (its file stem), ``DEFAULT_SEED`` and ``VERSION`` (bumped when ``compute`` changes, so
  that old caches are recomputed);
* ``settings(quick) -> dict``: the JSON-serialisable sizes ``compute`` uses (part of the cache key);
* ``compute(quick, rng, **cache) -> dict of arrays`` and ``plot(data) -> Figure``;
* ``main(argv=None)``, which calls :func:`run_figure` on the module (:func:`script_main`).

The Section 7 scripts (Figs. 1-9) get all of these from one call,
:func:`paper_figures._section7.figure`: each is its caption and a preset.

:func:`run_figure` parses ``--quick``, ``--out DIR``, ``--seed``, ``--recompute`` (and ``--jobs N``,
``--dask-scheduler ADDRESS``: where the runs of the figure's sweep execute, see
:func:`sweep_options`; they do not change the results, so they are not part of the cache); reuses
``<out>/<NAME>[_quick].npz`` when its stored configuration (schema, figure, version, mode, seed and
settings) equals the current one, otherwise computes and writes it atomically together with the
seed and the configuration as JSON; then plots in the shared style and writes PNG and PDF
atomically (:func:`rtrl_theory.plotting.save_figure`). Figures are built as
``matplotlib.figure.Figure`` objects, never through pyplot's global figure manager, so nothing is
shown and nothing leaks between scripts; when there is no display the Agg backend is selected.

Shared style: RTRL is always drawn in one colour (:data:`RTRL_COLOR`); TBPTT(tau) takes its
colour from a sequential palette indexed by :math:`\\log\\tau` (:func:`tbptt_color`), the same for
every figure; losses are drawn as :math:`\\log_{10}` of windowed means, as [P1] Section 7 plots
the log-loss.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import functools
import inspect
import json
import math
import os
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from rtrl_theory.runners._records import atomic_path, environment_info, to_jsonable

__all__ = [
    "FIGURE_SCHEMA",
    "RTRL_COLOR",
    "ROOT",
    "STYLE",
    "figure_config",
    "load_cache",
    "lr_color",
    "new_figure",
    "parse_args",
    "run_figure",
    "save_cache",
    "script_main",
    "styled",
    "sweep_options",
    "tbptt_color",
]

FIGURE_SCHEMA = "rtrl-theory/paper-figure/1"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "figures"

#: The one colour of RTRL in every figure.
RTRL_COLOR = "#d62728"
#: Truncation range the TBPTT palette spans (log scale); larger tau get the last colour.
_TAU_RANGE = (1, 20)

#: Shared matplotlib settings (applied by :func:`styled` while a figure is built).
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "lines.linewidth": 1.4,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 150,
}


#: Where the sweep runs of the figure being computed execute (set by :func:`run_figure`).
#: ``(n_jobs, dask_scheduler)``.
_SWEEP_OPTIONS: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "paper_figures_sweep_options", default=(1, None)
)


def sweep_options() -> dict:
    """``{"n_jobs", "dask_scheduler"}`` of the figure being computed (``--jobs``, ``--dask-scheduler``).

    :func:`run_figure` sets them for the duration of ``compute``; figure code hands them to
    :func:`rtrl_theory.runners.run_sweep` (see :func:`paper_figures._section7.compute_sweep`).
    Outside :func:`run_figure`: one process, no cluster.
    """
    n_jobs, dask_scheduler = _SWEEP_OPTIONS.get()
    return {"n_jobs": n_jobs, "dask_scheduler": dask_scheduler}


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 and n != -1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or -1, got {text!r}")
    return n


def _use_agg_without_display() -> None:
    """Select Agg when no display is available (and no backend was asked for)."""
    import matplotlib

    if os.environ.get("MPLBACKEND") is None and not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")


def styled(plot):
    """Decorator: build the figure of ``plot(data)`` under :data:`STYLE`."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 3.2, height: float = 2.6, **kw):
    """A ``Figure`` (no pyplot) with an ``(nrows, ncols)`` array of axes, constrained layout."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def tbptt_color(tau: int):
    r"""Colour of TBPTT(tau): viridis at a position growing with :math:`\log\tau` (fixed map)."""
    from matplotlib import colormaps

    lo, hi = (math.log(t) for t in _TAU_RANGE)
    u = (math.log(max(int(tau), 1)) - lo) / (hi - lo)
    return colormaps["viridis"](0.05 + 0.8 * min(max(u, 0.0), 1.0))


def lr_color(i: int, n: int):
    """Colour of the i-th of n initial learning rates in an RTRL-only plot (light to dark red)."""
    from matplotlib import colormaps

    return colormaps["Reds"](0.4 + 0.55 * (i / max(n - 1, 1)))


def parse_args(argv=None, *, description: str = "", default_seed: int = 0) -> argparse.Namespace:
    """The flags every figure script takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--quick", action="store_true", help="small sizes: the script takes seconds (for tests/CI)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"output folder for PNG, PDF and the .npz cache (default {DEFAULT_OUT})",
    )
    p.add_argument("--seed", type=int, default=default_seed, help=f"default {default_seed}")
    p.add_argument(
        "--recompute",
        action="store_true",
        help="ignore the caches (figure data and sweep runs) and recompute",
    )
    p.add_argument("--progress", action="store_true", help="progress bars on stderr")
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="worker processes for the figure's sweep runs (joblib; -1: one per core; default 1)",
    )
    p.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the figure's sweep runs on this Dask scheduler (e.g. tcp://host:8786)",
    )
    return p.parse_args(argv)


def figure_config(module, quick: bool, seed: int) -> dict:
    """The configuration a cache must match: schema, figure, version, mode, seed, settings."""
    return to_jsonable(
        {
            "schema": FIGURE_SCHEMA,
            "figure": module.NAME,
            "version": int(getattr(module, "VERSION", 1)),
            "quick": bool(quick),
            "seed": int(seed),
            "settings": module.settings(quick),
        }
    )


def _json(obj) -> str:
    return json.dumps(to_jsonable(obj), sort_keys=True, allow_nan=False)


def save_cache(path, data: dict, config: dict, *, compute_seconds: float) -> Path:
    """Write ``data`` (dict of arrays) with its seed and configuration to ``path`` atomically."""
    reserved = [k for k in data if k.startswith("__")]
    if reserved:
        raise ValueError(f"data: keys starting with '__' are reserved, got {reserved}")
    arrays = {k: np.asarray(v) for k, v in data.items()}
    for k, v in arrays.items():
        if v.dtype == object:
            raise TypeError(f"data[{k!r}]: object arrays cannot be cached without pickle")
    meta = {
        "__config__": np.array(_json(config)),
        "__seed__": np.array(int(config["seed"])),
        "__compute_seconds__": np.array(float(compute_seconds)),
        "__environment__": np.array(_json(environment_info())),
    }
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays, **meta)
    return Path(path)


#: What reading a damaged ``.npz`` raises: truncated or bit-flipped archives (BadZipFile, "Bad
#: CRC-32"), damaged compressed members (zlib.error), cut-off arrays (EOFError, ValueError), a
#: missing metadata member (KeyError), an unreadable file (OSError).
_CORRUPT = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def load_cache(path, config: dict, *, problems: list | None = None):
    """``(data, compute_seconds)`` from ``path`` if it exists and matches ``config``, else None.

    A cache written for another configuration is None silently (the normal case of a changed
    setting). A cache that cannot be read (truncated, bit-flipped, not an ``.npz``) is None as
    well, and a sentence saying so is appended to ``problems`` when a list is given:
    :func:`run_figure` prints it as a warning and recomputes.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            stored = json.loads(str(z["__config__"]))
            if stored != json.loads(_json(config)):
                return None
            data = {k: z[k] for k in z.files if not k.startswith("__")}
            seconds = float(z["__compute_seconds__"])
    except _CORRUPT as exc:
        if problems is not None:
            problems.append(
                f"the data cache {path} is corrupt or unreadable ({type(exc).__name__}: {exc}); "
                "recomputing it"
            )
        return None
    return data, seconds


def run_figure(module, argv=None) -> dict:
    """Compute (or load) the data of ``module``, plot it and save PNG and PDF.

    Parameters
    ----------
    module : module
        A figure script (module docstring of :mod:`paper_figures._common`).
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    dict
        ``png``, ``pdf``, ``npz`` paths, ``cached`` (bool), ``compute_seconds`` (of the data,
        stored in the cache), ``wall_seconds`` (this call), ``summary`` (the module's
        ``summary(data)`` text, if it defines one) and ``warnings`` (sentences, e.g. a corrupt
        data cache that was recomputed; also printed on stderr).
    """
    t_start = time.perf_counter()
    doc = (module.__doc__ or "").strip().splitlines()
    args = parse_args(
        argv, description=doc[0] if doc else module.NAME, default_seed=module.DEFAULT_SEED
    )
    _use_agg_without_display()
    out = Path(args.out)
    stem = module.NAME + ("_quick" if args.quick else "")
    npz = out / f"{stem}.npz"
    config = figure_config(module, args.quick, args.seed)
    problems: list[str] = []
    hit = None if args.recompute else load_cache(npz, config, problems=problems)
    for text in problems:
        print(f"warning: {module.NAME}: {text}", file=sys.stderr, flush=True)
    if hit is not None:
        data, compute_seconds = hit
        cached = True
    else:
        kwargs = {}
        params = inspect.signature(module.compute).parameters
        if "cache_dir" in params:
            kwargs["cache_dir"] = out / ".runs"
        if "recompute" in params:
            kwargs["recompute"] = args.recompute
        if "progress" in params:
            kwargs["progress"] = args.progress
        options = {"n_jobs": args.jobs, "dask_scheduler": args.dask_scheduler}
        for name, value in options.items():
            if name in params:
                kwargs[name] = value
        token = _SWEEP_OPTIONS.set((args.jobs, args.dask_scheduler))
        t0 = time.perf_counter()
        try:
            data = module.compute(args.quick, np.random.default_rng(args.seed), **kwargs)
        finally:
            _SWEEP_OPTIONS.reset(token)
        compute_seconds = time.perf_counter() - t0
        save_cache(npz, data, config, compute_seconds=compute_seconds)
        data = load_cache(npz, config)[0]  # plot what was cached, exactly as a rerun would
        cached = False
    from rtrl_theory.plotting import save_figure

    fig = module.plot(data)
    png = out / f"{stem}.png"
    with _rc():
        save_figure(fig, png, pdf=True)
    summary = module.summary(data) if hasattr(module, "summary") else ""
    info = {
        "figure": module.NAME,
        "png": png,
        "pdf": png.with_suffix(".pdf"),
        "npz": npz,
        "cached": cached,
        "compute_seconds": compute_seconds,
        "wall_seconds": time.perf_counter() - t_start,
        "summary": summary,
        "warnings": problems,
    }
    how = "cached data" if cached else "computed"
    print(
        f"{module.NAME}: {how} ({compute_seconds:.1f} s of compute), wrote {png} and .pdf",
        file=sys.stderr,
    )
    if summary:
        print(summary, file=sys.stderr)
    return info


def script_main(module_name: str):
    """``main(argv=None) -> dict`` of the figure script ``module_name``: :func:`run_figure` on it.

    A script ends with ``main = _common.script_main(__name__)``, once it has all its names. When
    ``module_name`` is ``"__main__"`` (``python paper_figures/<script>.py [flags]``) this also
    runs ``main()`` on the command line's flags, so that the script needs no ``if __name__ ==
    "__main__"`` block of its own.
    """

    def main(argv=None) -> dict:
        return run_figure(sys.modules[module_name], argv)

    main.__module__ = module_name
    if module_name == "__main__":
        main()
    return main


@contextlib.contextmanager
def _rc():
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield
