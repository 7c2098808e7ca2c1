"""
Fig. 5 of [P1] (reproduction): Elman tanh trained by RTRL
=========================================================

Quick mode of ``paper_figures/fig05_elman_tanh_rtrl.py`` (``python -m paper_figures --quick --only fig05_elman_tanh_rtrl``).

.. automodule:: paper_figures.fig05_elman_tanh_rtrl
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig05_elman_tanh_rtrl")
