"""Consistency of the documentation site's sources with the library (no Sphinx needed).

Truth: the figure scripts of ``paper_figures/`` and the check registry
(``rtrl_theory.checks.discover``); the docs must follow them, so that a new figure or check
cannot be left out of the gallery or of "The theory in 10 pages" unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path

from rtrl_theory.checks import discover

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_gallery_has_one_thin_script_per_figure():
    figures = {p.stem for p in (ROOT / "paper_figures").glob("fig*.py")}
    gallery = {}
    for p in (DOCS / "gallery").glob("plot_*.py"):
        text = p.read_text()
        assert text.startswith('"""'), f"{p.name}: sphinx-gallery needs a docstring header"
        called = re.findall(r'show\("([^"]+)"\)', text)
        assert called == [p.stem.removeprefix("plot_")], f"{p.name}: calls show({called})"
        gallery[p.stem.removeprefix("plot_")] = p
    assert set(gallery) == figures


def test_theory_page_links_every_check():
    text = (DOCS / "theory.md").read_text()
    linked = set(re.findall(r"<check-([a-z0-9.-]+)>", text))
    ids = set(discover())
    assert linked <= ids, f"links to unknown checks: {sorted(linked - ids)}"
    assert ids - linked == set(), f"checks not linked from theory.md: {sorted(ids - linked)}"
