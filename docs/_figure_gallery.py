"""Draw one figure of ``paper_figures/`` in quick mode for the sphinx-gallery of the docs.

The gallery scripts of ``docs/gallery/`` are thin callers of :func:`show`: the science and the
plotting live in the figure scripts, which the gallery runs exactly as ``python -m paper_figures
--quick`` does (same seed, same cache format); the data are cached in ``build/docs/figure-cache``
so a rebuild of the site only replots.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
from pathlib import Path

CACHE = Path(
    os.environ.get(
        "RTRL_THEORY_DOCS_FIGURE_CACHE",
        Path(__file__).resolve().parent.parent / "build" / "docs" / "figure-cache",
    )
)


_PENDING: list = []


def _display(path: Path) -> str:
    """``path`` relative to the repository root when it lies inside it, else its name only."""
    root = Path(__file__).resolve().parent.parent
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return path.name


def _relative_paths(text: str) -> str:
    """``text`` with the builder's absolute paths made relative to the repository: the figure
    cache, then the repository itself, then its parent (where ``../shared/data`` lives)."""
    root = Path(__file__).resolve().parent.parent
    text = text.replace(str(CACHE), _display(CACHE))
    text = text.replace(str(root) + os.sep, "")
    return text.replace(str(root.parent) + os.sep, ".." + os.sep)


def scraper(block, block_vars, gallery_conf):
    """sphinx-gallery image scraper for the figures drawn by :func:`show`.

    The figure scripts build ``matplotlib.figure.Figure`` objects without pyplot, which
    sphinx-gallery's matplotlib scraper does not see; :func:`show` queues them here and this
    scraper saves each to the gallery's next image path and returns the reST that shows it.
    """
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    while _PENDING:
        fig = _PENDING.pop(0)
        path = next(block_vars["image_path_iterator"])
        fig.savefig(path, dpi=110)
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def show(name: str) -> None:
    """Compute (or load) figure ``name`` in quick mode and queue its Figure for :func:`scraper`.

    Parameters
    ----------
    name : str
        The stem of a figure script, e.g. ``"fig01_linear_rnn"``.

    The figure is drawn by the script's ``plot`` from the cached quick-mode data; the script's
    own run prints its summary table, which the gallery shows below the figure. A figure whose
    data files are missing (:class:`rtrl_theory.data.MissingDataError`, e.g. on a fresh clone
    without the data directory) is not drawn, and the page prints why.
    """
    from paper_figures import _common
    from rtrl_theory.data import MissingDataError

    module = importlib.import_module(f"paper_figures.{name}")
    buffer, missing = io.StringIO(), None
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            info = module.main(["--quick", "--out", str(CACHE)])
    except MissingDataError as err:
        missing = err
    finally:
        # the page shows the script's summary; the cache's absolute path is the builder's, not
        # the reader's: show it relative to the repository (build/docs/figure-cache)
        print(_relative_paths(buffer.getvalue()), end="")
    if missing is not None:
        # A figure on real data, built where the data directory is absent (a fresh clone): the
        # page says so instead of failing the whole site.
        print(_relative_paths(f"Not drawn in this build: its data are missing.\n{missing}"))
        return
    config = _common.figure_config(module, True, module.DEFAULT_SEED)
    data, _ = _common.load_cache(info["npz"], config)
    fig = module.plot(data)
    _PENDING.append(fig)  # the script's run above printed its summary table
