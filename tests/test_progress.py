"""The progress-bar choice (rtrl_theory._progress): truth is tqdm's own classes."""

import sys
import types

import tqdm.auto
import tqdm.std

from rtrl_theory._progress import tqdm_class


def test_text_bar_without_ipywidgets(monkeypatch):
    """Without ipywidgets a notebook bar cannot draw (tqdm.auto would warn): the text bar."""
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import raises ImportError
    assert tqdm_class() is tqdm.std.tqdm


def test_auto_bar_with_ipywidgets(monkeypatch):
    """With ipywidgets importable, tqdm.auto decides (the notebook bar inside a kernel)."""
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    assert tqdm_class() is tqdm.auto.tqdm
