"""Theorem 3.11 of [P1]: the joint process has a unique stationary law pi_theta, approached
geometrically from any initial law (3.45); time averages along one trajectory equal stationary
(ensemble) averages.

Statement. Ensembles started from different laws converge to the same law; W1(mu_t, pi) decays
until it reaches the Monte Carlo floor; the ergodic averages of one long trajectory agree with
averages over an independent stationary ensemble.

Method. A reference ensemble pi_hat (burn-in rho_bar^n < 1e-6) and, independently, a second
stationary ensemble give the floor W1(pi_hat, pi_hat') of the block (S and the input X: exact W1
by POT with the max-norm cost). Ensembles from the point law and from the uniform law on the
a-priori box must end within the floor (W1 <= floor + 4 x its spread over random half-splits,
at least 25% above the floor), having started well above it. One particle run for many steps
gives time averages of S (and of the loss) with batch-means errors; they must agree with the
ensemble averages of pi_hat (|z| below the Bonferroni bound at family-wise level 1e-3). Marginal
summaries of S and J are reported.
"""

from __future__ import annotations

import numpy as np

from rtrl_theory.checks import CheckResult
from rtrl_theory.estimators import ensemble_summary, time_vs_ensemble, w1_empirical

from ._montecarlo import bonferroni_z, joint_process, sizes

ID = "thm-3.11"
STATEMENT = (
    "Unique stationary law: ensembles from any start converge to it; time = ensemble averages"
)
BLOCK = ["X", "S"]


def check(quick: bool = True) -> CheckResult:
    jp = joint_process(order=1)
    s = sizes(quick)
    K = 600 if quick else 2000
    T = 3 * s["burn_in"]
    ref = jp.run(jp.initial(K, rng=110), T, rng=111)
    ref2 = jp.run(jp.initial(K, rng=112, law="box"), T, rng=113)
    floor = w1_empirical(jp.flatten(ref, BLOCK), jp.flatten(ref2, BLOCK))
    # spread of the floor: W1 between random halves of the pooled stationary sample
    pooled = np.concatenate([jp.flatten(ref, BLOCK), jp.flatten(ref2, BLOCK)])
    r = np.random.default_rng(114)
    halves = []
    for _ in range(4):
        idx = r.permutation(2 * K)
        halves.append(w1_empirical(pooled[idx[:K]], pooled[idx[K:]]))
    tol = max(4 * float(np.std(halves, ddof=1)), 0.25 * floor)
    curves = {}
    for law, seed in (("point", 115), ("box", 116)):
        z = jp.initial(
            K, rng=seed, law=law, **({"x0": np.ones(jp.n_input)} if law == "point" else {})
        )
        d = [w1_empirical(jp.flatten(z, BLOCK), jp.flatten(ref, BLOCK))]
        z = jp.run(
            z,
            T,
            rng=seed + 10,
            every=max(1, T // 8),
            callback=lambda zt, d=d: d.append(
                w1_empirical(jp.flatten(zt, BLOCK), jp.flatten(ref, BLOCK))
            ),
        )
        curves[law] = d
    # time averages along one trajectory vs ensemble averages of ref
    n_time = 20 * s["n_steps"]
    series = []
    one = jp.run(jp.initial(1, rng=117), s["burn_in"], rng=118)
    jp.run(one, n_time, rng=119, callback=lambda zt: series.append(np.r_[zt.S[0], jp.loss(zt)[0]]))
    series = np.asarray(series)
    ens = np.c_[ref.S, jp.loss(ref)]
    cmp = time_vs_ensemble(series, ens)
    zc = bonferroni_z(series.shape[1])
    summ = ensemble_summary(ref.S)
    problems = []
    for law, d in curves.items():
        if d[0] < 5 * floor:
            problems.append(
                f"{law}: the start W1 {d[0]:.3g} is not well above the floor {floor:.3g}"
            )
        if d[-1] > floor + tol:
            problems.append(f"{law}: final W1 {d[-1]:.3g} above floor {floor:.3g} + {tol:.2g}")
    if np.max(np.abs(cmp.z)) > zc:
        problems.append(
            f"time vs ensemble averages: max |z| {np.max(np.abs(cmp.z)):.2f} > {zc:.2f}"
        )
    return CheckResult(
        ID,
        STATEMENT,
        claimed="W1(mu_T, pi_hat) -> floor from both starts; time averages = ensemble averages",
        measured=(
            f"W1 on (X, S): point {curves['point'][0]:.3g} -> {curves['point'][-1]:.3g}, box "
            f"{curves['box'][0]:.3g} -> {curves['box'][-1]:.3g}, floor {floor:.3g} (K = {K}, "
            f"{T} steps); time vs ensemble: max |z| {np.max(np.abs(cmp.z)):.2f} over "
            f"{series.shape[1]} averages ({n_time} steps); mean S "
            + ", ".join(f"{m:.3f}" for m in summ.mean)
        ),
        method="POT W1 against a reference ensemble and its floor; batch means vs ensemble means",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "floor": floor,
            "curves": curves,
            "z": cmp.z.tolist(),
            "S_mean": summ.mean.tolist(),
            "S_std": summ.std.tolist(),
            "J_summary_mean_abs": float(np.abs(ref.Jt).mean()),
        },
    )
