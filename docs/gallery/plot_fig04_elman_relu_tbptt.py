"""
Fig. 4 of [P1] (reproduction): Elman ReLU trained by TBPTT
==========================================================

Quick mode of ``paper_figures/fig04_elman_relu_tbptt.py`` (``python -m paper_figures --quick --only fig04_elman_relu_tbptt``).

.. automodule:: paper_figures.fig04_elman_relu_tbptt
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig04_elman_relu_tbptt")
