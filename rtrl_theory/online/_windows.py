r"""Windows of a text as the particles of the stationary-bias meter.

A text is one realisation of a stream, not a Markov chain with a known law, so "the stationary
law" has to be made concrete. :class:`TextWindows` takes the empirical one: particle k starts
at an offset :math:`o_k` drawn uniformly (independently, with replacement) from the admissible
positions of the text, reads the characters :math:`x_{o_k}, x_{o_k+1}, \dots` as inputs and the
next characters as targets, and runs ``burn_in`` steps before its average is recorded (the
hidden state and sensitivities start from zero at the window's start; the burn-in lets them
forget it, as for a chain). What the meter then estimates is

.. math:: b_A(\theta) \approx E_{o}\Bigl[\frac1n\sum_{t=b}^{b+n-1}
          (\tilde G_A - \tilde G)(o + t)\Bigr],

the bias averaged over the positions of the text: the stationary bias of the text's empirical
(shift-invariant) law, if the text is long and mixing enough for position averages to stand for
expectations. The particles are i.i.d. *given the text* (independent offsets), so the meter's
Student-t intervals are valid for this text-conditional quantity; windows that overlap are
correlated through the text, which the interval does not see beyond what the offsets' spread
shows (with K windows of length b + n in a text of length T, the expected overlap fraction is
about K (b + n) / T; keep it small). They say nothing about another text from the same source.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory._validate import positive_int

__all__ = ["TextWindows"]


class TextWindows:
    """Independent random windows of an encoded text, for :func:`stationary_bias` (module doc).

    Parameters
    ----------
    indices : array of int (T,)
        The encoded text (e.g. ``tiny_shakespeare().train``).
    n_vocab : int
        Vocabulary size (the model's one-hot input dimension).
    """

    def __init__(self, indices, n_vocab: int) -> None:
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.size < 3 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError("indices: expected a 1-d integer array of at least 3 symbols")
        self.n_vocab = positive_int(n_vocab, "n_vocab")
        if idx.min() < 0 or idx.max() >= self.n_vocab:
            raise ValueError(f"indices: symbols must lie in [0, {self.n_vocab})")
        self.indices = idx.astype(np.int64)

    def sampler(self, n_particles: int, n_total: int, rng):
        """``next() -> (X (K,), Y (K,))``: the t-th input and target of every window."""
        K = positive_int(n_particles, "n_particles")
        T = self.indices.size
        if n_total + 1 > T:
            raise ValueError(f"n_steps + burn_in: {n_total} steps need a text longer than {T}")
        offsets = rng.integers(0, T - n_total, size=K)
        t = [0]

        def take():
            pos = offsets + t[0]
            t[0] += 1
            return self.indices[pos], self.indices[pos + 1]

        return take
