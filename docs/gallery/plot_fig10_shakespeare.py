"""
Fig. 10 of [P1] (reproduction): tiny shakespeare, RTRL vs TBPTT(20)
===================================================================

Quick mode of ``paper_figures/fig10_shakespeare.py`` (``python -m paper_figures --quick --only fig10_shakespeare``).

.. automodule:: paper_figures.fig10_shakespeare
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig10_shakespeare")
