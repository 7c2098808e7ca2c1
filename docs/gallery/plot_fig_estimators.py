"""
Stationary bias of online gradient estimators against their cost (Thm 3.16 of [P1])
===================================================================================

Quick mode of ``paper_figures/fig_estimators.py`` (``python -m paper_figures --quick --only fig_estimators``).

.. automodule:: paper_figures.fig_estimators
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig_estimators")
