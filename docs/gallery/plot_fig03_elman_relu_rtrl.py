"""
Fig. 3 of [P1] (reproduction): Elman ReLU trained by RTRL
=========================================================

Quick mode of ``paper_figures/fig03_elman_relu_rtrl.py`` (``python -m paper_figures --quick --only fig03_elman_relu_rtrl``).

.. automodule:: paper_figures.fig03_elman_relu_rtrl
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig03_elman_relu_rtrl")
