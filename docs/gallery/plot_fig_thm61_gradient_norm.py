"""
Theorem 6.1 of [P1]: the gradient norm of L along online RTRL tends to 0; TBPTT(1) plateaus
===========================================================================================

Quick mode of ``paper_figures/fig_thm61_gradient_norm.py`` (``python -m paper_figures --quick --only fig_thm61_gradient_norm``).

.. automodule:: paper_figures.fig_thm61_gradient_norm
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig_thm61_gradient_norm")
