"""SnAp-n is exact RTRL once n - 1 reaches the diameter of the recurrence graph (issue 13).

Statement (Menick et al. 2021, Section 3). SnAp-n keeps the entries J[k, p] of the influence
that are nonzero after n steps of the recursion from J = 0: those with k reachable from the
neuron i(p) of parameter p by at most n - 1 edges of the recurrence graph. Exact RTRL's J[k, p]
can be nonzero only where k is reachable at all, so once n - 1 >= diameter, SnAp-n *is* RTRL; at
n - 1 = diameter - 1 it drops the farthest entries and is biased.

Method. An Elman tanh network whose recurrent matrix is a directed ring of N = 5 neurons
(diameter N - 1 = 4, computed by ``rtrl_theory.online.graph_diameter``), on Gaussian inputs and
its own teacher. SnAp-N's per-step gradients must equal exact RTRL's to 1e-12 relative
(rounding), SnAp-(N-1)'s must differ by more than 1e-6 relative after N steps (every distance
reached), and ``stationary_bias`` must find SnAp-N's stationary bias to be 0 (to rounding) on
particles driven by a teacher ring (another draw), where |grad L| is far from 0. SnAp-(N-1)'s
stationary bias is reported, not tested: the entries it drops are products of N - 1 = 4
recurrent factors, about 3e-4 of |grad L| here (below the noise of the quick run).
"""

from __future__ import annotations

from unittest import mock

import numpy as np

import rtrl_theory.online as online
import rtrl_theory.online._snap as snap_module
from rtrl_theory.cells import ElmanParams, ElmanRNN
from rtrl_theory.checks import CheckResult, Mutant
from rtrl_theory.data import DataProcess, GaussianInputs, TeacherTarget

ID = "snap-n-exact"
STATEMENT = "SnAp-n = RTRL iff n - 1 >= diameter of the recurrence graph (ring of N neurons)"
N_RING = 5


def _ring(N, seed):
    rng = np.random.default_rng(seed)
    model = ElmanRNN(N, 2, activation="tanh", bias=True)
    W = np.zeros((N, N))
    W[(np.arange(N) + 1) % N, np.arange(N)] = rng.uniform(0.5, 0.9, N) * rng.choice([-1, 1], N)
    params = ElmanParams(
        rng.standard_normal(N) / np.sqrt(N), rng.standard_normal((N, 2)), W,
        0.1 * rng.standard_normal(N),
    )  # fmt: skip
    return model, params


def _gradients(model, params, names, T, seed):
    teacher = _ring(model.n_hidden, 1)[1]
    process = DataProcess(GaussianInputs(2, 1.0), TeacherTarget(model, teacher, noise=0.1))
    th, tc = model.split(model.flatten(params))
    prep = model.cell.prepare(tc)
    X, Y = process.sample(T, rng=seed, n_chains=3)
    ests = [online.make_estimator(n, model) for n in names]
    states = [e.initial(3) for e in ests]
    S = model.cell.initial_state(3)
    out = np.zeros((len(ests), T, 3, model.n_params))
    for t in range(T):
        lin = model.cell.linearize(prep, S, X[:, t])
        S = lin.S_next
        hd = model.head.derivatives(th, S, Y[:, t])
        for i, e in enumerate(ests):
            states[i] = e.advance(states[i], lin, None)
            out[i, t] = e.gradient(states[i], hd, Y[:, t])
    return out, process, lin


def check(quick: bool = True, seed: int = 0) -> CheckResult:
    N = N_RING
    model, params = _ring(N, 0)
    T = 3 * N
    g, process, lin = _gradients(model, params, ["exact", f"snap-{N}", f"snap-{N - 1}"], T, seed)
    diam = online.graph_diameter(online.recurrence_graph(lin.state_jac))
    scale = float(np.abs(g[0]).max())
    err_n = float(np.abs(g[1] - g[0]).max() / scale)
    err_below = float(np.abs(g[2][N:] - g[0][N:]).max() / scale)
    K, n = (64, 200) if quick else (256, 1000)
    exact_n, below = online.stationary_bias_table(
        model, params, process, [f"snap-{N}", f"snap-{N - 1}"], n_particles=K, n_steps=n,
        burn_in=50, rng=100 + seed,
    )  # fmt: skip
    stat_n = float(np.abs(exact_n.bias).max() / np.linalg.norm(exact_n.grad_L))
    problems = []
    if diam != N - 1:
        problems.append(f"ring diameter {diam}, expected {N - 1}")
    if not err_n < 1e-12:
        problems.append(f"SnAp-{N} differs from RTRL by {err_n:.2e} (relative)")
    if not err_below > 1e-6:
        problems.append(f"SnAp-{N - 1} equals RTRL ({err_below:.1e}): the pattern is not tight")
    if not stat_n < 1e-12:
        problems.append(f"SnAp-{N}'s stationary bias is {stat_n:.1e} of |grad L|, not 0")
    return CheckResult(
        ID,
        STATEMENT,
        claimed=f"ring of {N}: diameter {N - 1}; SnAp-{N} exact, SnAp-{N - 1} biased",
        measured=(
            f"diameter {diam}; SnAp-{N} max rel. diff {err_n:.1e}, stationary bias "
            f"{stat_n:.1e}; SnAp-{N - 1} {err_below:.1e}, stationary rel. bias "
            f"{below.rel_bias:.1e} [{below.rel_bias_ci[0]:.1e}, {below.rel_bias_ci[1]:.1e}]"
        ),
        method="per-step gradients on shared data against exact RTRL; stationary_bias",
        status="fail" if problems else "pass",
        reason="; ".join(problems),
        details={
            "diameter": diam,
            "err_n": err_n,
            "err_below": err_below,
            "stationary_bias_n": stat_n,
            "rel_bias_below": below.rel_bias,
        },  # fmt: skip
    )


def _pattern_one_short(adj, n):
    return _ORIGINAL_PATTERN(adj, max(1, n - 1))


def _graph_without_wraparound(sj):
    adj = _ORIGINAL_GRAPH(sj).copy()
    adj[0, -1] = False  # the ring's closing edge dropped: distances look shorter than they are
    return adj


_ORIGINAL_PATTERN = snap_module.snap_pattern
_ORIGINAL_GRAPH = snap_module.recurrence_graph

MUTANTS = (
    Mutant(
        "pattern-one-step-short",
        "snap_pattern keeps walks of n - 2 edges instead of n - 1 (off by one): SnAp-N is no "
        "longer exact on the ring",
        lambda: mock.patch.object(snap_module, "snap_pattern", _pattern_one_short),
    ),
    Mutant(
        "graph-edge-dropped",
        "recurrence_graph misses the ring's closing edge: the mask drops reachable entries",
        lambda: mock.patch.object(snap_module, "recurrence_graph", _graph_without_wraparound),
    ),
)
