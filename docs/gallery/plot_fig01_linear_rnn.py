"""
Fig. 1 of [P1] (reproduction): linear RNN, RTRL vs TBPTT
========================================================

Quick mode of ``paper_figures/fig01_linear_rnn.py`` (``python -m paper_figures --quick --only fig01_linear_rnn``).

.. automodule:: paper_figures.fig01_linear_rnn
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig01_linear_rnn")
