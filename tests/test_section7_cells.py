"""The Section 7 architectures of [P1] (linear SDE (7.1), Elman (7.4), neural SDE (7.6)) as cells of
the one engine, and their teachers (THEORY.md section 10).

Truth: BPTT (reverse mode) and central finite differences of the plain forward pass for RTRL;
finite differences of ``cell.step`` for the structured Jacobians; finite differences of the BPTT
gradient for the second-order recursion; one chain at a time for the batched engine; closed-form
stability bounds for the teachers.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import max_rel
from scipy.linalg import solve_discrete_lyapunov

from rtrl_theory import (
    finite_difference_grad,
    finite_difference_hessian,
    loss_and_grad,
    loss_grad_hessian,
)
from rtrl_theory.cells._section7 import (
    ElmanCell,
    ElmanParams,
    ElmanRNN,
    LinearSDE,
    LinearSDECell,
    LinearSDEParams,
    NeuralSDE,
    NeuralSDECell,
    NeuralSDEParams,
)
from rtrl_theory.data import DataProcess
from rtrl_theory.data._teachers import (
    GaussianInputs,
    elman_teacher,
    linear_sde_teacher,
    neural_sde_teacher,
    rescaled_gaussian_matrix,
    wishart_matrix,
)
from rtrl_theory.engine import numba_available, rtrl_sequences
from rtrl_theory.engine._exact import fast_path_supported

# (kind, activation, bias): every cell, every activation of Section 7.
CASES = [
    ("linear", None, None),
    ("elman", "tanh", True),
    ("elman", "tanh", False),
    ("elman", "relu", True),
    ("elman", "elu", True),
    ("neural", "tanh", None),
    ("neural", "relu", None),
    ("neural", "elu", None),
]
SIZES = [(1, 1, 10), (3, 2, 25), (5, 3, 20)]


def case_id(case):
    return "-".join(str(c) for c in case if c is not None)


def make_model(kind, activation, bias, N, d):
    if kind == "linear":
        return LinearSDE(N, d, dt=0.1)
    if kind == "elman":
        return ElmanRNN(N, d, activation=activation, bias=bias)
    return NeuralSDE(N, d, dt=0.1, activation=activation)


def preactivations(model, theta, X):
    """phi's arguments z_t along the trajectory (empty for the linear SDE), to stay off kinks."""
    cell = model.cell
    prep = cell.prepare(model.split(theta)[1])
    S, out = cell.initial_state(1), []
    for t in range(X.shape[0]):
        x = X[t][None]
        if isinstance(cell, ElmanCell):
            out.append(cell.stacked_input(S, x) @ prep.Theta.T)
        elif isinstance(cell, NeuralSDECell):
            out.append(S @ prep.W.T + x @ prep.U.T)
        S = cell.step(prep, S, x)
    return np.concatenate(out) if out else np.array([np.inf])


def make_problem(rng, case, N, d, T, *, margin=1e-3):
    """A random model near its initialisation (perturbed so that no block is special, e.g. b != 0)
    and a Section 7 sequence (Gaussian inputs and targets).

    ReLU (kink of phi') and ELU (jump of phi'') are smooth only away from z = 0: for them the draw
    is repeated until every pre-activation along the trajectory has |z| > margin. Finite
    differences of step h move z by about h |dz/dtheta| (h = 1e-5 for gradients, 1e-4 for
    Hessians, |dz/dtheta| of order 1-10), well inside the margin, so they never cross a kink.
    """
    model = make_model(*case, N, d)
    for _ in range(100):
        theta = model.flatten(model.init_params(rng)) + 0.3 * rng.standard_normal(model.n_params)
        X, Y = rng.standard_normal((T, d)), rng.standard_normal(T)
        if case[1] not in ("relu", "elu"):
            return model, theta, X, Y
        if np.abs(preactivations(model, theta, X)).min() > margin:
            return model, theta, X, Y
    raise AssertionError("no draw off the kinks")  # pragma: no cover


# ------------------------------------------------------------------------------------------------
# First order: RTRL = BPTT = finite differences
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N, d, T", SIZES)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rtrl_equals_bptt_and_finite_differences(rng, case, N, d, T):
    model, theta, X, Y = make_problem(rng, case, N, d, T)
    l_f, g_f = loss_and_grad(model, theta, X, Y, method="rtrl", backend="numpy")
    l_b, g_b = loss_and_grad(model, theta, X, Y, method="bptt")
    g_fd = finite_difference_grad(model, theta, X, Y)
    assert type(g_f) is model.params_type
    assert l_f == pytest.approx(l_b, rel=1e-13)  # same forward pass, rounding only
    assert (
        max_rel(model.flatten(g_f), model.flatten(g_b)) <= 1e-10
    )  # exact both ways: rounding only
    # central differences, h = 1e-5: O(h^2) truncation ~1e-10 plus O(eps/h) rounding ~1e-11
    assert max_rel(model.flatten(g_f), g_fd) <= 1e-6


@pytest.mark.skipif(not numba_available(), reason="numba is not installed")
def test_elman_tanh_without_bias_runs_on_the_compiled_kernel(rng):
    model, theta, X, Y = make_problem(rng, ("elman", "tanh", False), 4, 2, 30)
    assert fast_path_supported(model)
    assert fast_path_supported(make_model("elman", "tanh", True, 4, 2))  # a bias column too
    _, g_fast = loss_and_grad(model, theta, X, Y, method="rtrl", backend="numba")
    _, g_ref = loss_and_grad(model, theta, X, Y, method="rtrl", backend="numpy")
    # different summation order, no FMA (engine._numba): float64 rounding only
    assert max_rel(model.flatten(g_fast), model.flatten(g_ref)) <= 1e-12


# ------------------------------------------------------------------------------------------------
# The structured Jacobians against finite differences of cell.step
# ------------------------------------------------------------------------------------------------
def dense_param_jacobian(lin, K, N, P):
    """dS'/dtheta (K, N, P) assembled from the row-local terms."""
    out = np.zeros((K, N, P))
    for term in lin.param_terms:
        v = term.values()  # (K, m, N): [c, j, i] at offset + j N + i
        for j in range(v.shape[1]):
            for i in range(N):
                out[:, i, term.offset + j * N + i] += v[:, j, i]
    return out


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_structured_jacobians_match_finite_differences_of_step(rng, case):
    K, N, d = 3, 4, 2
    model = make_model(*case, N, d)
    cell = model.cell
    tc = model.split(model.flatten(model.init_params(rng)))[1] + 0.3 * rng.standard_normal(
        cell.n_params
    )
    prep = cell.prepare(tc)
    S, X = rng.standard_normal((K, N)), rng.standard_normal((K, d))
    lin = cell.linearize(prep, S, X)
    np.testing.assert_allclose(lin.S_next, cell.step(prep, S, X), rtol=1e-14, atol=1e-14)
    if case[0] == "elman":
        z = cell.stacked_input(S, X) @ prep.Theta.T
    elif case[0] == "neural":
        z = S @ prep.W.T + X @ prep.U.T
    else:
        z = np.inf
    assert np.abs(z).min() > 1e-3  # off ReLU/ELU kinks (h = 1e-6 moves z by ~1e-5 at most)
    h = 1e-6
    dense = lin.state_jac.dense()
    for k in range(N):
        e = np.zeros(N)
        e[k] = h
        col = (cell.step(prep, S + e, X) - cell.step(prep, S - e, X)) / (2 * h)
        assert max_rel(dense[:, :, k], col) <= 1e-8  # h = 1e-6: ~1e-12 truncation, ~1e-10 rounding
    P = cell.n_params
    imm = dense_param_jacobian(lin, K, N, P)
    for p in range(P):
        e = np.zeros(P)
        e[p] = h
        col = (cell.step(cell.prepare(tc + e), S, X) - cell.step(cell.prepare(tc - e), S, X)) / (
            2 * h
        )
        assert np.abs(imm[:, :, p] - col).max() <= 1e-8 * max(1.0, np.abs(imm).max())  # as above


def test_state_jacobian_structure_is_the_documented_one(rng):
    # I + dt A for the linear SDE; I - dt A + dt diag(phi') W for the neural SDE (7.6).
    lin_cell = LinearSDECell(3, 2, dt=0.05)
    tc = rng.standard_normal(lin_cell.n_params)
    sj = lin_cell.linearize(lin_cell.prepare(tc), np.zeros((2, 3)), np.zeros((2, 2))).state_jac
    A = lin_cell.blocks[0].unflatten(tc)
    np.testing.assert_array_equal(sj.diag, np.ones((2, 3)))
    np.testing.assert_array_equal(sj.mats[0], A)
    np.testing.assert_allclose(sj.dense()[0], np.eye(3) + 0.05 * A, rtol=0, atol=1e-15)
    sde = NeuralSDECell(3, 2, dt=0.05, activation="tanh")
    prep = sde.prepare(rng.standard_normal(sde.n_params))
    S, X = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
    phi1 = 1 - np.tanh(S @ prep.W.T + X @ prep.U.T)[0] ** 2
    want = np.eye(3) - 0.05 * prep.A + 0.05 * phi1[:, None] * prep.W
    np.testing.assert_allclose(sde.linearize(prep, S, X).state_jac.dense()[0], want, atol=1e-15)


# ------------------------------------------------------------------------------------------------
# Second order (Section 2.4): Elman and the linear SDE
# ------------------------------------------------------------------------------------------------
HESSIAN_CASES = [
    ("linear", None, None),
    ("elman", "tanh", True),
    ("elman", "tanh", False),
    ("elman", "elu", True),
    ("elman", "relu", True),
]


@pytest.mark.parametrize("N, d, T", [(2, 1, 12), (3, 2, 15)])
@pytest.mark.parametrize("case", HESSIAN_CASES, ids=case_id)
def test_second_order_recursion_equals_finite_differences(rng, case, N, d, T):
    # h = 1e-4 below: stay further (1e-2) from the kinks of ReLU' and ELU''.
    model, theta, X, Y = make_problem(rng, case, N, d, T, margin=1e-2)
    loss, grad, hess = loss_grad_hessian(model, theta, X, Y)
    _, g_b = loss_and_grad(model, theta, X, Y, method="bptt")
    H_fd = finite_difference_hessian(model, theta, X, Y, h=1e-4)
    assert max_rel(grad, model.flatten(g_b)) <= 1e-10  # exact both ways: rounding only
    assert max_rel(hess, hess.T) <= 1e-12  # exact recursion: symmetric up to rounding
    # central differences of the exact BPTT gradient, h = 1e-4: O(h^2) ~1e-8 truncation
    assert max_rel(hess, H_fd) <= 1e-6


def test_neural_sde_has_no_second_order(rng):
    model, theta, X, Y = make_problem(rng, ("neural", "tanh", None), 2, 1, 5)
    with pytest.raises(ValueError, match="order: NeuralSDECell has no second-order recursion"):
        loss_grad_hessian(model, theta, X, Y)


# ------------------------------------------------------------------------------------------------
# Batched engine: K chains at once = one chain at a time
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_batched_equals_one_chain_at_a_time(rng, case):
    K, N, d, T = 4, 3, 2, 15
    model = make_model(*case, N, d)
    theta = model.flatten(model.init_params(rng)) + 0.3 * rng.standard_normal(model.n_params)
    X, Y = rng.standard_normal((K, T, d)), rng.standard_normal((K, T))
    order = 2 if model.cell.has_second_order else 1
    batch = rtrl_sequences(model, theta, X, Y, order=order)
    for c in range(K):
        one = rtrl_sequences(model, theta, X[c : c + 1], Y[c : c + 1], order=order)
        # Other GEMM shapes (and the folded K = 1 path of apply_state_jacobian) change the
        # summation order: rounding only, amplified at most by the T-step recursion.
        assert max_rel(batch.grad[c], one.grad[0]) <= 1e-12
        assert batch.loss[c] == pytest.approx(one.loss[0], rel=1e-13)
        if order == 2:
            assert max_rel(batch.hess[c], one.hess[0]) <= 1e-12


# ------------------------------------------------------------------------------------------------
# Parameters: layout, round trip, validation
# ------------------------------------------------------------------------------------------------
def test_flat_layouts_are_the_documented_ones(rng):
    N, d = 3, 2
    C, A, B = rng.standard_normal(N), rng.standard_normal((N, N)), rng.standard_normal((N, d))
    W, U, b = rng.standard_normal((N, N)), rng.standard_normal((N, d)), rng.standard_normal(N)
    vec = lambda M: M.T.reshape(-1)  # noqa: E731 -- Notation 2.11: stack columns
    cases = [
        (LinearSDE(N, d), LinearSDEParams(C, A, B), [C, vec(A), vec(B)], ["A", "B"]),
        (ElmanRNN(N, d), ElmanParams(C, U, W, b), [C, vec(U), vec(W), b], ["U", "W", "b"]),
        (ElmanRNN(N, d, bias=False), ElmanParams(C, U, W), [C, vec(U), vec(W)], ["U", "W"]),
        (
            NeuralSDE(N, d),
            NeuralSDEParams(C, A, W, U),
            [C, vec(A), vec(W), vec(U)],
            ["A", "W", "U"],
        ),
    ]
    for model, params, parts, names in cases:
        flat = model.flatten(params)
        np.testing.assert_array_equal(flat, np.concatenate(parts))
        assert flat.shape == (model.n_params,)
        assert [blk.name for blk in model.cell.blocks] == names
        assert model.unflatten(flat) == params
        assert model.unflatten(flat) != model.unflatten(flat + 1.0)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="activation: unknown activation 'sigmoidal'"):
        ElmanRNN(2, 1, activation="sigmoidal")
    with pytest.raises(ValueError, match="activation: unknown activation"):
        NeuralSDE(2, 1, activation="softplus")
    with pytest.raises(ValueError, match="dt: expected a positive number"):
        LinearSDE(2, 1, dt=0.0)
    with pytest.raises(ValueError, match="dt: expected a positive number"):
        NeuralSDECell(2, 1, dt=-0.1)
    with pytest.raises(ValueError, match="n_hidden: expected a positive integer"):
        ElmanRNN(0, 1)
    with pytest.raises(TypeError, match="n_input: expected a positive integer"):
        LinearSDE(2, 1.5)
    with pytest.raises(TypeError, match="bias: expected a bool"):
        ElmanCell(2, 1, bias="yes")
    with pytest.raises(ValueError, match=r"A: expected shape \(3, 3\)"):
        LinearSDEParams(np.zeros(3), np.zeros((2, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"b: expected shape \(2,\)"):
        ElmanParams(np.zeros(2), np.zeros((2, 1)), np.zeros((2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="params: ElmanParams with N=2, d=1 do not fit"):
        ElmanRNN(3, 1).flatten(ElmanRNN(2, 1).init_params(0))
    with pytest.raises(ValueError, match="params: ElmanParams with a bias b do not fit"):
        ElmanRNN(2, 1, bias=False).flatten(ElmanRNN(2, 1).init_params(0))
    with pytest.raises(TypeError, match="params: expected NeuralSDEParams"):
        NeuralSDE(2, 1).flatten(LinearSDE(2, 1).init_params(0))
    with pytest.raises(ValueError, match="a_scale: expected a positive number"):
        LinearSDE(2, 1).init_params(0, a_scale=-1.0)


# ------------------------------------------------------------------------------------------------
# Random matrices and teachers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, dof", [(1, None), (4, None), (6, 6), (5, 40)])
def test_wishart_is_symmetric_positive_definite(rng, n, dof):
    A = wishart_matrix(n, rng, dof=dof, scale=2.0)
    np.testing.assert_array_equal(A, A.T)  # symmetrised exactly
    assert np.linalg.eigvalsh(A).min() > 0.0


def test_wishart_has_mean_scale_times_identity(rng):
    # E[G G^T / m] = I; entry variances 2/m (diagonal), 1/m (off-diagonal). With 4000 draws the
    # standard error of the mean is at most sqrt(2 / (m 4000)) = 0.011 for m = 4: 5 sigma = 0.06.
    n, m, c = 3, 4, 1.5
    mean = np.mean([wishart_matrix(n, rng, dof=m, scale=c) for _ in range(4000)], axis=0)
    assert np.abs(mean / c - np.eye(n)).max() <= 5 * np.sqrt(2 / (m * 4000))


def test_wishart_and_rescaled_gaussian_validate(rng):
    with pytest.raises(ValueError, match="dof: expected at least n = 4"):
        wishart_matrix(4, rng, dof=3)
    with pytest.raises(ValueError, match="scale: expected a positive number"):
        wishart_matrix(4, rng, scale=0.0)
    with pytest.raises(ValueError, match="gamma: expected a positive number"):
        rescaled_gaussian_matrix(4, -1.0, rng)


def test_rescaled_gaussian_has_entry_variance_gamma2_over_n(rng):
    n, gamma = 100, 0.7
    W = rescaled_gaussian_matrix(n, gamma, rng)
    # n^2 = 10^4 i.i.d. entries: relative sd of the sample variance sqrt(2/10^4) = 1.4%; 5 sigma.
    assert W.var() * n / gamma**2 == pytest.approx(1.0, abs=5 * np.sqrt(2 / n**2))
    # circular law: spectral radius -> gamma. At n = 100 the ratio r / gamma has mean 1.05, sd
    # 0.04 and range [0.96, 1.28] over 500 draws (measured once): [0.8, 1.4] is a loose band.
    assert 0.8 * gamma <= np.abs(np.linalg.eigvals(W)).max() <= 1.4 * gamma


def run_states(teacher, X):
    """The teacher's states S*_1..S*_T on inputs X (T, d), by the cell's plain step."""
    model = teacher.model
    cell = model.cell
    prep = cell.prepare(model.split(model.flatten(teacher.params))[1])
    S, out = cell.initial_state(1), np.empty((X.shape[0], model.n_hidden))
    for t in range(X.shape[0]):
        S = cell.step(prep, S, X[t][None])
        out[t] = S[0]
    return out


def test_linear_sde_teacher_is_stable_and_stays_within_its_stationary_law(rng):
    N, d, dt = 4, 2, 0.1
    teacher = linear_sde_teacher(N, d, rng, dt=dt)
    A_star = -teacher.params.A
    np.testing.assert_array_equal(A_star, A_star.T)
    lam = np.linalg.eigvalsh(A_star)
    assert lam.min() > 0  # A* positive definite, so the student's true A = -A* is negative definite
    M = np.eye(N) - dt * A_star
    assert teacher.lipschitz == pytest.approx(np.abs(np.linalg.eigvalsh(M)).max(), rel=1e-12)
    assert teacher.contracting
    X = GaussianInputs(d).sample(4000, rng)
    S = run_states(teacher, X)
    # From S_0 = 0 the covariance increases to the stationary Sigma = M Sigma M^T + dt^2 B B^T, so
    # each S^k_t is N(0, <= Sigma_kk): 6 sigma over 16000 draws fails with probability < 1e-4.
    B = teacher.params.B
    Sigma = solve_discrete_lyapunov(M, dt**2 * B @ B.T)
    assert np.all(np.abs(S) <= 6 * np.sqrt(np.diag(Sigma)))
    with pytest.raises(ValueError, match="dt: the teacher is unstable"):
        linear_sde_teacher(N, d, rng, dt=5.0)  # dt lambda_max(A*) >= 2


def test_elman_teachers_are_bounded(rng):
    N, d = 6, 2
    X = GaussianInputs(d).sample(3000, rng)
    tanh = elman_teacher(N, d, rng, activation="tanh", gamma=1.5)  # any gamma: |tanh| <= 1
    assert not tanh.contracting and np.abs(run_states(tanh, X)).max() <= 1.0
    for act in ("relu", "elu"):
        teacher = elman_teacher(N, d, rng, activation=act, gamma=0.3)
        L = teacher.lipschitz
        assert L == pytest.approx(np.linalg.norm(teacher.params.W, 2), rel=1e-12)
        assert L < 1
        norms = np.linalg.norm(run_states(teacher, X), axis=1)
        # E||S|| <= E||U X|| / (1 - L) <= ||U||_F / (1 - L) (docstring); the time average of a
        # stationary, geometrically mixing sequence over 3000 steps stays below it (the bound is
        # loose by a factor of several, far more than the averaging error).
        assert norms.mean() <= np.linalg.norm(teacher.params.U) / (1 - L)
    with pytest.raises(ValueError, match="gamma: the relu teacher needs"):
        elman_teacher(N, d, rng, activation="relu", gamma=3.0)
    biased = elman_teacher(N, d, rng, bias=True)
    assert biased.model.bias and np.array_equal(biased.params.b, np.zeros(N))


def test_neural_sde_teachers_are_bounded(rng):
    N, d, dt = 5, 2, 0.1
    X = GaussianInputs(d).sample(3000, rng)
    teacher = neural_sde_teacher(N, d, rng, dt=dt, activation="tanh")
    A_star = teacher.params.A
    assert np.linalg.eigvalsh(A_star).min() > 0  # (7.6): A* positive definite
    rho = np.abs(np.linalg.eigvalsh(np.eye(N) - dt * A_star)).max()
    # |tanh| <= 1: ||S_{t+1}|| <= rho ||S_t|| + dt sqrt(N), a deterministic bound from S_0 = 0.
    bound = dt * np.sqrt(N) / (1 - rho)
    assert np.linalg.norm(run_states(teacher, X), axis=1).max() <= bound * (1 + 1e-12)
    # ReLU needs ||W*|| < lambda_min(A*): small gamma and more degrees of freedom.
    relu = neural_sde_teacher(N, d, rng, dt=dt, activation="relu", gamma=0.05, dof=10 * N)
    L = relu.lipschitz
    assert L < 1
    norms = np.linalg.norm(run_states(relu, X), axis=1)
    assert norms.mean() <= dt * np.linalg.norm(relu.params.U) / (1 - L)  # as for Elman
    with pytest.raises(ValueError, match="gamma: the relu teacher needs"):
        neural_sde_teacher(N, d, rng, activation="relu")
    with pytest.raises(ValueError, match="dt: the teacher is unstable"):
        neural_sde_teacher(N, d, rng, dt=5.0)


# ------------------------------------------------------------------------------------------------
# Section 7 data: GaussianInputs + TeacherTarget in a DataProcess
# ------------------------------------------------------------------------------------------------
def test_gaussian_inputs_have_the_stated_law(rng):
    chain = GaussianInputs(3, std=2.5)
    assert chain.C_x == np.inf
    X = chain.sample(20000, rng)
    # 60000 i.i.d. N(0, 6.25) draws: sd of the mean 2.5/245 = 0.010, of the std 2.5/346 = 0.0072.
    assert np.abs(X.mean()) <= 5 * 2.5 / np.sqrt(X.size)
    assert X.std() == pytest.approx(2.5, abs=5 * 2.5 / np.sqrt(2 * X.size))
    with pytest.raises(ValueError, match="std: expected a positive number"):
        GaussianInputs(3, std=0.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: linear_sde_teacher(3, 2, r),
        lambda r: elman_teacher(3, 2, r, activation="relu"),
        lambda r: neural_sde_teacher(3, 2, r),
    ],
    ids=["linear", "elman", "neural"],
)
def test_data_process_produces_reproducible_section7_data(make):
    teacher = make(np.random.default_rng(3))
    proc = DataProcess(GaussianInputs(2, std=1.5), teacher.target(noise=0.0))
    X, Y = proc.sample(300, np.random.default_rng(7))
    assert X.shape == (300, 2) and Y.shape == (300,)
    X2, Y2 = proc.sample(300, np.random.default_rng(7))
    np.testing.assert_array_equal(X2, X)  # same seed, same data
    np.testing.assert_array_equal(Y2, Y)
    assert not np.array_equal(proc.sample(300, np.random.default_rng(8))[0], X)
    pieces = list(proc.stream(np.random.default_rng(7)).chunks(300, 41))
    np.testing.assert_array_equal(np.concatenate([p[1] for p in pieces]), Y)  # chunking-invariant
    # the targets are the teacher's noiseless outputs C* . S*_{t+1} on these inputs
    np.testing.assert_allclose(Y, run_states(teacher, X) @ teacher.params.C, rtol=1e-13, atol=1e-13)
    Xb, Yb = teacher.process(input_std=1.5).sample(50, np.random.default_rng(7), n_chains=4)
    assert Xb.shape == (4, 50, 2) and Yb.shape == (4, 50)
