"""Helpers shared by the limit checks (thm-3.16, lemmas 3.12-3.15, 4.2-4.3, cor-3.17).

The paper-RNN configuration is the one of ``_montecarlo`` (imported, not copied): N = 3, d = 2,
f = 0.3 tanh, Example 2.4 inputs (lam = 0.5, C_x = 1), target tanh(w.x) + U[-0.1, 0.1].
Caches are keyed on (quick, seed) and registered with the power harness.
"""

from __future__ import annotations

import zlib

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


def configuration(name: str):
    """(model, theta, process, rho_bar) of a named configuration of the uniformity scan.

    "base": the _montecarlo configuration; "saturated": its W, B scaled by 10 (tanh(W), tanh(B)
    saturated); "cf-max": c_f = 0.9 c_f_max (the largest c_f with rho < 1) with saturated W, B;
    "cf-small": c_f = 0.1.
    """
    from rtrl_theory import PaperRNN
    from rtrl_theory.bounds import c_f_max, check_assumptions

    from ._montecarlo import C_F, C_G, LAM, D, N

    _, params, proc = model_and_process()
    c_f, scale = {
        "base": (C_F, 1.0),
        "saturated": (C_F, 10.0),
        "cf-max": (0.9 * c_f_max(N, D, C_G, "tanh", proc.chain.C_x), 10.0),
        "cf-small": (0.1, 1.0),
    }[name]
    model = PaperRNN(N, D, c_f=c_f, c_g=C_G)
    theta = model.flatten(params).copy()
    theta[N:] *= scale
    rho_bar = check_assumptions(N, D, c_f, C_G, "tanh", LAM, proc.chain.C_x).rho_bar
    return model, theta, proc, rho_bar


def coupled_run(name: str, law: str, quick: bool, seed: int, order: int = 1, V=None):
    """Synchronous coupling of ``law`` with a stationary ensemble (``coupled_bias_curve``) on the
    configuration ``name``; records the loss and G~ (order 1) or v.H.v for rows v of V (order 2).
    Cached on (name, law, quick, seed, order)."""
    from rtrl_theory.estimators import _limits
    from rtrl_theory.runners import JointProcess

    key = ("coupled", name, law, quick, seed, order)
    if key in CACHE:
        return CACHE[key]
    model, theta, proc, rho_bar = configuration(name)
    jp = JointProcess(model, theta, proc, order=order)
    if order == 1:

        def fn(z):
            return np.concatenate([jp.loss(z)[:, None], jp.update_direction(z)], axis=1)
    else:

        def fn(z):
            return np.einsum("mp,kpq,mq->km", V, jp.hessian(z), V)

    K = (400 if order == 1 else 150) if quick else (2000 if order == 1 else 600)
    T_run = RUN_STEPS
    burn = _limits.burn_in_for(rho_bar, 1e-8)
    T, bias, se, w1, final, d0 = _limits.coupled_bias_curve(
        jp, fn, np.arange(1, T_run + 1), n_particles=K, burn_in=burn,
        rng=np.random.default_rng([3120, zlib.crc32(name.encode()), order, seed]), law=law,
    )
    out = dict(T=T, bias=bias, se=se, w1=w1, final=final, d0=d0, rho_bar=rho_bar, model=model,
               theta=theta, proc=proc)
    CACHE[key] = out
    return out


#: Steps of the coupled runs (the pairs merge to identical floats well before: the tail beyond
#: is bounded by L * final_distance / (1 - rho_bar), which is then 0).
RUN_STEPS = 64


def rate_test(T, b, se, C, R, p, zc):
    """The claim sup_T T^p |b_T| <= C from a coupled curve (Lemmas 3.12, 3.15).

    On the grid: (T^p |b_T| - C) / (T^p se_T) <= zc. Beyond it T b_T = T_run b_run + tail with
    |tail| <= R: for p = 1, |T_run b_run| + R <= C + zc T_run se_run; for p > 1, T^p |b_T| is
    unbounded as soon as lim T b_T != 0 is resolved, |T_run b_run| - zc T_run se_run - R > 0.
    Returns (problems, sup of T^p |b_T| on the grid).
    """
    Tp = T.astype(float) ** p
    stat = zdiv(Tp * np.abs(b) - C, Tp * se)
    problems = []
    if np.max(stat) > zc:
        k = int(np.argmax(stat))
        problems.append(f"T^{p:g}|bias| = {Tp[k] * abs(b[k]):.3g} > C = {C:.3g} at T = {T[k]}")
    lim, lim_se = T[-1] * abs(b[-1]), T[-1] * se[-1]
    if p <= 1:
        if lim + R > C + zc * lim_se:
            problems.append(f"beyond T = {T[-1]}: |T b_T| + tail {lim:.3g} + {R:.3g} > C = {C:.3g}")
    elif lim - zc * lim_se - R > 0:
        problems.append(
            f"T b_T -> {lim:.3g} != 0 ({float(zdiv(lim, lim_se)):.1f} se): T^{p:g}|bias| unbounded"
        )
    return problems, float(np.max(Tp * np.abs(b)))


def contraction_problem(r) -> list:
    """The tail bound beyond the grid rests on the pathwise contraction of the synchronous
    coupling on the box (Prop. 3.1, max form): E||Z_T - Z'_T|| <= rho_bar^T E||Z_0 - Z'_0||,
    for the pairs actually simulated. Checked."""
    allowed = r["d0"] * r["rho_bar"] ** (RUN_STEPS - 1)
    if r["final"] > allowed * (1 + 1e-9) + 1e-12:
        return [
            f"coupled pairs at distance {r['final']:.3g} after {RUN_STEPS - 1} steps > "
            f"rho_bar^t d_0 = {allowed:.3g}: the coupling does not contract at rho_bar"
        ]
    return []


def linear_system():
    """The oracle's Section 7.1-like linear system: LinearSDE(3, 2, dt = 0.5) student, a linear
    teacher (Wishart, dof 30, dt = 0.5), Gaussian inputs (std 1), uniform target noise 0.3.
    Returns (model, params, process, oracle) with the exact stationary L, grad L, Hessian."""
    from rtrl_theory import LinearSDE
    from rtrl_theory.data import linear_sde_teacher
    from rtrl_theory.oracles import linear_stationary

    teacher = linear_sde_teacher(3, 2, rng=0, dt=0.5, dof=30)
    process = teacher.process(input_std=1.0, noise=0.3)
    model = LinearSDE(3, 2, dt=0.5)
    params = model.init_params(1, a_scale=0.3)
    return model, params, process, linear_stationary(model, params, process)


def zdiv(diff, se):
    """diff / se elementwise, with 0/0 = 0 and x/0 = +-inf (a difference with no Monte Carlo
    error is either exact agreement or a certain disagreement)."""
    diff = np.asarray(diff, dtype=float)
    se = np.broadcast_to(np.asarray(se, dtype=float), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.sign(diff) * np.inf)
    return np.where((se <= 0) & (diff == 0), 0.0, out)
