"""Theorem 3.16 of [P1]: grad L(theta) = E_pi[G~(theta, Z)] (the exchange of gradient and limit).

Statement. E[G~(theta, Z_t)] converges (geometrically, at rate rho_bar, (3.45) with G~ Lipschitz
on the box) to grad L(theta), the gradient of the limit loss (2.27), WHATEVER the law of the
initial sensitivities: the sensitivities forget J_0.

Method (configuration of _montecarlo: N = 3, d = 2, c_f = 0.3, rho_bar = 0.738).
* Initial law unrelated to S: the box law of JointProcess.initial(law="box") with J replaced by
  |J| (``one_sided_box_law``: non-zero mean, so that a memory of J_0 shows in E[G~_t]; under the
  symmetric box law E J_0 = 0 and E[G~_t], linear in J, could not see it).
* E[v . G~_t] for t = 0..T from K particles (``expected_function_curve``), for 3 fixed unit
  directions v: v1 = the cell parameters (W, B) only, (0, 1, ..., 1)/sqrt(15) (the part of G~
  that needs the sensitivities), v2 = e_alpha_1, v3 = a fixed random unit vector (seed 3160).
* grad L by a route sharing no pathwise derivative: v . grad L by the five-point stencil (h =
  0.1, bias h^4 |d^5_v L|/30 ~ 3e-6 for derivatives of order one, the scale of theta's effect
  through tanh and sigmoid) of L from a FORWARD-ONLY simulation (data and S, no J), every theta
  + k h v from its own independent seed (``directional_gradient_independent``). Its error bar:
  se(L) ~ 1e-4 from K_fd n_fd particle-steps, so se(v . grad L) = 0.95 se(L)/h ~ 1e-3, against
  v1 . grad L ~ 0.012 (so the J part of grad L is resolved at ~ 10 se).
Tests (Bonferroni over all of them, family-wise 1e-3 each family):
1. stationary: |v . mean_{t >= T/2} G~_t - v . grad L_FD| <= z sqrt(se^2 + se_FD^2); T is set
   so that the envelope below is under 1e-4 at T/2 (so the burn-in bias is < 0.1 se_FD);
2. geometric forgetting: for every t, |v . (E G~_t - grad L_FD)| <= L_v W1_0 rho_bar^t + z se_t,
   with L_v = projected_update_lipschitz (the Lipschitz constant of v . G~ on the box) and W1_0
   the exact empirical W1 between the initial sample and the ensemble at T (optimal assignment,
   max-norm): the bound of (3.45) with W1(mu_0 P^t, pi) <= rho_bar^t W1(mu_0, pi).
The fitted decay rate of |v1 . (E G~_t - grad L)| is reported beside rho_bar.
Linear oracle system (``_limits_common.linear_system``, exact answers from
rtrl_theory.oracles): particles from stationary (data, S) with J_0 = 0.5 - 0.5 J + U[-1, 1]
(a law correlated with the state: on these zero-mean systems an independent J_0 leaves E[G~_t]
unchanged, see oracles.SensitivityLaw) give E[G~_t], t = 0..T, against the exact path
``expected_gradient_path`` (z-test, Bonferroni over T x P), and their window t >= T/2 against
the exact grad L of ``linear_stationary`` (differentiated Lyapunov equations: no pathwise
derivative shared), Bonferroni over P; T/2 is where the exact path is within 1e-6 |grad L|.
Hessian (hess L = E_pi[H], (3.65), (3.72)): v.H.v from order-2 stationary particles
(``limit_hessian_directions``, 200 particles x 40 steps) along 3 fixed random unit directions
of the cell parameters, against the exact v.Hess L.v (Bonferroni over 3).
False-failure rate: <= 5e-3 by construction (five families at 1e-3: paper stationary, paper
envelope, linear path, linear stationary, linear Hessian); measured 0 of 20 (seeds 0-19, quick).

Mutants. ``J-term-doubled``: JointProcess.update_direction with its (W, B) block doubled
(E_pi[G~] is no longer grad L: v1 moves by ~ 0.012 ~ 10 se). ``no-forgetting``: JointProcess.step
with the forgetting factor of the sensitivities set to 1, J_{t+1} = J_t + (the step from J = 0)
(a network outside the hypotheses: J_0 is never forgotten, J drifts). ``second-order-dropped``:
JointProcess.hessian with H = 0 (E_pi[H] is then not hess L: v.H.v moves by ~ 15 se).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from unittest import mock

import numpy as np

from rtrl_theory._validate import as_rng
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.estimators import _limits, _poisson
from rtrl_theory.runners import JointProcess

from ._limits_common import (
    CACHE,
    LEVEL,
    assumptions,
    bonferroni_z,
    linear_system,
    model_and_process,
    one_sided_box_law,
    target_constants,
    zdiv,
)

ID = "thm-3.16"
STATEMENT = "grad L = lim E[G~(theta, Z_t)] = E_pi[G~] from any J_0 law (sensitivities forget J_0)"
H_FD = 0.1


def directions(P: int, N: int) -> np.ndarray:
    v1 = np.r_[np.zeros(N), np.ones(P - N)]
    v2 = np.zeros(P)
    v2[0] = 1.0
    v3 = np.random.default_rng(3160).standard_normal(P)
    V = np.stack([v1, v2, v3])
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def fd_gradient(quick: bool, seed: int):
    """v . grad L by independent forward-only runs (cached on (quick, seed))."""
    key = ("thm-3.16-fd", quick, seed)
    if key not in CACHE:
        model, params, proc = model_and_process()
        V = directions(model.n_params, model.n_hidden)
        K, n = (2000, 1000) if quick else (8000, 4000)
        burn = _limits.burn_in_for(assumptions().rho_bar, 1e-6)
        CACHE[key] = _limits.directional_gradient_independent(
            model, params, proc, V, h=H_FD, n_particles=K, n_steps=n, burn_in=burn,
            rng=np.random.default_rng([3161, seed]),
        )
    return CACHE[key]


def linear_part(quick: bool, seed: int):
    """The oracle system: particle E[G~_t] from J_0 = 0.5 - 0.5 J + U[-1, 1] against the exact
    path (expected_gradient_path) and the stationary window against the exact grad L.
    Returns (problems, measured text, details)."""
    from rtrl_theory.oracles import SensitivityLaw, expected_gradient_path

    model, params, proc, o = linear_system()
    P = model.n_params
    # T/2: the exact path is within 1e-6 |grad L| of grad L (checked below, deterministic)
    T = 2 * _limits.burn_in_for(o.spectral_radius, 1e-7)
    K = 1000 if quick else 4000
    law = SensitivityLaw.scaled_stationary(model, params, proc, -0.5, mean=0.5, noise_var=1 / 3)
    exact = expected_gradient_path(model, params, proc, T + 1, law)
    jp = JointProcess(model, params, proc, order=1)
    rng = np.random.default_rng([3163, seed])
    z = jp.run(jp.initial(K, rng), _limits.burn_in_for(o.spectral_radius, 1e-10), rng)
    z = replace(z, Jt=0.5 - 0.5 * z.Jt + rng.uniform(-1.0, 1.0, z.Jt.shape))
    mean, se, tail = _limits.expected_function_curve(
        jp, jp.update_direction, T, n_particles=K, rng=rng, law=z
    )
    problems = []
    zc_path = bonferroni_z(mean.size, LEVEL)
    zp = zdiv(mean - exact.mean, se)
    if np.max(np.abs(zp)) > zc_path:
        t, k = np.unravel_index(int(np.argmax(np.abs(zp))), zp.shape)
        problems.append(
            f"linear: E[G~_t] off the exact path at t = {t}, coord {k} (z = {zp[t, k]:.1f})"
        )
    g = tail.mean(axis=0)
    gse = tail.std(axis=0, ddof=1) / np.sqrt(K)
    zs = zdiv(g - o.grad, gse)
    zc = bonferroni_z(P, LEVEL)
    if np.max(np.abs(zs)) > zc:
        k = int(np.argmax(np.abs(zs)))
        problems.append(f"linear: E_pi[G~] != oracle grad L at coord {k} (z = {zs[k]:.1f})")
    if exact.error[T // 2] > 1e-6 * np.abs(o.grad).max():
        problems.append("linear: the exact path has not converged by T/2")
    # hess L = E_pi[H] (3.65), (3.72): v.H.v from order-2 particles vs the exact Hessian
    n_head = model.split(model.flatten(params))[0].size
    V = np.random.default_rng(3164).standard_normal((3, P))
    V[:, :n_head] = 0.0  # cell directions: where the second-order sensitivities H enter
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    jp2 = JointProcess(model, params, proc, order=2)
    hq = _limits.limit_hessian_directions(
        jp2, V, n_particles=200 if quick else 800, n_steps=40,
        burn_in=_limits.burn_in_for(o.spectral_radius, 1e-10), rng=rng,
    )
    exact_q = np.einsum("mp,pq,mq->m", V, o.hessian, V)
    zh = zdiv(hq.value - exact_q, hq.stderr)
    zch = bonferroni_z(3, LEVEL)
    if np.max(np.abs(zh)) > zch:
        problems.append(f"linear: E_pi[v.H.v] != v.Hess L.v (max |z| {np.max(np.abs(zh)):.1f})")
    z0 = np.abs(zdiv(mean[0] - o.grad, se[0]))
    text = (
        f"linear oracle system (LinearSDE, spectral radius {o.spectral_radius:.3f}): particle "
        f"E[G~_t] vs exact path, max |z| {np.max(np.abs(zp)):.2f} (bound {zc_path:.2f}), "
        f"E_pi[G~] vs exact grad L max |z| {np.max(np.abs(zs)):.2f} (bound {zc:.2f}); at t = 0 "
        f"the J_0 law is resolved from grad L at {np.max(z0):.0f} se; E_pi[v.H.v] = "
        + ", ".join(f"{a:.4g}" for a in hq.value)
        + " vs exact "
        + ", ".join(f"{a:.4g}" for a in exact_q)
        + f" (max |z| {np.max(np.abs(zh)):.2f}, bound {zch:.2f})"
    )
    return problems, text, {"linear_max_z_path": float(np.max(np.abs(zp)))}


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    lin_problems, lin_text, lin_details = linear_part(quick, seed)
    model, params, proc = model_and_process()
    jp = JointProcess(model, params, proc, order=1)
    P, N = model.n_params, model.n_hidden
    V = directions(P, N)
    rho_bar = assumptions().rho_bar
    C_y, L_t = target_constants(proc)
    L_v = np.array([_poisson.projected_update_lipschitz(jp, v, C_y=C_y, L_target=L_t) for v in V])
    fd = fd_gradient(quick, seed)
    # T: envelope L_v W1 rho_bar^(T/2) <= 1e-4 with W1 <= the box's max-norm diameter (<= 2).
    T = 2 * _limits.burn_in_for(rho_bar, 1e-4, initial_distance=2.0 * float(L_v.max()))
    K = 1000 if quick else 4000
    rng = np.random.default_rng([3162, seed])
    z0 = one_sided_box_law(jp, K, rng)
    ends = {}

    def fn(z):
        if z.t == T:
            ends["zT"] = jp.flatten(z)
        return jp.update_direction(z) @ V.T

    mean, se, tail = _limits.expected_function_curve(jp, fn, T, n_particles=K, rng=rng, law=z0)
    _, _, W1_0 = _limits.matched_w1(jp.flatten(z0), ends["zT"])
    g_tail = tail.mean(axis=0)
    se_tail = tail.std(axis=0, ddof=1) / np.sqrt(K)
    dev = mean - fd.value[None, :]
    se_dev = np.sqrt(se**2 + fd.stderr[None, :] ** 2)
    t = np.arange(T + 1)
    env = L_v[None, :] * W1_0 * rho_bar ** t[:, None]
    z1c = bonferroni_z(V.shape[0], LEVEL)
    z2c = bonferroni_z(dev.size, 2 * LEVEL)
    z_stat = zdiv(g_tail - fd.value, np.sqrt(se_tail**2 + fd.stderr**2))
    excess = zdiv(np.abs(dev) - env, se_dev)
    problems = list(lin_problems)
    if np.max(np.abs(z_stat)) > z1c:
        k = int(np.argmax(np.abs(z_stat)))
        problems.append(
            f"E_pi[G~] != grad L along v{k + 1}: {g_tail[k]:.5g} vs FD {fd.value[k]:.5g} "
            f"(z = {z_stat[k]:.1f})"
        )
    if np.max(excess) > z2c:
        tt, k = np.unravel_index(int(np.argmax(excess)), excess.shape)
        problems.append(
            f"not forgetting J_0: at t = {tt}, |E v{k + 1}.G~_t - v.grad L| = "
            f"{abs(dev[tt, k]):.3g} > envelope {env[tt, k]:.3g} (z = {excess[tt, k]:.1f})"
        )
    resolved = np.abs(dev[:, 0]) > 4 * se_dev[:, 0]
    rate = float("nan")
    if resolved.sum() >= 2:
        idx = np.nonzero(resolved)[0]
        idx = idx[idx <= idx[0] + 10]
        if idx.size >= 2:
            rate = float(np.exp(np.polyfit(idx, np.log(np.abs(dev[idx, 0])), 1)[0]))
    return CheckResult(
        ID,
        STATEMENT,
        claimed="E[G~_t] -> grad L geometrically (rho_bar) from a J_0 law unrelated to S",
        measured=(
            "v.grad L by independent FD (v1 = W,B part, v2 = e_alpha1, v3 random): "
            + ", ".join(f"{a:.4g} +- {b:.1g}" for a, b in zip(fd.value, fd.stderr, strict=True))
            + "; v.E_pi[G~]: "
            + ", ".join(f"{a:.4g} +- {b:.1g}" for a, b in zip(g_tail, se_tail, strict=True))
            + f", max |z| {np.max(np.abs(z_stat)):.2f} (bound {z1c:.2f}); from |J_0|-box law: "
            f"|v1.(E G~_0 - grad L)| = {abs(dev[0, 0]):.3g} "
            f"({abs(zdiv(dev[0, 0], se_dev[0, 0])):.0f} "
            f"se), decay rate {rate:.3g} vs rho_bar {rho_bar:.3f}; envelope L_v W1_0 rho_bar^t "
            f"(W1_0 = {W1_0:.3g}) never exceeded (max excess z {np.max(excess):.2f}, bound "
            f"{z2c:.2f}), T = {T}; "
            + lin_text
        ),
        method="particles from a |J|-box law vs five-point differences of L from independent "
        "forward-only runs",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "fd": fd.value.tolist(),
            "fd_se": fd.stderr.tolist(),
            "E_pi_G": g_tail.tolist(),
            "E_pi_G_se": se_tail.tolist(),
            "deviation_v1": dev[:, 0].tolist(),
            "envelope_v1": env[:, 0].tolist(),
            "W1_0": W1_0,
            "decay_rate": rate,
            "rho_bar": rho_bar,
            **lin_details,
        },
    )


def _j_term_doubled():
    orig = JointProcess.update_direction

    def doubled(self, z):
        g = orig(self, z).copy()
        g[:, self.model.split(self.theta)[0].size :] *= 2.0
        return g

    return mock.patch.object(JointProcess, "update_direction", doubled)


def _no_forgetting():
    orig = JointProcess.step

    def step(self, z, rng):
        rng = as_rng(rng)
        twin = copy.deepcopy(rng)
        new = orig(self, z, rng)
        zero = replace(
            z, Jt=np.zeros_like(z.Jt), Ht=None if z.Ht is None else np.zeros_like(z.Ht)
        )
        b = orig(self, zero, twin)
        return replace(new, Jt=z.Jt + b.Jt)

    return mock.patch.object(JointProcess, "step", step)


def _second_order_dropped():
    orig = JointProcess.hessian

    def gauss_newton(self, z):
        return orig(self, replace(z, Ht=np.zeros_like(z.Ht)))

    return mock.patch.object(JointProcess, "hessian", gauss_newton)


MUTANTS = (
    Mutant(
        "J-term-doubled",
        "JointProcess.update_direction with the (W, B) block (J^T alpha part) doubled",
        _j_term_doubled,
    ),
    Mutant(
        "second-order-dropped",
        "JointProcess.hessian without the second-order sensitivities H (Gauss-Newton part only)",
        _second_order_dropped,
    ),
    Mutant(
        "no-forgetting",
        "JointProcess.step with the sensitivities' forgetting factor set to 1 (J_0 never "
        "forgotten; outside the hypotheses)",
        _no_forgetting,
    ),
)
