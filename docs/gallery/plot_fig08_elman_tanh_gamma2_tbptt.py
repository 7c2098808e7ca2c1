"""
Fig. 8 of [P1] (reproduction): Elman tanh, gamma = 1, trained by TBPTT
======================================================================

Quick mode of ``paper_figures/fig08_elman_tanh_gamma2_tbptt.py`` (``python -m paper_figures --quick --only fig08_elman_tanh_gamma2_tbptt``).

.. automodule:: paper_figures.fig08_elman_tanh_gamma2_tbptt
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig08_elman_tanh_gamma2_tbptt")
