"""
Contraction of the joint process Z_t at fixed theta (Prop. 3.1 / Thm 3.11 of [P1])
==================================================================================

Quick mode of ``paper_figures/fig_contraction.py`` (``python -m paper_figures --quick --only fig_contraction``).

.. automodule:: paper_figures.fig_contraction
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig_contraction")
