"""Character-level models: softmax head, GRU and one-hot Elman cells, sparse one-hot inputs, text
data, training on text and the compiled text kernel.

Truth: central finite differences (of the head's loss, of a plain forward pass), BPTT against
RTRL, the dense one-hot path against the sparse one, hand-computed streams and digests, and the
NumPy trainer against the compiled kernel.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from conftest import max_rel

from rtrl_theory import finite_difference_grad, loss_and_grad
from rtrl_theory.cells._base import IndexedRowLocalTerm
from rtrl_theory.cells._gru import GRURNN, CharElmanRNN, GRUCell, char_rnn
from rtrl_theory.cells._softmax import SoftmaxCrossEntropy, as_index_array
from rtrl_theory.data import DataProcess, ExampleChain
from rtrl_theory.data._datadir import (
    DATA_ENV_VAR,
    ChecksumError,
    MissingDataError,
    _project_default,
    data_file,
    resolve_data_dir,
    verify_sha256,
)
from rtrl_theory.data._text import (
    TINY_SHAKESPEARE,
    CharVocabulary,
    bits_per_character,
    iter_text_chunks,
    load_tiny_shakespeare,
    next_char_pairs,
    parallel_streams,
    tiny_shakespeare,
    train_heldout_split,
)
from rtrl_theory.engine import add_row_local, bptt_sequences, numba_available, rtrl_sequences
from rtrl_theory.runners import PowerSchedule, train_online

ONEHOT_CASES = ["gru", "elman-tanh", "elman-elu"]
needs_numba = pytest.mark.skipif(not numba_available(), reason="numba is not installed")


def _problem(rng, cell, N=3, V=5, T=12, *, input_kind="onehot", jitter=0.3):
    model = char_rnn(cell, N, V, input_kind=input_kind)
    theta = model.init_params(rng) + jitter * rng.standard_normal(model.n_params)
    x = rng.integers(0, V, T)
    y = rng.integers(0, V, T)
    return model, theta, x, y


# ------------------------------------------------------------------------------------------------
# Softmax cross-entropy head
# ------------------------------------------------------------------------------------------------
def test_softmax_head_first_and_second_derivatives_match_finite_differences(rng):
    N, C, K = 3, 4, 2
    head = SoftmaxCrossEntropy(N, C)
    th = rng.standard_normal(head.n_params)
    S = rng.standard_normal((K, N))
    y = np.array([1, 3])
    hd = head.derivatives(th, S, y, order=2)
    h = 1e-6
    # Central differences, h = 1e-6: truncation h^2 ~ 1e-12, rounding eps/h ~ 1e-10 on O(1)
    # losses; 1e-7 relative is a wide margin for both.
    for c in range(K):
        fd_S = np.array(
            [
                (
                    head.loss(th, S[c : c + 1] + h * e, y[c : c + 1])[0]
                    - head.loss(th, S[c : c + 1] - h * e, y[c : c + 1])[0]
                )
                / (2 * h)
                for e in np.eye(N)
            ]
        )
        fd_th = np.array(
            [
                (
                    head.loss(th + h * e, S[c : c + 1], y[c : c + 1])[0]
                    - head.loss(th - h * e, S[c : c + 1], y[c : c + 1])[0]
                )
                / (2 * h)
                for e in np.eye(head.n_params)
            ]
        )
        assert max_rel(hd.dS[c], fd_S) <= 1e-7
        assert max_rel(hd.dtheta[c], fd_th) <= 1e-7
        # second order: differences of the (exact) first derivatives, same error budget
        dSS = np.stack(
            [
                (
                    head.derivatives(th, S + h * e, y).dS[c]
                    - head.derivatives(th, S - h * e, y).dS[c]
                )
                / (2 * h)
                for e in np.eye(N)
            ],
            axis=1,
        )
        dthS = np.stack(
            [
                (
                    head.derivatives(th, S + h * e, y).dtheta[c]
                    - head.derivatives(th, S - h * e, y).dtheta[c]
                )
                / (2 * h)
                for e in np.eye(N)
            ],
            axis=1,
        )
        dthth = np.stack(
            [
                (
                    head.derivatives(th + h * e, S, y).dtheta[c]
                    - head.derivatives(th - h * e, S, y).dtheta[c]
                )
                / (2 * h)
                for e in np.eye(head.n_params)
            ],
            axis=1,
        )
        assert max_rel(hd.dSS[c], dSS) <= 1e-7
        assert max_rel(hd.dthetaS[c], dthS) <= 1e-7
        assert max_rel(hd.dthetatheta[c], dthth) <= 1e-7
    # yhat: the class probabilities
    np.testing.assert_allclose(hd.yhat.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(hd.loss, -np.log(hd.yhat[np.arange(K), y]), rtol=1e-14)


def test_softmax_head_is_stable_for_huge_logits():
    head = SoftmaxCrossEntropy(1, 2)
    th = head.pack(np.array([[1.0], [0.0]]), np.zeros(2))  # logits (1000 s, 0)
    S = np.array([[1000.0], [1000.0]])
    hd = head.derivatives(th, S, np.array([1, 0]))
    assert np.all(np.isfinite(hd.loss)) and np.all(np.isfinite(hd.dtheta))
    assert hd.loss[0] == pytest.approx(1000.0, rel=1e-15)  # -log softmax = 1000 + log(1 + e^-1000)
    assert hd.loss[1] == 0.0  # log(1 + e^-1000) rounds to 0
    V, c = head.unpack(th)
    np.testing.assert_array_equal(head.pack(V, c), th)


def test_index_arrays_are_validated():
    np.testing.assert_array_equal(as_index_array([0, 2], "Y", 3), [0, 2])
    with pytest.raises(TypeError, match="Y: expected an integer array"):
        as_index_array(np.array([0.0, 1.0]), "Y", 3)
    with pytest.raises(ValueError, match=r"X: indices must lie in \[0, 3\), got 3"):
        as_index_array([0, 3], "X", 3)
    with pytest.raises(ValueError, match="n_classes"):
        SoftmaxCrossEntropy(2, 1)


# ------------------------------------------------------------------------------------------------
# Cells with one-hot inputs: RTRL = BPTT = finite differences; sparse = dense
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ONEHOT_CASES)
@pytest.mark.parametrize("N, V, T", [(1, 2, 8), (3, 5, 15)])
def test_onehot_models_get_exact_rtrl_and_bptt(rng, cell, N, V, T):
    model, theta, x, y = _problem(rng, cell, N, V, T)
    l_f, g_f = loss_and_grad(model, theta, x, y, method="rtrl")
    l_b, g_b = loss_and_grad(model, theta, x, y, method="bptt")
    g_fd = finite_difference_grad(model, theta, x, y)
    # Observed: 4e-16 (RTRL vs BPTT: the same sums in another order) and 4e-10 (central
    # differences with h = 1e-5: h^2 truncation plus eps/h rounding), so the bounds are margins.
    assert l_f == pytest.approx(l_b, rel=1e-14)
    assert max_rel(g_f, g_b) <= 1e-10
    assert max_rel(g_f, g_fd) <= 1e-6


@pytest.mark.parametrize("cell", ONEHOT_CASES + ["elman-relu"])
def test_sparse_onehot_path_equals_the_dense_onehot_path(rng, cell):
    V, T = 6, 20
    sparse, theta, x, y = _problem(rng, cell, 4, V, T)
    dense = char_rnn(cell, 4, V, input_kind="dense")
    X = np.eye(V)[x]
    # Same parameters, same function: only the summation order of the pre-activation differs
    # (column lookup vs a product with zeros), so everything agrees to rounding.
    l_s, g_s = loss_and_grad(sparse, theta, x, y)
    l_d, g_d = loss_and_grad(dense, theta, X, y)
    assert l_s == pytest.approx(l_d, rel=1e-14)
    assert max_rel(g_s, g_d) <= 1e-13
    K = 3
    res_s = rtrl_sequences(sparse, theta, np.stack([x] * K), np.stack([y] * K))
    res_d = bptt_sequences(dense, theta, np.stack([X] * K), np.stack([y] * K))
    assert max_rel(res_s.grad, res_d.grad) <= 1e-13
    cs, cd = sparse.cell, dense.cell
    ps, pd = cs.prepare(sparse.split(theta)[1]), cd.prepare(dense.split(theta)[1])
    S = rng.standard_normal((K, 4))
    np.testing.assert_allclose(cs.step(ps, S, x[:K]), cd.step(pd, S, X[:K]), rtol=1e-14, atol=1e-15)


def test_indexed_row_local_term_equals_its_dense_one_hot_form(rng):
    K, N, V, off = 3, 4, 5, 7
    term = IndexedRowLocalTerm(off, rng.standard_normal((K, N)), np.array([4, 0, 4]), V)
    weighted = IndexedRowLocalTerm(off, term.a, term.index, V, rng.standard_normal((N, V)))
    for t in (term, weighted):
        Jt0 = rng.standard_normal((K, off + N * V + 2, N))
        J_sparse, J_dense = Jt0.copy(), Jt0.copy()
        add_row_local(J_sparse, t)
        add_row_local(J_dense, t.to_dense())
        # a * 1 and x + 0 are exact: the two paths agree bit for bit
        np.testing.assert_array_equal(J_sparse, J_dense)
        changed = np.argwhere(J_sparse != Jt0)
        assert {(c, p) for c, p, _ in changed} <= {
            (c, off + int(t.index[c]) * N + i) for c in range(K) for i in range(N)
        }


def test_gru_structured_jacobians_match_finite_differences_of_step(rng):
    N, d = 3, 2
    cell = GRUCell(N, d)
    theta = rng.standard_normal(cell.n_params)
    prep = cell.prepare(theta)
    S, X = rng.standard_normal((2, N)), rng.standard_normal((2, d))
    lin = cell.linearize(prep, S, X)
    h = 1e-6
    # central differences of the plain step, truncation ~1e-12, rounding ~1e-10
    fd = np.stack(
        [
            (cell.step(prep, S + h * e, X) - cell.step(prep, S - h * e, X)) / (2 * h)
            for e in np.eye(N)
        ],
        axis=2,
    )
    np.testing.assert_allclose(lin.state_jac.dense(), fd, atol=1e-8)
    np.testing.assert_array_equal(lin.S_next, cell.step(prep, S, X))


def test_models_validate_inputs_by_kind(rng):
    model = GRURNN(2, 4, 4)
    theta = model.init_params(rng)
    with pytest.raises(TypeError, match="X: expected an integer array"):
        loss_and_grad(model, theta, np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"Y: indices must lie in \[0, 4\)"):
        loss_and_grad(model, theta, np.array([0, 1, 2]), np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="Y: expected shape"):
        loss_and_grad(model, theta, np.array([0, 1, 2]), np.array([0, 1]))
    with pytest.raises(ValueError, match="input_kind"):
        GRURNN(2, 4, 4, input_kind="sparse")
    with pytest.raises(ValueError, match="cell: expected one of"):
        char_rnn("transformer", 2, 4)
    reg = CharElmanRNN(2, 3, None)  # one-hot inputs, squared-error readout, real targets
    assert (reg.input_kind, reg.target_kind) == ("onehot", "real")
    th_reg, x, yr = reg.init_params(rng), np.array([0, 2, 1]), np.array([0.5, -1.0, 2.0])
    _, g_f = loss_and_grad(reg, th_reg, x, yr, method="rtrl")
    _, g_b = loss_and_grad(reg, th_reg, x, yr, method="bptt")
    assert max_rel(g_f, g_b) <= 1e-10  # rounding only
    assert set(model.named(theta)) == {"V", "c"} | {b.name for b in model.cell.blocks}


# ------------------------------------------------------------------------------------------------
# Vocabulary, streams, data directory, tiny shakespeare
# ------------------------------------------------------------------------------------------------
def test_vocabulary_round_trip_and_errors(rng):
    text = "To be, or not to be: that is the question.\nWhether 'tis nobler...\u00e9"
    vocab = CharVocabulary.from_text(text)
    assert vocab.chars == "".join(sorted(set(text))) and len(vocab) == len(set(text))
    idx = vocab.encode(text)
    assert idx.dtype == np.int64 and idx.shape == (len(text),)
    assert vocab.decode(idx) == text
    assert vocab.decode(vocab.encode("")) == ""
    with pytest.raises(ValueError, match="character 'Z' is not in the vocabulary"):
        vocab.encode("toZ")
    with pytest.raises(ValueError, match="indices"):
        vocab.decode([len(vocab)])
    with pytest.raises(ValueError, match="chars"):
        CharVocabulary("ba")


def test_next_character_streams():
    idx = np.arange(11)
    x, y = next_char_pairs(idx)
    np.testing.assert_array_equal(x, idx[:-1])
    np.testing.assert_array_equal(y, idx[1:])
    X, Y = parallel_streams(idx, 3)  # L = 10 // 3 = 3
    np.testing.assert_array_equal(X, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(Y, X + 1)
    chunks = list(iter_text_chunks(idx, 4))
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), x)
    assert [c[0].shape[0] for c in chunks] == [4, 4, 2]
    Xb = np.concatenate([c[0] for c in iter_text_chunks(idx, 2, n_streams=3)], axis=1)
    np.testing.assert_array_equal(Xb, X)
    train, held = train_heldout_split(np.arange(1_115_394))
    assert train.shape[0] == 1_003_854 and held.shape[0] == 111_540
    with pytest.raises(TypeError, match="indices"):
        next_char_pairs(np.zeros(4))


def test_data_dir_resolution_order(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.setenv(DATA_ENV_VAR, str(b))
    assert resolve_data_dir(a) == a.resolve()  # the argument wins
    assert resolve_data_dir() == b.resolve()  # then the environment
    with pytest.raises(MissingDataError, match="data_dir: .* is not an existing directory"):
        resolve_data_dir(tmp_path / "missing")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(MissingDataError, match=f"{DATA_ENV_VAR}: .* not an existing directory"):
        resolve_data_dir()
    monkeypatch.delenv(DATA_ENV_VAR)
    default = _project_default()
    if default is not None and default.is_dir():
        assert resolve_data_dir() == default
    else:
        with pytest.raises(MissingDataError, match="--data-dir"):
            resolve_data_dir()


def test_sha256_check_and_clear_errors(tmp_path):
    f = tmp_path / "x.txt"
    f.write_bytes(b"hello\n")
    digest = hashlib.sha256(b"hello\n").hexdigest()
    assert verify_sha256(f, digest.upper()) == f
    with pytest.raises(ChecksumError, match=r"has sha256 .*expected 0+.*altered.*get it from X"):
        verify_sha256(f, "0" * 64, source="X")
    with pytest.raises(MissingDataError, match="not found .*get it from X"):
        verify_sha256(tmp_path / "nope.txt", digest, source="X")
    assert data_file("x.txt", digest, data_dir=tmp_path) == f
    assert isinstance(MissingDataError("m"), FileNotFoundError)
    assert isinstance(ChecksumError("m"), ValueError)


def test_tiny_shakespeare_missing_or_altered_file_gives_a_clear_error(tmp_path):
    with pytest.raises(MissingDataError, match=r"tinyshakespeare\.txt.*not found.*char-rnn"):
        load_tiny_shakespeare(tmp_path)
    (tmp_path / "shakespeare").mkdir()
    (tmp_path / "shakespeare" / "tinyshakespeare.txt").write_text("First Citizen:\nshort\n")
    with pytest.raises(ChecksumError, match=rf"expected {TINY_SHAKESPEARE.sha256}.*altered"):
        load_tiny_shakespeare(tmp_path)


_REAL = _project_default()
has_real_data = _REAL is not None and (_REAL / TINY_SHAKESPEARE.relpath).is_file()


@pytest.mark.skipif(not has_real_data, reason="../shared/data/shakespeare is not present")
def test_real_tiny_shakespeare():
    split = tiny_shakespeare(_REAL)
    assert split.vocab.size == 65
    assert split.n_train == 1_003_854 and split.n_heldout == 111_540
    assert split.vocab.decode(split.train[:14]) == "First Citizen:"


# ------------------------------------------------------------------------------------------------
# Bits per character and training on text
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_bits_per_character_of_a_uniform_predictor_is_log2_v(rng, backend):
    V = 65
    model = char_rnn("gru", 4, V)
    theta = model.init_params(rng)
    theta[: model.n_head_params] = 0.0  # zero logits whatever the state
    bpc = bits_per_character(model, theta, rng.integers(0, V, 200), backend=backend)
    assert bpc == pytest.approx(math.log2(V), rel=1e-14)


def _toy_text(rng, n):
    words = ["the ", "cat ", "sat ", "on ", "a ", "mat. ", "dog ", "ran "]
    out = "".join(rng.choice(words, n // 3))
    return out[:n]


def test_short_rmsprop_training_lowers_heldout_bits_per_character(rng):
    text = _toy_text(rng, 4000)
    vocab = CharVocabulary.from_text(text)
    train, held = train_heldout_split(vocab.encode(text), 0.75)
    model = char_rnn("gru", 8, vocab.size)
    theta0 = model.init_params(rng)
    x, y = next_char_pairs(train)
    res = train_online(
        model,
        theta0,
        (x, y),
        x.shape[0],
        schedule=PowerSchedule(0.01, 1000.0, 0.0),
        allow_non_robbins_monro=True,
        optimizer="rmsprop",
        backend="numpy",
    )
    assert res.status == "completed"
    before = bits_per_character(model, theta0, held, backend="numpy")
    after = bits_per_character(model, res.params, held, backend="numpy")
    # The toy text (8 words, V = 14) has 3 bits of uncertainty per word start and little inside
    # words; 3000 steps of RMSprop take the GRU from ~log2(V) = 3.8 to 0.85-1.0 bits (observed
    # for three seeds), so a drop of 1 bit is a loose margin.
    assert after < before - 1.0


def test_tbptt_and_mini_batches_run_on_text(rng):
    text = _toy_text(rng, 1200)
    vocab = CharVocabulary.from_text(text)
    idx = vocab.encode(text)
    model = char_rnn("elman-tanh", 6, vocab.size)
    theta0 = model.init_params(rng)
    X, Y = parallel_streams(idx, 3)
    kw = dict(
        schedule=PowerSchedule(0.01, 1000.0, 0.0),
        allow_non_robbins_monro=True,
        optimizer="rmsprop",
        batch_size=3,
    )
    tb = train_online(model, theta0, (X, Y), 390, algo="tbptt", tau=10, **kw)
    rt = train_online(model, theta0, (X, Y), 390, algo="rtrl", **kw)
    for res in (tb, rt):
        assert res.status == "completed"
        assert res.losses[-100:].mean() < res.losses[:50].mean()
    # the first TBPTT update is RMSprop on tau times the chain mean of the block gradients
    blk = bptt_sequences(model, theta0, X[:, :10], Y[:, :10])
    g = 10 * blk.grad.mean(axis=0)
    first = train_online(model, theta0, (X, Y), 10, algo="tbptt", tau=10, **kw)
    expected = theta0 - 0.01 * g / (np.sqrt(0.1 * g * g) + 1e-8)
    np.testing.assert_allclose(first.param_path[-1], expected, rtol=1e-12, atol=1e-15)


def test_trainer_rejects_bad_text_data(rng):
    model = char_rnn("gru", 2, 4)
    theta = model.init_params(rng)
    kw = dict(schedule=PowerSchedule(0.01, 100.0, 0.75))
    with pytest.raises(TypeError, match="X: expected an integer array"):
        train_online(model, theta, (np.zeros(5), np.zeros(5, dtype=int)), 5, **kw)
    with pytest.raises(ValueError, match=r"Y: indices must lie in \[0, 4\)"):
        train_online(model, theta, (np.zeros(5, dtype=int), np.full(5, 7)), 5, **kw)
    with pytest.raises(ValueError, match=r"X: batch_size = 2 needs X of shape \(2, T\)"):
        train_online(
            model, theta, (np.zeros(5, dtype=int), np.zeros(5, dtype=int)), 5, batch_size=2, **kw
        )
    with pytest.raises(TypeError, match="data: a model with input_kind='onehot'"):
        train_online(model, theta, DataProcess(ExampleChain(4, 0.5)), 5, **kw)
    with pytest.raises(ValueError, match="fewer than n_steps"):
        train_online(model, theta, (np.zeros(5, dtype=int), np.zeros(5, dtype=int)), 6, **kw)


# ------------------------------------------------------------------------------------------------
# Compiled text kernel
# ------------------------------------------------------------------------------------------------
@needs_numba
@pytest.mark.parametrize(
    "cell, opt", [("gru", "rmsprop"), ("elman-elu", "sgd"), ("elman-tanh", "rmsprop")]
)
def test_compiled_text_kernel_matches_the_numpy_trainer(rng, cell, opt):
    from rtrl_theory.engine._numba_text import rtrl_train_text_fast, text_fast_supported

    V, T = 7, 150
    model = char_rnn(cell, 5, V)
    assert text_fast_supported(model)
    assert not text_fast_supported(char_rnn(cell, 5, V, input_kind="dense"))
    theta0 = model.init_params(rng)
    idx = rng.integers(0, V, T + 1)
    X, Y = idx[:-1], idx[1:]
    sched = PowerSchedule(0.01, 100.0, 0.75)
    ref = train_online(model, theta0, (X, Y), T, schedule=sched, optimizer=opt, record_every=T)
    fast = rtrl_train_text_fast(model, theta0, X, Y, etas=sched(np.arange(T)), optimizer=opt)
    # The same algorithm in another summation order (the gradient row rides in the J GEMM):
    # observed 1e-15 after 150 steps; 1e-11 leaves room for the amplification by the updates.
    assert fast.fail == -1
    np.testing.assert_allclose(fast.losses, ref.losses, rtol=1e-11)
    np.testing.assert_allclose(fast.grad_norms, ref.grad_norms, rtol=1e-11)
    assert max_rel(fast.theta, ref.param_path[-1]) <= 1e-11
    bpc_n = bits_per_character(model, fast.theta, idx, backend="numpy")
    bpc_c = bits_per_character(model, fast.theta, idx, backend="numba")
    assert bpc_c == pytest.approx(bpc_n, rel=1e-13)


@needs_numba
def test_compiled_text_kernel_records_divergence(rng):
    from rtrl_theory.engine._numba_text import rtrl_train_text_fast

    model = char_rnn("elman-relu", 3, 4)
    X, Y = rng.integers(0, 4, 20), rng.integers(0, 4, 20)
    res = rtrl_train_text_fast(
        model, model.init_params(rng), X, Y, etas=np.full(20, 1e300), optimizer="sgd"
    )
    assert res.fail >= 0 and res.reason.startswith(("parameters", "loss"))
    assert np.all(np.isfinite(res.theta))
    with pytest.raises(ValueError, match="model: the compiled text kernel does not cover it"):
        rtrl_train_text_fast(
            char_rnn("gru", 2, 4, input_kind="dense"), np.zeros(1), X, Y, etas=np.ones(20)
        )
