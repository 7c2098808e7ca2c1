"""Scripts regenerating the figures of [P1] Section 7 and the project's theory figures.

One script per figure (``figNN_<slug>.py``, ``fig_<slug>.py``), each with ``compute``, ``plot`` and
``main``; ``python -m paper_figures [--quick] [--out DIR]`` runs them all (STYLE.md section 7).
This package is not installed with ``rtrl_theory``: run it from the repository root.
"""
