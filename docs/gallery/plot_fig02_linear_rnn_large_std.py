"""
Fig. 2 of [P1] (reproduction): linear RNN, input std x 5, RTRL vs TBPTT
=======================================================================

Quick mode of ``paper_figures/fig02_linear_rnn_large_std.py`` (``python -m paper_figures --quick --only fig02_linear_rnn_large_std``).

.. automodule:: paper_figures.fig02_linear_rnn_large_std
   :no-members:
   :no-index:
"""

# sphinx_gallery_thumbnail_number = 1
from _figure_gallery import show

show("fig02_linear_rnn_large_std")
