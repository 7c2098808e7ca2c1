"""
Fig. 6 of [P1] (reproduction): Elman tanh trained by TBPTT
==========================================================

Quick mode of ``paper_figures/fig06_elman_tanh_tbptt.py`` (``python -m paper_figures --quick --only fig06_elman_tanh_tbptt``).

.. automodule:: paper_figures.fig06_elman_tanh_tbptt
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig06_elman_tanh_tbptt")
