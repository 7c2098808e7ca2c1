"""Helpers shared by the limit checks (thm-3.16, lemmas 3.12-3.15, 4.2-4.3, cor-3.17).

The paper-RNN configuration is the one of ``_montecarlo`` (imported, not copied): N = 3, d = 2,
f = 0.3 tanh, Example 2.4 inputs (lam = 0.5, C_x = 1), target tanh(w.x) + U[-0.1, 0.1].
Caches are keyed on (quick, seed) and registered with the power harness.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import register_cache

from ._montecarlo import assumptions, bonferroni_z, model_and_process  # noqa: F401

#: Family-wise level of every Monte Carlo test of these checks (Bonferroni over its tests).
LEVEL = 1e-3

CACHE: dict = register_cache({})


def target_constants(process):
    """(C_y, L_target): |y| <= scale + noise, and the target's Lipschitz constant in x."""
    t = process.target
    return float(t.scale + t.noise), float(t.lipschitz)


def one_sided_box_law(jp, n_particles, rng):
    """The box law of ``JointProcess.initial(law="box")`` with J (and H) replaced by |J| (|H|).

    A law unrelated to S (J, H independent of S and of the data) whose sensitivities have a
    NON-zero mean, so that a failure to forget J_0 shows in E[G~_t] (the symmetric box law has
    E J_0 = 0 and would hide it: G~ is linear in J).
    """
    from dataclasses import replace

    z = jp.initial(n_particles, rng, law="box")
    return replace(z, Jt=np.abs(z.Jt), Ht=None if z.Ht is None else np.abs(z.Ht))


def with_alpha(theta, alpha):
    th = np.array(theta, dtype=float, copy=True)
    th[: len(alpha)] = alpha
    return th
