"""Progress bars: tqdm's notebook bar where it can draw, its text bar elsewhere.

``tqdm.auto`` picks the notebook widget inside a Jupyter kernel; without ipywidgets installed it
then warns (``TqdmWarning: IProgress not found``) and shows no bar. The docs' executed notebooks
printed that warning, with the builder's path, in five notebooks. :func:`tqdm_class` picks the
text bar in that case and is the one place the library chooses.
"""

from __future__ import annotations

__all__ = ["tqdm_class"]


def tqdm_class():
    """Return the progress-bar class: ``tqdm.auto.tqdm`` if ipywidgets imports, else tqdm's text bar.

    Returns
    -------
    type
        A ``tqdm`` class (``tqdm.auto.tqdm`` or ``tqdm.std.tqdm``).
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm.std import tqdm

        return tqdm
    from tqdm.auto import tqdm

    return tqdm
