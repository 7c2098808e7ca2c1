"""
Fig. 9 of [P1] (reproduction): neural SDE, RTRL vs TBPTT
========================================================

Quick mode of ``paper_figures/fig09_neural_sde.py`` (``python -m paper_figures --quick --only fig09_neural_sde``).

.. automodule:: paper_figures.fig09_neural_sde
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig09_neural_sde")
