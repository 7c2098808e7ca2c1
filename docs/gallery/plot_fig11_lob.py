"""
Fig. 11 of [P1] (reproduction): limit order book, RTRL vs TBPTT
===============================================================

Quick mode of ``paper_figures/fig11_lob.py`` (``python -m paper_figures --quick --only fig11_lob``).

.. automodule:: paper_figures.fig11_lob
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig11_lob")
