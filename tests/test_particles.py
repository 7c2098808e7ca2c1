"""Particles of the joint process Z_t (runners._particles).

Truth: the exact loss/gradient/Hessian functions of the engine on the particle's own recorded
sequence (an independent route to the same numbers), the a-priori box, and the coupling
construction itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import max_rel

from rtrl_theory import PaperRNN, loss_and_grad, loss_grad_hessian
from rtrl_theory.bounds import apriori_bounds
from rtrl_theory.data import DataProcess, ExampleChain, LipschitzTarget, TeacherTarget
from rtrl_theory.runners import JointProcess


def _process(kind, model, rng):
    chain = ExampleChain(model.n_input, 0.6, 0.4)
    if kind == "lipschitz":
        return DataProcess(chain, LipschitzTarget.random(model.n_input, noise=0.1, rng=rng))
    return DataProcess(chain, TeacherTarget(model, model.init_params(rng, scale=2.0), noise=0.1))


@pytest.mark.parametrize("kind", ["lipschitz", "teacher"])
def test_particle_averages_are_the_exact_gradient_and_hessian_of_its_sequence(rng, kind):
    # Started from the point law (x0 = 0, S0 = 0, zero derivatives), a particle's time average of
    # G~ over steps 0..T-1 is exactly grad L_T of its own (X, Y) sequence, and likewise the Hessian.
    model = PaperRNN(3, 2, c_f=0.3)
    params = model.init_params(rng)
    jp = JointProcess(model, params, _process(kind, model, rng), order=2, backend="numpy")
    Xs, Ys, G, H = [], [], [], []

    def record(z):
        Xs.append(z.X.copy())
        Ys.append(z.Y.copy())
        G.append(jp.update_direction(z))
        H.append(jp.hessian(z))

    z = jp.initial(4, rng=1)
    record(z)
    jp.run(z, 29, rng=2, callback=record)
    X, Y = np.stack(Xs, 1), np.stack(Ys, 1)  # (K, T, d), (K, T)
    for c in range(4):
        _, g = loss_and_grad(model, params, X[c], Y[c], method="bptt")
        _, g2, h2 = loss_grad_hessian(model, params, X[c], Y[c])
        assert max_rel(np.mean([gt[c] for gt in G], 0), model.flatten(g)) <= 1e-12  # rounding only
        assert max_rel(np.mean([ht[c] for ht in H], 0), h2) <= 1e-12


def test_same_generator_state_gives_the_synchronous_coupling(rng):
    model = PaperRNN(3, 2, c_f=0.3)
    jp = JointProcess(model, model.init_params(rng), _process("lipschitz", model, rng), order=1)
    a = jp.initial(200, rng=1, law="point")
    b = jp.initial(200, rng=1, law="box")
    ra, rb = np.random.default_rng(7), np.random.default_rng(7)
    d0 = np.abs(jp.flatten(a) - jp.flatten(b)).max(1).mean()
    for _ in range(60):
        a, b = jp.step(a, ra), jp.step(b, rb)
    d60 = np.abs(jp.flatten(a) - jp.flatten(b)).max(1).mean()
    # rho_bar = max(lam, rho) = 0.6 here: 60 steps shrink the distance by at least 0.6^60 ~ 5e-14
    # (times the constant); 1e-9 leaves a wide margin.
    assert d0 > 0.1 and d60 < 1e-9 * d0
    # and the same draws reproduce exactly
    c = jp.run(jp.initial(200, rng=1), 5, rng=3)
    d = jp.run(jp.initial(200, rng=1), 5, rng=3)
    np.testing.assert_array_equal(jp.flatten(c), jp.flatten(d))


def test_box_law_lies_in_the_a_priori_box(rng):
    model = PaperRNN(2, 2, c_f=0.5)
    jp = JointProcess(model, model.init_params(rng), _process("lipschitz", model, rng), order=2)
    z = jp.initial(500, rng=4, law="box")
    b = apriori_bounds(model, jp.process.chain.C_x)
    nW = 4
    assert np.all((z.S > 0) & (z.S < 1))
    assert np.abs(z.Jt[:, :nW]).max() <= b.K_W and np.abs(z.Jt[:, nW:]).max() <= b.K_B
    assert np.abs(z.Ht[:, :nW, :nW]).max() <= b.K_WW
    np.testing.assert_array_equal(z.Ht, z.Ht.transpose(0, 2, 1, 3))  # symmetric slices
    # and the dynamics keep it there
    z = jp.run(z, 30, rng=5)
    assert np.abs(z.Jt[:, :nW]).max() <= b.K_W and np.abs(z.Ht[:, nW:, nW:]).max() <= b.K_BB


def test_blocks_and_bad_input(rng):
    model = PaperRNN(3, 2)
    proc = _process("lipschitz", model, rng)
    jp = JointProcess(model, model.init_params(rng), proc, order=1)
    z = jp.initial(10, rng=0)
    assert jp.flatten(z, ["X", "S"]).shape == (10, 5)
    assert jp.flatten(z, "J").shape == (10, 3 * 15)
    with pytest.raises(ValueError, match="block: unknown block 'Q'"):
        jp.flatten(z, "Q")
    with pytest.raises(ValueError, match="block: 'H' needs second-order states"):
        jp.flatten(z, "H")
    with pytest.raises(ValueError, match="law: expected one of"):
        jp.initial(10, rng=0, law="uniform")
    with pytest.raises(ValueError, match="n_particles: expected a positive integer"):
        jp.initial(0)
    with pytest.raises(ValueError, match="order: expected 1, 2 or .auto."):
        JointProcess(model, model.init_params(0), proc, order=3)
    with pytest.raises(TypeError, match="process: expected a DataProcess with a target"):
        JointProcess(model, model.init_params(0), DataProcess(proc.chain), order=1)
    with pytest.raises(ValueError, match="c_f: the bounds"):
        JointProcess(PaperRNN(2, 2, c_f=3.0), PaperRNN(2, 2).init_params(0), proc).initial(
            5, law="box"
        )


def test_previous_ensemble_as_initial_law(rng):
    model = PaperRNN(2, 2)
    jp = JointProcess(model, model.init_params(rng), _process("lipschitz", model, rng), order=1)
    z = jp.run(jp.initial(50, rng=0), 10, rng=1)
    again = jp.initial(50, law=z)
    assert again.t == 0 and np.array_equal(again.S, z.S) and again.S is not z.S
    resampled = jp.initial(80, rng=2, law=z)
    assert resampled.n_particles == 80


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_step_and_run_leave_their_input_untouched(rng, backend):
    pytest.importorskip("numba")
    model = PaperRNN(3, 2, c_f=0.3)
    jp = JointProcess(
        model, model.init_params(rng), _process("lipschitz", model, rng), order=2, backend=backend
    )
    z = jp.initial(20, rng=0, law="box")
    before = jp.flatten(z).copy()
    jp.step(z, 1)
    jp.run(z, 5, rng=2)
    np.testing.assert_array_equal(jp.flatten(z), before)


def test_numba_and_numpy_backends_agree(rng):
    pytest.importorskip("numba")
    model = PaperRNN(3, 2, c_f=0.3)
    proc = _process("teacher", model, rng)
    params = model.init_params(rng)
    out = []
    for backend in ("numpy", "numba"):
        jp = JointProcess(model, params, proc, order=2, backend=backend)
        out.append(jp.flatten(jp.run(jp.initial(50, rng=1, law="box"), 30, rng=2)))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-14)  # rounding only


def test_auto_order_keeps_second_order_states_where_memory_allows(rng):
    proc = _process("lipschitz", PaperRNN(4, 2), rng)
    small = JointProcess(PaperRNN(4, 2), PaperRNN(4, 2).init_params(0), proc)
    assert small.order == 2  # H: 24^2 * 4 * 8 B = 18 KiB per particle
    proc3 = DataProcess(ExampleChain(3, 0.5), LipschitzTarget.random(3, rng=rng))
    large = JointProcess(PaperRNN(10, 3), PaperRNN(10, 3).init_params(0), proc3)
    assert large.order == 1  # H would be 130^2 * 10 * 8 B = 1.35 MB per particle
