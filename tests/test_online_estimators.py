"""Online estimators on the cell seam (rtrl_theory.online): known answers.

Truths used here, none computed by the code under test:
- BPTT (reverse mode, rtrl_theory.engine.bptt_sequences) for exact RTRL and TBPTT(tau);
- the dense recursion J' = D J + I built from ``StateJacobian.dense()`` and the row-local terms,
  with the expectation over the estimator's signs computed by *enumerating* every sign vector
  (UORO: all 2^N Rademacher vectors; KF-RTRL: the four sign pairs), so unbiasedness of one step
  is checked exactly, not by Monte Carlo;
- graph theory on a ring network for SnAp-n (the exactness threshold n = diameter + 1).
"""

import itertools

import numpy as np
import pytest

from rtrl_theory.cells import ElmanParams, ElmanRNN
from rtrl_theory.engine import bptt_sequences
from rtrl_theory.online import (
    ESTIMATOR_NAMES,
    KFRTRL,
    UORO,
    ExactRTRL,
    SnAp1,
    SnApN,
    bias_setup,
    graph_diameter,
    make_estimator,
    recurrence_graph,
)
from rtrl_theory.online._base import immediate_diagonal

ALL = ("exact", "uoro", "kf-rtrl", "snap-1", "snap-3", "rflo", "eprop", "immediate", "tbptt-4")
MODELS = ("paper", "elman", "gru", "linear", "neuralsde")


def _run(model, params, process, names, T, K=3, seed=0):
    """Drive estimators over one sampled stretch of K chains; returns per-step gradients."""
    theta = model.flatten(params)
    th, tc = model.split(theta)
    prep = model.cell.prepare(tc)
    X, Y = process.sample(T, rng=seed, n_chains=K)
    rng = np.random.default_rng(seed + 1)
    ests = [make_estimator(n, model, rng=rng) for n in names]
    states = [e.initial(K) for e in ests]
    S = model.cell.initial_state(K)
    out = np.zeros((len(ests), T, K, model.n_params))
    for t in range(T):
        lin = model.cell.linearize(prep, S, X[:, t])
        S = lin.S_next
        hd = model.head.derivatives(th, S, Y[:, t])
        for i, e in enumerate(ests):
            states[i] = e.advance(states[i], lin, rng)
            out[i, t] = e.gradient(states[i], hd, Y[:, t])
    return out, X, Y, ests, states


def _dense_immediate(lin, K, P, N):
    """I_t as a dense (K, N, P) array from the row-local terms (independent of the module)."""
    out = np.zeros((K, N, P))
    for term in lin.param_terms:
        for c in range(K):
            for j in range(term.u.shape[1]):
                for i in range(N):
                    w = 1.0 if term.w is None else term.w[i, j]
                    out[c, i, term.offset + j * N + i] += term.a[c, i] * term.u[c, j] * w
    return out


@pytest.mark.parametrize("name", MODELS)
def test_every_estimator_runs_on_every_cell(name):
    model, params, process = bias_setup(name, 3, 0)
    g, *_ = _run(model, params, process, ALL, T=12)
    assert g.shape == (len(ALL), 12, 3, model.n_params)
    assert np.all(np.isfinite(g))
    # The head's gradient needs no sensitivity: identical in every estimator (exact equality).
    Ph = model.n_head_params
    assert np.array_equal(g[:, :, :, :Ph], np.broadcast_to(g[0, :, :, :Ph], g[:, :, :, :Ph].shape))


@pytest.mark.parametrize("name", MODELS)
def test_exact_estimator_equals_bptt(name):
    # Truth: reverse-mode BPTT over the whole sequence; the mean of exact RTRL's per-step
    # gradients is the gradient of L_T. Tolerance: float64 rounding over 15 steps.
    model, params, process = bias_setup(name, 3, 1)
    g, X, Y, *_ = _run(model, params, process, ["exact"], T=15)
    ref = bptt_sequences(model, model.flatten(params), X, Y).grad
    np.testing.assert_allclose(g[0].mean(axis=0), ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["paper", "gru", "neuralsde"])
def test_tbptt_block_sums_equal_bptt_on_each_block(name):
    # Truth: BPTT run separately on each block of tau steps from the carried state.
    tau, T = 4, 12
    model, params, process = bias_setup(name, 3, 2)
    theta = model.flatten(params)
    g, X, Y, *_ = _run(model, params, process, [f"tbptt-{tau}"], T=T)
    S = None
    for a in range(0, T, tau):
        res = bptt_sequences(model, theta, X[:, a : a + tau], Y[:, a : a + tau], S0=S)
        # bptt's grad is the block mean of the per-step gradients: compare block means.
        np.testing.assert_allclose(g[0, a : a + tau].mean(axis=0), res.grad, rtol=1e-10, atol=1e-13)
        S = res.S_T


def test_immediate_equals_tbptt_1_and_eprop_on_the_papers_rnn():
    # Two implementations of the same estimator: the compact diagonal trace with decay 0 and
    # the dense TBPTT(1) restart; and e-prop on the paper's RNN (no leak) is the immediate one.
    model, params, process = bias_setup("paper", 4, 3)
    g, *_ = _run(model, params, process, ["immediate", "tbptt-1", "eprop"], T=10)
    np.testing.assert_allclose(g[0], g[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(g[0], g[2])


@pytest.mark.parametrize("name", MODELS)
def test_snap1_compact_equals_masked_dense_snap1(name):
    # Compact SnAp-1 (decay = diag D_t) against SnApN(n=1) (dense D_t J then the mask): the
    # diagonal entries evolve by the same recursion; float64 rounding only.
    model, params, process = bias_setup(name, 3, 4)
    out, X, Y, ests, states = _run(model, params, process, ["snap-1"], T=10)
    theta = model.flatten(params)
    th, tc = model.split(theta)
    prep = model.cell.prepare(tc)
    dense = SnApN(model, 1)
    st = dense.initial(3)
    S = model.cell.initial_state(3)
    for t in range(10):
        lin = model.cell.linearize(prep, S, X[:, t])
        S = lin.S_next
        st = dense.advance(st, lin)
        hd = model.head.derivatives(th, S, Y[:, t])
        np.testing.assert_allclose(
            dense.gradient(st, hd, Y[:, t]), out[0, t], rtol=1e-10, atol=1e-14
        )


def _ring_elman(N, seed=0):
    """An Elman tanh network whose recurrent matrix is a directed ring i -> i+1 (mod N)."""
    rng = np.random.default_rng(seed)
    model = ElmanRNN(N, 2, activation="tanh", bias=True)
    W = np.zeros((N, N))
    W[(np.arange(N) + 1) % N, np.arange(N)] = rng.uniform(0.5, 0.9, N) * rng.choice([-1, 1], N)
    params = ElmanParams(
        rng.standard_normal(N) / np.sqrt(N),
        rng.standard_normal((N, 2)),
        W,
        0.1 * rng.standard_normal(N),
    )
    return model, params


def test_snap_n_is_exact_once_n_exceeds_the_ring_diameter():
    # Truth: on a directed ring of N neurons the recurrence graph has diameter N - 1, so
    # J_t[k, p] can be nonzero only at distance <= N - 1 from i(p): SnAp-N keeps every such
    # entry (exact RTRL up to rounding), SnAp-(N-1) drops the entries at distance N - 1.
    from rtrl_theory.data import DataProcess, GaussianInputs, TeacherTarget

    N = 5
    model, params = _ring_elman(N)
    process = DataProcess(GaussianInputs(2, 1.0), TeacherTarget(model, params, noise=0.1))
    th, tc = model.split(model.flatten(params))
    lin = model.cell.linearize(model.cell.prepare(tc), np.zeros((1, N)), np.zeros((1, 2)))
    assert graph_diameter(recurrence_graph(lin.state_jac)) == N - 1
    g, *_ = _run(model, params, process, ["exact", f"snap-{N}", f"snap-{N - 1}", "snap-1"], T=3 * N)
    scale = np.abs(g[0]).max()
    np.testing.assert_allclose(g[1], g[0], rtol=0, atol=1e-12 * scale)  # rounding only
    late = slice(N, 3 * N)  # after N steps every distance has been reached
    assert np.abs(g[2][late] - g[0][late]).max() > 1e-6 * scale
    assert np.abs(g[3][late] - g[0][late]).max() > 1e-6 * scale


def test_snap_2_is_exact_on_a_dense_network():
    # The paper's RNN has a dense f(B): diameter 1, so SnAp-2 is exact RTRL.
    model, params, process = bias_setup("paper", 4, 5)
    g, *_ = _run(model, params, process, ["exact", "snap-2"], T=8)
    np.testing.assert_allclose(g[1], g[0], rtol=1e-12, atol=1e-15)


class _Fixed:
    """A stand-in rng whose ``integers`` returns prescribed sign arrays in turn."""

    def __init__(self, draws):
        self.draws = list(draws)

    def integers(self, lo, hi, size):
        return self.draws.pop(0).reshape(size)


def _random_lin(name, N, seed):
    model, params, process = bias_setup(name, N, seed)
    th, tc = model.split(model.flatten(params))
    prep = model.cell.prepare(tc)
    rng = np.random.default_rng(seed)
    S = rng.uniform(-0.5, 0.5, (1, N))
    X = rng.standard_normal((1, model.n_input))
    return model, model.cell.linearize(prep, S, X)


@pytest.mark.parametrize("name", ["paper", "elman", "linear"])
def test_uoro_one_step_is_unbiased_exactly(name):
    # E over all 2^N sign vectors of (s' theta'^T) equals D J~ + I for a fixed, nonzero state:
    # the definition of an unbiased step. Enumeration makes it exact (rounding only).
    N = 4
    model, lin = _random_lin(name, N, 6)
    est = UORO(model)
    rng = np.random.default_rng(7)
    st = est.initial(1)
    st.arrays["s"][:] = rng.standard_normal((1, N))
    st.arrays["theta"][:] = rng.standard_normal((1, model.cell.n_params))
    J = est.influence(st)[0].T  # (N, P)
    D = lin.state_jac.dense()[0]
    expected = D @ J + _dense_immediate(lin, 1, model.cell.n_params, N)[0]
    mean = np.zeros_like(expected)
    signs = list(itertools.product([0, 1], repeat=N))
    for bits in signs:
        new = est.advance(st, lin, _Fixed([np.array(bits)]))
        mean += est.influence(new)[0].T
    mean /= len(signs)
    np.testing.assert_allclose(mean, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("name", ["paper", "gru", "linear"])
def test_kf_rtrl_one_step_is_unbiased_exactly(name):
    # Average over the four sign pairs (c1, c2), the same pair for every term (each block depends
    # only on its own pair, so this is the expectation block by block): D J~ + I exactly.
    N = 3
    model, lin = _random_lin(name, N, 8)
    est = KFRTRL(model)
    rng = np.random.default_rng(9)
    st = est.initial(1)
    for v in st.arrays.values():
        v[:] = rng.standard_normal(v.shape)
    est._w = tuple(t.w for t in lin.param_terms)
    J = est.influence(st)[0].T
    D = lin.state_jac.dense()[0]
    expected = D @ J + _dense_immediate(lin, 1, model.cell.n_params, N)[0]
    mean = np.zeros_like(expected)
    n_terms = len(lin.param_terms)
    for pair in itertools.product([0, 1], repeat=2):
        new = est.advance(st, lin, _Fixed([np.array(pair)] * n_terms))
        mean += est.influence(new)[0].T
    mean /= 4
    np.testing.assert_allclose(mean, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_uoro_and_kf_gradients_are_their_influences_contracted():
    # G~_cell = J~^T dS: the factored gradient formulas against the dense influence.
    model, params, process = bias_setup("gru", 3, 10)
    out, X, Y, ests, states = _run(model, params, process, ["uoro", "kf-rtrl"], T=6)
    th, tc = model.split(model.flatten(params))
    prep = model.cell.prepare(tc)
    S = model.cell.initial_state(3)
    for t in range(6):
        S = model.cell.step(prep, S, X[:, t])
    hd = model.head.derivatives(th, S, Y[:, -1])
    for e, st, g in zip(ests, states, out[:, -1], strict=True):
        dense = np.matmul(e.influence(st), hd.dS[:, :, None])[:, :, 0]
        np.testing.assert_allclose(g[:, model.n_head_params :], dense, rtol=1e-12, atol=1e-14)


def test_immediate_diagonal_matches_dense_immediate_term():
    model, lin = _random_lin("gru", 3, 11)
    P, N = model.cell.n_params, 3
    dense = _dense_immediate(lin, 1, P, N)[0]
    diag = immediate_diagonal(lin.param_terms, 1, P, N)[0]
    rows = np.arange(P) % N
    np.testing.assert_array_equal(dense[rows, np.arange(P)], diag)
    dense[rows, np.arange(P)] = 0.0
    assert not dense.any()  # row-local: nothing off the i(p) entries


def test_memory_counts():
    model, _, _ = bias_setup("paper", 4, 0)  # N = 4, d = 2: P_c = 8 + 16 = 24
    assert ExactRTRL(model).memory() == 4 * 24
    assert UORO(model).memory() == 4 + 24
    assert KFRTRL(model).memory() == (2 + 4) + 16
    assert SnAp1(model).memory() == 24


def test_registry_names_and_errors():
    model, _, _ = bias_setup("paper", 3, 0)
    assert make_estimator("snap-3", model).name == "snap-3"
    assert make_estimator("tbptt-5", model).tau == 5
    assert set(ESTIMATOR_NAMES) >= {"exact", "uoro", "kf-rtrl", "snap-1", "rflo", "eprop"}
    with pytest.raises(ValueError, match="estimator: unknown estimator 'snap-0'"):
        make_estimator("snap-0", model)
    with pytest.raises(ValueError, match="estimator: unknown"):
        make_estimator("uoro2", model)
    other, _, _ = bias_setup("paper", 3, 1)
    with pytest.raises(ValueError, match="bound to another model"):
        make_estimator(UORO(other), model)


@pytest.mark.parametrize("name", MODELS)
def test_write_immediate_equals_the_term_by_term_sum(name):
    from rtrl_theory.online._base import contract_immediate, write_immediate

    model, lin = _random_lin(name, 3, 12)
    P = model.cell.n_params
    nu = np.array([[1.0, -1.0, 1.0]])
    out = np.full((1, P), np.nan)  # garbage in: every entry must be written
    write_immediate(out, lin.param_terms, 3, scale=nu)
    np.testing.assert_array_equal(out, contract_immediate(lin.param_terms, nu, P))


@pytest.mark.parametrize("name", ["uoro", "snap-1", "eprop", "immediate"])
def test_inplace_advance_equals_the_functional_one(name):
    model, lin = _random_lin("gru", 3, 13)
    est = make_estimator(name, model)
    st = est.initial(1)
    for v in st.arrays.values():
        v[:] = np.random.default_rng(0).standard_normal(v.shape)
    a = est.advance(st.copy(), lin, np.random.default_rng(1))
    b = est.advance(st, lin, np.random.default_rng(1), inplace=True)
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
