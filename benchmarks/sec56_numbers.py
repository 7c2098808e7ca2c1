r"""The closing-note numbers of issue 12 (Sections 5-6 of [P1] along training), as tables.

Everything comes from the library and the checks (no second implementation): the linear-Gaussian
RTRL runs of ``proofs_checks._decomposition`` (student LinearSDE N = 2, d = 1, AR(1) inputs,
linear teacher; SGD with eta_t = 0.1 (1 + t/20)^-gamma, gamma = 0.6, 0.8, 1), decomposed with
the closed-form oracle (``estimators.descent_decomposition``) and split into the parts of Lemmas
5.2-5.4 (``oracles.fluctuation_pieces_linear``). Sizes: ``--runs`` runs of ``--steps`` steps per
schedule (default 6 x 1000, between the checks' quick 3 x 200 and full 12 x 2000); they are run
through the checks' full-mode entry points with the sizes replaced (``_decomposition.sizes``
patched for this script only).

Tables:
1. Lemma 5.5: |R_t| / eta_t^2 along the runs (max, median) against the a-priori-along-the-path
   bound C_t = 1/2 (max |H| + |dH|) |G~_t|^2 of the lemma-5.5 check (largest |R_t| / (C_t eta_t^2)
   and C = max_t C_t).
2. Prop. 5.1: growth of the fluctuation partial sums per schedule: exponent b of RMS |S_T|
   against V_T = sum eta^2 (``prop_5_1.growth``; a martingale gives 1/2), with a 95% bootstrap
   interval over runs (resampling runs, 400 resamples), and the same exponent for the martingale
   part M_T alone.
3. Lemmas 5.2-5.4: per-part sizes at the end of the runs (RMS over runs of the fluctuation
   sum_t eta_t phi_t, M_T, A_T, B_T), C_52 = max |a_t| / eta_{t-1}, sum eta |a| / sum eta eta',
   C_54 = max |B_T| / eta_0, and lemma-5.3's pooled self-normalized W.
4. Lemma 6.2, on its own full-mode runs (``_decomposition.l62_runs``: N = 1, d = 2 linear system
   pretrained near its minimum, eta_t = 0.025 (1 + t/200)^-gamma; always the check's full
   size, 12 x 2000: its premise needs 2000 steps, and its sizes are not patched):
   sum_t eta_t |grad L(theta_t)|^2 at T/4, T/2, T (mean over runs), L(theta_t) at 0, T/2, T,
   and |grad L| over the first and last quarters (min / max: liminf and limsup proxies), with
   the premise (transverse Hessian spectrum at theta*, relaxation margins) and lemma-6.2's
   sign-test count.

Usage::

    python benchmarks/sec56_numbers.py               # ~ a few minutes on a loaded 2-core machine
    python benchmarks/sec56_numbers.py --runs 3 --steps 200
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np


def bootstrap_exponent(ds, fn, n_boot=400, seed=0):
    """(estimate, 2.5%, 97.5%) of ``fn(list of runs)`` over resamples of the runs."""
    rng = np.random.default_rng(seed)
    est = fn(ds)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(ds), len(ds))
        boots.append(fn([ds[i] for i in idx]))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return est, float(lo), float(hi)


def martingale_exponent(entries):
    """Exponent of RMS |M_T| against V_T at the checkpoints of ``prop_5_1.growth``."""
    from proofs_checks import prop_5_1_fluctuation as p51
    from rtrl_theory.estimators._convergence import log_log_slope

    ds = [d for d, _, _ in entries]
    _, T, _, V, _, _ = p51.growth(ds)
    M = np.array([np.cumsum(pc.martingale)[T - 1] for _, _, pc in entries])
    rms = np.sqrt(np.mean(M**2, axis=0))
    return log_log_slope(V, rms)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=6, help="runs per schedule (default 6)")
    p.add_argument("--steps", type=int, default=1000, help="steps per run (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="check seed (default 0)")
    args = p.parse_args(argv)

    from proofs_checks import _decomposition as dec
    from proofs_checks import lemma_5_2_theta_move as l52
    from proofs_checks import lemma_5_3_martingale as l53
    from proofs_checks import lemma_5_4_telescoping as l54
    from proofs_checks import lemma_5_5_remainder as l55
    from proofs_checks import lemma_6_2_descent as l62
    from proofs_checks import prop_5_1_fluctuation as p51

    real_sizes = dec.sizes

    def sizes(quick):
        return real_sizes(True) if quick else {"n_seeds": args.runs, "n_train": args.steps}

    t0 = time.perf_counter()
    with mock.patch.object(dec, "sizes", sizes):
        runs = dec.runs(False, args.seed)
        runs62 = dec.l62_runs(False, args.seed)
        pieces = dec.fluctuation_runs(False, args.seed)
        r55 = l55.check(quick=False, seed=args.seed)
        r53 = l53.check(quick=False, seed=args.seed)
        r62 = l62.check(quick=False, seed=args.seed)
    secs = time.perf_counter() - t0
    print(f"# Sections 5-6 numbers: {args.runs} runs x {args.steps} steps per schedule, check "
          f"seed {args.seed} ({secs:.0f} s)")  # fmt: skip

    print("\n## 1. Lemma 5.5: |R_t| / eta_t^2")
    print(f"{'gamma':>6s} {'max':>9s} {'median':>9s}")
    for g, ds in runs.items():
        q = np.concatenate([np.abs(d.remainder) / d.eta**2 for d in ds])
        print(f"{g:6.1f} {q.max():9.4f} {np.median(q):9.4f}")
    d55 = r55.details
    print(f"a-priori along the path: C = max_t C_t = {d55['C_path']:.4f}; largest |R_t| / "
          f"(C_t eta_t^2) = {d55['max_ratio']:.3f} over {d55['n_steps']} steps "
          f"(lemma-5.5: {r55.status})")  # fmt: skip

    print("\n## 2. Prop. 5.1: growth of the fluctuation sums, RMS |S_T| ~ V_T^b (martingale 1/2)")
    print(f"{'gamma':>6s} {'b (S_T)':>8s} {'95% bootstrap':>17s} {'b (M_T)':>8s} "
          f"{'95% bootstrap':>17s} {'sum eta^2':>10s} {'sum eta':>8s} {'RMS|S_T|':>9s}")  # fmt: skip
    for g, ds in runs.items():
        b, lo, hi = bootstrap_exponent(ds, lambda x: p51.growth(x)[0])
        bm, lom, him = bootstrap_exponent(pieces[g], martingale_exponent)
        _, _, rms, V, seta, _ = p51.growth(ds)
        print(f"{g:6.1f} {b:8.3f} [{lo:6.3f}, {hi:6.3f}] {bm:8.3f} [{lom:6.3f}, {him:6.3f}] "
              f"{V[-1]:10.4f} {seta:8.2f} {rms[-1]:9.4f}")  # fmt: skip

    print("\n## 3. Lemmas 5.2-5.4: the parts of the fluctuation at T (RMS over runs)")
    print(f"{'gamma':>6s} {'fluct':>8s} {'M_T 5.3':>8s} {'A_T 5.2':>8s} {'B_T 5.4':>8s} "
          f"{'C_52':>6s} {'sum eta|a|/sum eta eta':>22s} {'C_54':>6s}")  # fmt: skip
    for g, entries in pieces.items():
        fin = {k: np.array([pc.partial_sums()[k][-1] for _, _, pc in entries]) for k in
               ("fluctuation", "martingale", "theta_move", "step_change")}  # fmt: skip
        rms = {k: float(np.sqrt(np.mean(v**2))) for k, v in fin.items()}
        c52, ratio = l52.constants(entries)
        c54 = max(float(np.max(np.abs(l54.telescoping(pc)[0]))) / pc.eta[0] for _, _, pc in entries)
        print(f"{g:6.1f} {rms['fluctuation']:8.4f} {rms['martingale']:8.4f} "
              f"{rms['theta_move']:8.4f} {rms['step_change']:8.4f} {c52:6.3f} {ratio:22.4f} "
              f"{c54:6.3f}")  # fmt: skip
    pw = r53.details["pooled_W"]
    print(
        f"lemma-5.3 pooled W (|W| <= {r53.details['threshold']:.2f}): "
        + ", ".join(f"{k} {v:+.2f}" for k, v in pw.items())
        + f" ({r53.status})"
    )

    print("\n## 4. Lemma 6.2 (own set-up): sum eta_t |grad L|^2 and |grad L| (mean over runs)")
    prem = r62.details.get("premise", {})
    if prem.get("ok"):
        print(f"premise: transverse Hessian spectrum at theta* {prem['h_min']:.4f} .. "
              f"{prem['h_max']:.4f}, kernel dimension {prem['kernel_dim']}; relaxation margins "
              + ", ".join(f"gamma {g}: {m:.2f}" for g, m in prem["margins"].items()))
    print(f"{'gamma':>6s} {'S(T/4)':>8s} {'S(T/2)':>8s} {'S(T)':>8s} {'L_0':>7s} {'L_T/2':>7s} "
          f"{'L_T':>7s} {'|gL| first q min/max':>21s} {'last q min/max':>16s}")  # fmt: skip
    for g, ds in runs62.items():
        n = ds[0].eta.size
        S = np.array([np.cumsum(d.eta * np.sum(d.grad[:-1] ** 2, axis=1)) for d in ds])
        gn = np.array([np.linalg.norm(d.grad[:-1], axis=1) for d in ds])
        L = np.array([d.loss for d in ds])
        q = n // 4
        print(f"{g:6.1f} {S[:, q - 1].mean():8.4f} {S[:, n // 2 - 1].mean():8.4f} "
              f"{S[:, -1].mean():8.4f} {L[:, 0].mean():7.4f} {L[:, n // 2].mean():7.4f} "
              f"{L[:, -1].mean():7.4f} {gn[:, :q].min(1).mean():10.4f}/{gn[:, :q].max(1).mean():.4f}"
              f" {gn[:, -q:].min(1).mean():8.4f}/{gn[:, -q:].max(1).mean():.4f}")  # fmt: skip
    print(f"lemma-6.2: {r62.measured.split(';')[0]} ({r62.status})")
    dec._CACHE.clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
