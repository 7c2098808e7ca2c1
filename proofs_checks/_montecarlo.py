"""Shared set-up of the Monte Carlo checks: one configuration inside the theorem's hypotheses.

Paper RNN N = 3, d = 2, f = 0.3 tanh (N C_f = 0.9), g = tanh; Example 2.4 inputs with lam = 0.5
and noise U[-0.5, 0.5]^2 (C_x = 1); a Lipschitz target tanh(w . x) + U[-0.1, 0.1] noise. The
assumptions checker gives rho ~ 0.74 < 1, rho_bar = max(lam, rho). Seeds are fixed per check.
Results shared by several checks (the limit gradient) are cached per mode; the adversarial
Lipschitz search shared by prop-3.1, lemma-3.8 and lemma-3.9 per (quick, seed), registered with
``rtrl_theory.checks.register_cache``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from rtrl_theory import PaperRNN, setups
from rtrl_theory.bounds import check_assumptions
from rtrl_theory.checks import register_cache
from rtrl_theory.runners import JointProcess

N, D, C_F, C_G, LAM, NOISE, TARGET_NOISE = 3, 2, 0.3, 1.0, 0.5, 0.5, 0.1

#: The configuration above as a library set-up (target weights from seed 0, parameters from 1).
CONFIG = setups.PaperConfig(
    n_hidden=N, n_input=D, c_f=C_F, c_g=C_G, bounded_map="tanh", lam=LAM, noise=NOISE,
    target_noise=TARGET_NOISE,
)


def model_and_process():
    s = setups.PaperSetup.build(
        CONFIG, (np.random.default_rng(0), np.random.default_rng(1)), joint=False
    )
    return s.model, s.params, s.process


def joint_process(order: int = 1) -> JointProcess:
    model, params, proc = model_and_process()
    return JointProcess(model, params, proc, order=order)


@lru_cache(maxsize=1)
def assumptions():
    model, _, proc = model_and_process()
    return check_assumptions(N, D, C_F, C_G, "tanh", LAM, proc.chain.C_x)


def sizes(quick: bool) -> dict:
    """Particles, steps and burn-in per mode (burn-in: rho_bar^burn_in < 1e-6)."""
    from rtrl_theory.estimators import burn_in_for

    burn = burn_in_for(assumptions().rho_bar, 1e-6)
    if quick:
        return {"n_particles": 400, "n_steps": 200, "burn_in": burn}
    return {"n_particles": 4000, "n_steps": 1000, "burn_in": burn}


_CACHE: dict = {}


def gradients(quick: bool):
    """(E_pi[G~], finite differences of L with common random numbers), independent seeds."""
    from rtrl_theory.estimators import finite_difference_limit_gradient, limit_gradient

    if quick not in _CACHE:
        jp = joint_process(order=1)
        s = sizes(quick)
        g = limit_gradient(jp, rng=316, **s)
        fd = finite_difference_limit_gradient(jp, h=1e-4, rng=317, **s)
        _CACHE[quick] = (g, fd)
    return _CACHE[quick]


def bonferroni_z(n_tests: int, alpha: float = 1e-3) -> float:
    """Two-sided critical |z| for ``n_tests`` tests at family-wise level ``alpha``."""
    from scipy.stats import norm

    return float(norm.isf(alpha / (2 * n_tests)))


def contraction_runs(quick: bool):
    """The two couplings of Proposition 3.1 / Theorem 3.11 on the shared configuration (cached).

    (ii) synchronous: point law (x0 = 0, S0 = 0) against the uniform law on the a-priori box, all
    coordinates of Z = (X, eta, S, J, H); (i) independent: point laws at x0 = +1 and x0 = -1 (with
    S0 = 0 and 1), W1 of the first input coordinate (exact 1-D W1, a lower bound on the joint W1).
    """
    import numpy as np

    from rtrl_theory.estimators import estimate_contraction_rate

    key = ("contraction", quick)
    if key not in _CACHE:
        jp = joint_process(order=2)
        K = 500 if quick else 2000
        x0 = jp.flatten(jp.initial(K, rng=31, law="point"))
        y0 = jp.flatten(jp.initial(K, rng=32, law="box"))
        sync = estimate_contraction_rate(jp.markov_step, x0, y0, 60, coupling="synchronous", rng=33)
        jp1 = joint_process(order=1)
        K1 = 2000 if quick else 8000
        a = jp1.flatten(jp1.initial(K1, rng=34, law="point", x0=np.ones(D)))
        b = jp1.flatten(jp1.initial(K1, rng=35, law="point", x0=-np.ones(D), S0=np.ones(N)))
        blocks = {**jp1.blocks, "X0": slice(0, 1)}
        indep = estimate_contraction_rate(
            jp1.markov_step,
            a,
            b,
            15,
            coupling="independent",
            rng=36,
            blocks=blocks,
            block="X0",
            min_points=4,
        )
        _CACHE[key] = (sync, indep)
    return _CACHE[key]


# -- adversarial Lipschitz search (prop-3.1, lemma-3.8, lemma-3.9) --------------------------------
#: Configurations of the search: (N, d, N C_f, bounded map, C_x). The first is the shared
#: configuration of the Monte Carlo checks (N C_f = 0.9); the others vary the map, d and C_x.
SEARCH_CONFIGS = (
    (N, D, N * C_F, "tanh", 1.0),
    (2, 1, 0.5, "tanh", 1.0),
    (2, 2, 1.0, "sigmoid", 2.0),
)


def _search_budget(quick: bool) -> dict:
    if quick:
        return {"n_random": 64, "n_restarts": 3, "n_ascent": 40}
    return {"n_random": 256, "n_restarts": 6, "n_ascent": 200}


#: Results of the search per (quick, seed), cleared by the power harness between mutants.
_SEARCH: dict = register_cache({})


def adversarial_search(quick: bool, seed: int = 0) -> list:
    """Adversarial one-step Lipschitz search on each of ``SEARCH_CONFIGS`` (cached per (quick,
    seed), registered with the power harness).

    Returns a list of ``(config, AdversarialLipschitz, claimed ContractionConstants dict)``; the
    claimed constants are read through ``rtrl_theory.bounds.contraction_constants`` at call time
    (not cached), so a patched constants function is seen by every caller.
    """
    import numpy as np

    from rtrl_theory import bounds

    cache = _SEARCH
    key = (quick, seed)
    if key not in cache:
        runs = []
        for i, (n, d, ncf, bm, cx) in enumerate(SEARCH_CONFIGS):
            model = PaperRNN(n, d, c_f=ncf / n, c_g=C_G, bounded_map=bm)
            res = bounds.adversarial_lipschitz(
                model, cx, rng=np.random.default_rng([380, seed, i]), **_search_budget(quick)
            )
            runs.append(((n, d, ncf, bm, cx), model, res))
        cache[key] = runs
    return [
        (cfg, res, bounds.contraction_constants(model, cfg[4]).to_dict())
        for cfg, model, res in cache[key]
    ]
