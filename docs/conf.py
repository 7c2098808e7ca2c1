"""Sphinx configuration of the rtrl-theory documentation site (``make docs``).

Generated at build time (all under ``docs/_generated``, ``docs/notebooks``, ``docs/auto_gallery``;
none of it is committed):

* the API pages, one per package of :data:`API_PACKAGES` (adding a subpackage is one line there);
* the verify table, read from the JSON of ``rtrl-theory verify --quick --json PATH`` when the
  environment variable ``RTRL_THEORY_VERIFY_JSON`` names such a file, otherwise the list of
  registered checks (ids, statements, methods, mutants) without running them;
* the notebooks of ``notebooks/`` (jupytext percent scripts), copied here and rendered by
  MyST-NB; executed in quick mode unless ``RTRL_THEORY_DOCS_EXECUTE=0``;
* the gallery of ``docs/gallery/`` (sphinx-gallery), thin scripts that draw the paper's figures
  of ``paper_figures/`` in quick mode; their data is cached in ``build/docs/figure-cache`` so a
  rebuild only replots (``make docs-clean`` or deleting that folder recomputes).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))  # docs/_figure_gallery.py, used by the gallery scripts

# Quick mode for everything executed during the build (notebooks, gallery); one BLAS thread.
os.environ.setdefault("RTRL_THEORY_QUICK", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import rtrl_theory  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The packages of the API reference, in the order of the sidebar. Adding one is one line here.
API_PACKAGES = [
    "rtrl_theory.cells",
    "rtrl_theory.engine",
    "rtrl_theory.data",
    "rtrl_theory.bounds",
    "rtrl_theory.optim",
    "rtrl_theory.runners",
    "rtrl_theory.setups",
    "rtrl_theory.estimators",
    "rtrl_theory.oracles",
    "rtrl_theory.checks",
    "rtrl_theory.symbolic",
    "rtrl_theory.plotting",
]
# Packages that may appear later from other branches; listed when importable.
API_PACKAGES_OPTIONAL = ["rtrl_theory.online"]

project = "rtrl-theory"
author = "the rtrl-theory developers"
copyright = "2025-2026, the rtrl-theory developers"
release = version = rtrl_theory.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_generated/*.inc",
    "gallery/README.rst",
    "auto_gallery/*.ipynb",
    "auto_gallery/*.py",
    "auto_gallery/*.zip",
    "auto_gallery/*.json",
    "auto_gallery/*.md5",
    "auto_gallery/*.pickle",
    "**.ipynb_checkpoints",
    # .py files are notebooks (MyST-NB + jupytext) only under notebooks/
    "conf.py",
    "_figure_gallery.py",
    "gallery/*",
    "api/*.py",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".py": "myst-nb"}

html_theme = "alabaster"
html_title = f"rtrl-theory {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Checks of the convergence theory of RTRL ([P1], arXiv:2501.08040)",
    "page_width": "1180px",
    "sidebar_width": "240px",
}

# MathJax: RTRL_THEORY_MATHJAX_PATH (a URL, e.g. a local copy such as
# file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_HTML from Debian's
# libjs-mathjax) if set; else the MathJax 3 files of sphinx-mathjax-offline (the docs extra),
# copied into the site's _static, so the formulas render without a network; else its CDN.
if os.environ.get("RTRL_THEORY_MATHJAX_PATH"):
    mathjax_path = os.environ["RTRL_THEORY_MATHJAX_PATH"]
elif importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")  # sets mathjax_path = "mathjax/tex-chtml.js"

# --- autodoc / numpydoc ----------------------------------------------------------------------
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_mock_imports = ["jax"]
autosummary_generate = False  # the API pages are generated below, from API_PACKAGES
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# --- MyST / MyST-NB (the theory page and the notebooks) ---------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# Sphinx's own MathJax set-up (math in \( \) and \[ \] spans) rather than MyST's, whose
# ignore-wrapper only MathJax 3 understands: the offline MathJax 2 of RTRL_THEORY_MATHJAX_PATH
# then renders too.
myst_update_mathjax = False
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
_EXECUTE = os.environ.get("RTRL_THEORY_DOCS_EXECUTE", "1") != "0"
nb_execution_mode = "cache" if _EXECUTE else "off"
nb_execution_cache_path = str(ROOT / "build" / "docs" / "jupyter-cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_excludepatterns = ["gallery/*", "auto_gallery/*", "conf.py", "_figure_gallery.py"]
nb_merge_streams = True

# --- sphinx-gallery --------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["gallery"],
    "gallery_dirs": ["auto_gallery"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib", "_figure_gallery.scraper"),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "plot_gallery": os.environ.get("RTRL_THEORY_DOCS_GALLERY", "True"),
    "abort_on_example_error": True,
}

# --- warnings --------------------------------------------------------------------------------
# None suppressed: the build is clean with -W. Should a docstring of a module under active
# work elsewhere break it, suppress narrowly here (one warning type, with the module named in a
# comment) rather than globally.
suppress_warnings: list[str] = []

GEN = DOCS / "_generated"


# ---------------------------------------------------------------------------------------------
# Generated pages
def _api_packages() -> list[str]:
    names = list(API_PACKAGES)
    for name in API_PACKAGES_OPTIONAL:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        names.append(name)
    return names


def _first_line(obj) -> str:
    """The first sentence of the docstring's first paragraph (it may span several lines)."""
    doc = (getattr(obj, "__doc__", None) or "").strip().split("\n\n")[0]
    text = " ".join(doc.split())
    head, sep, _ = text.partition(". ")
    return head + ("." if sep else "")


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# Names under which an object is exported but not documented -> where it is documented, e.g.
# "rtrl_theory.PaperRNN" -> "rtrl_theory.cells.PaperRNN" (filled by write_api_pages and used by
# _resolve_alias, so that references to the curated top level resolve).
_CANONICAL: dict[str, str] = {}


def write_api_pages() -> None:
    """``docs/api/<package>.rst`` for each package, and ``docs/api/index.rst``.

    An object exported by several packages (or re-exported at the top level) is documented once,
    on the first package page that lists it; later pages link to it.
    """
    api = DOCS / "api"
    api.mkdir(exist_ok=True)
    seen: dict[int, str] = {}
    pages = []
    for name in _api_packages():
        mod = importlib.import_module(name)
        public = list(getattr(mod, "__all__", []))
        own, elsewhere = [], []
        for attr in public:
            obj = getattr(mod, attr)
            key = id(obj)
            documentable = callable(obj) or isinstance(obj, type)
            if documentable and key in seen:
                elsewhere.append((attr, seen[key]))
                _CANONICAL[f"{name}.{attr}"] = seen[key]
                continue
            if documentable:
                seen[key] = f"{name}.{attr}"
            own.append(attr)
        short = name.rsplit(".", 1)[-1]
        title = f"``{short}``: {_first_line(mod).rstrip('.')}" if _first_line(mod) else short
        lines = [title, "=" * len(title), "", f".. currentmodule:: {name}", ""]
        # The summary table lists classes and functions (for data, autosummary would show the
        # docstring of its type); data follow as autodata entries.
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {attr}" for attr in own if callable(getattr(mod, attr))]
        lines += [""]
        if elsewhere:
            lines += ["Also exported here (documented once, elsewhere):", ""]
            lines += [f"* ``{attr}``: :py:obj:`{target}`" for attr, target in elsewhere]
            lines += [""]
        lines += [f".. automodule:: {name}", "   :no-members:", ""]
        for attr in own:
            obj = getattr(mod, attr)
            if isinstance(obj, type):
                lines += [f".. autoclass:: {attr}", "   :members:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {attr}", ""]
            else:
                # Data: the value, not autodata's fallback to the docstring of its type.
                value = " ".join(repr(obj).split())
                value = value if len(value) <= 100 else value[:97] + "..."
                lines += [f".. py:data:: {attr}", f"   :value: {value}", ""]
        _write_if_changed(api / f"{short}.rst", "\n".join(lines))
        pages.append(short)
    # The top level: its names, each linked to where it is documented.
    top = [
        "API reference",
        "=============",
        "",
        "The curated top level, :mod:`rtrl_theory`, is what the README imports; the subpackages",
        "below hold the rest. The pages are generated from the docstrings (numpydoc style, with",
        "[P1]'s equation numbers).",
        "",
        ".. automodule:: rtrl_theory",
        "   :no-members:",
        "",
        "Top-level names",
        "---------------",
        "",
    ]
    for attr in rtrl_theory.__all__:
        if attr.startswith("__"):
            continue
        obj = getattr(rtrl_theory, attr)
        target = seen.get(id(obj))
        if target:
            _CANONICAL[f"rtrl_theory.{attr}"] = target
        top.append(f"* :py:obj:`{attr} <{target}>`" if target else f"* ``{attr}``")
    top += ["", ".. toctree::", "   :maxdepth: 1", "   :caption: Subpackages", ""]
    top += [f"   {p}" for p in pages]
    _write_if_changed(api / "index.rst", "\n".join(top) + "\n")


def _rst_cell(text) -> str:
    """One line of plain text, with reST's inline markup characters escaped."""
    text = " ".join(str(text or "").split())
    for ch in "\\*`|_":
        text = text.replace(ch, "\\" + ch)
    return text or " "


def write_verify_table() -> None:
    """``docs/_generated/verify_table.inc``: one section per check, with an anchor per id.

    From ``$RTRL_THEORY_VERIFY_JSON`` (the output of ``rtrl-theory verify --quick --json PATH``)
    when set, else from :func:`rtrl_theory.checks.discover` without running anything.
    """
    from rtrl_theory.checks import discover

    registry = discover()
    source = os.environ.get("RTRL_THEORY_VERIFY_JSON", "")
    results = {}
    if source:
        payload = json.loads(Path(source).read_text())
        results = {r["id"]: r for r in payload["results"]}
        counts = ", ".join(f"{v} {k}" for k, v in payload.get("counts", {}).items() if v)
        head = [
            f"The table below is the result of ``rtrl-theory verify --{payload.get('mode', 'quick')}"
            f" --json`` read at build time ({counts}).",
            "",
        ]
    else:
        head = [
            ".. note::",
            "",
            "   This build did **not run** the checks (a quick run takes minutes): it lists the",
            "   registered checks of ``proofs_checks/`` with their statements and mutants. Run",
            "   ``rtrl-theory verify --quick --json verify.json`` and build with",
            "   ``RTRL_THEORY_VERIFY_JSON=verify.json make docs`` to show the statuses here.",
            "",
        ]
    lines = list(head)
    lines += [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 62 20",
        "",
        "   * - id",
        "     - statement",
        "     - status" if results else "     - mutants",
    ]
    for cid, mod in registry.items():
        lines += [f"   * - :ref:`{cid} <check-{cid}>`", f"     - {_rst_cell(mod.STATEMENT)}"]
        if results:
            lines += [f"     - {_rst_cell(results.get(cid, {}).get('status', 'not run'))}"]
        else:
            lines += [f"     - {len(getattr(mod, 'MUTANTS', ()))}"]
    lines += [""]
    for cid, mod in registry.items():
        title = f"``{cid}``"
        lines += [f".. _check-{cid}:", "", title, "-" * len(title), ""]
        lines += [f"**Statement.** {_rst_cell(mod.STATEMENT)}", ""]
        lines += [f"**Module.** ``{mod.__name__}``", ""]
        r = results.get(cid)
        if r:
            for key in ("status", "claimed", "measured", "method", "reason"):
                if r.get(key):
                    lines += [f"**{key.capitalize()}.** {_rst_cell(r[key])}", ""]
        doc = (mod.__doc__ or "").strip().splitlines()
        if doc:
            lines += [f"**Method (from the module docstring).** {_rst_cell(doc[0])}", ""]
        mutants = getattr(mod, "MUTANTS", ())
        if mutants:
            lines += ["**Mutants** (wrong claims the check must reject):", ""]
            for m in mutants:
                extra = "" if m.catchable else f" (not catchable: {_rst_cell(m.why_not)})"
                lines += [f"* ``{m.name}``: {_rst_cell(m.description)}{extra}"]
            lines += [""]
    _write_if_changed(GEN / "verify_table.inc", "\n".join(lines) + "\n")


def copy_notebooks() -> None:
    """Copy ``notebooks/[0-9]*.py`` to ``docs/notebooks/`` (rendered by MyST-NB)."""
    dest = DOCS / "notebooks"
    dest.mkdir(exist_ok=True)
    names = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.py"))
    for p in dest.glob("*.py"):
        if p.name not in names:
            p.unlink()
    for name in names:
        src = ROOT / "notebooks" / name
        if not (dest / name).exists() or (dest / name).read_bytes() != src.read_bytes():
            shutil.copyfile(src, dest / name)
    index = [
        "Notebooks",
        "=========",
        "",
        "The notebooks of ``notebooks/`` (jupytext percent scripts; open them in JupyterLab with",
        "jupytext, or run ``make notebooks``), rendered here"
        + (
            " with their outputs, executed in quick mode during the build."
            if _EXECUTE
            else " **without** their outputs (this build set ``RTRL_THEORY_DOCS_EXECUTE=0``)."
        ),
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {Path(n).stem}" for n in names]
    _write_if_changed(dest / "index.rst", "\n".join(index) + "\n")


def _resolve_alias(app, env, node, contnode):
    """Resolve a Python reference through :data:`_CANONICAL` (``missing-reference`` handler)."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    for alias, canon in _CANONICAL.items():
        if target == alias or target.startswith(alias + "."):
            new = canon + target[len(alias) :]
            domain = env.get_domain("py")
            return domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], new, node, contnode
            )
    return None


def setup(app):
    app.connect("missing-reference", _resolve_alias)


write_api_pages()
write_verify_table()
copy_notebooks()
