"""Scripts regenerating the figures of [P1] Section 7 and the project's theory figures.

One script per figure (``figNN_<slug>.py``, ``fig_<slug>.py``), each with ``compute``, ``plot`` and
``main``; ``python -m paper_figures [--quick] [--out DIR]`` runs them all (STYLE.md section 7).
This package is not installed with ``rtrl_theory``: run it from the repository root.
"""

import os

# The figures' arrays are small (N = 10, batches of 8): multithreaded BLAS only adds contention on
# a two-core machine (measured: a neural-SDE RTRL step of 8 x 32 chains took 5.2 ms with the
# default OpenBLAS threads against 0.65 ms with one), and the compiled RTRL kernel's products of
# Figs. 10-11 slow down by 10-80 times when the cores are oversubscribed (GRU-20, 2,000
# characters: 0.46 s with one thread, 38 s with two beside another busy process). Set here, so
# before NumPy is first imported when a script or ``python -m paper_figures`` starts; an explicit
# setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
