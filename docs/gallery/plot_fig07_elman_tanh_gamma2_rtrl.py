"""
Fig. 7 of [P1] (reproduction): Elman tanh, gamma = 1, trained by RTRL
=====================================================================

Quick mode of ``paper_figures/fig07_elman_tanh_gamma2_rtrl.py`` (``python -m paper_figures --quick --only fig07_elman_tanh_gamma2_rtrl``).

.. automodule:: paper_figures.fig07_elman_tanh_gamma2_rtrl
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig07_elman_tanh_gamma2_rtrl")
