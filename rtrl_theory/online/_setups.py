r"""Standard set-ups for the stationary-bias table: a model, parameters and a data process.

=========  ===================================================================================
name       set-up
=========  ===================================================================================
paper      [P1]'s RNN (2.17)-(2.19), d = 2, Example 2.4 inputs (lam = 0.5), a teacher of the
           same class (raw weights scale 2, noise 0.05); default ``c_f = 0.5 / N``
elman      Elman tanh (7.4) with bias, Gaussian inputs, the teacher of (7.5) (gamma = 0.4)
gru        GRU with dense inputs and the squared-error readout, Gaussian inputs, a GRU teacher
           (PyTorch-default weights, noise 0.05)
linear     linear SDE (7.1), Gaussian inputs, the Wishart teacher of (7.2)
neuralsde  neural SDE (7.6), Gaussian inputs, the Wishart teacher of (7.7)
=========  ===================================================================================

The student's parameters are an independent draw of the model's own initialisation (the point
where online training starts), so the gradient is far from zero.
"""

from __future__ import annotations

from rtrl_theory._validate import as_rng, positive_int

__all__ = ["BIAS_MODELS", "bias_setup"]

BIAS_MODELS = ("paper", "elman", "gru", "linear", "neuralsde")


def bias_setup(name: str, n_hidden: int = 8, rng=None, *, n_input: int = 2, c_f=None):
    """``(model, params, process)`` for the set-up ``name`` (module docstring).

    Parameters
    ----------
    name : str
        One of :data:`BIAS_MODELS`: ``"paper"`` ((2.17)-(2.19) of [P1], Example 2.4 inputs),
        ``"elman"`` (7.4), ``"gru"``, ``"linear"`` (7.1) or ``"neuralsde"`` (7.6).
    n_hidden : int, default 8
        N, the student's (and the teacher's) hidden size.
    rng : int, Generator or None, default None
        Spawns two streams: the teacher's parameters and the student's initial parameters.
    n_input : int, default 2
        d, the input dimension.
    c_f : float, optional
        Scale of the paper RNN's recurrent map f (``"paper"`` only; None: the model's default,
        ``0.5 / N``).

    Returns
    -------
    model : RNNModel
        The student.
    params : Params
        Its initial parameters.
    process : DataProcess
        Inputs and the teacher's targets, with noise 0.05.

    Raises
    ------
    ValueError
        For an unknown ``name``, or ``c_f`` with a model other than ``"paper"``.

    See Also
    --------
    stationary_bias : measures the bias of an estimator on it.
    """
    from rtrl_theory.cells import GRURNN, ElmanRNN, LinearSDE, NeuralSDE, PaperRNN
    from rtrl_theory.data import (
        DataProcess,
        ExampleChain,
        GaussianInputs,
        TeacherTarget,
        elman_teacher,
        linear_sde_teacher,
        neural_sde_teacher,
    )

    N = positive_int(n_hidden, "n_hidden")
    d = positive_int(n_input, "n_input")
    r_teacher, r_student = as_rng(rng).spawn(2)
    if name == "paper":
        model = PaperRNN(N, d, c_f=c_f)
        teacher = TeacherTarget(model, model.init_params(r_teacher, scale=2.0), noise=0.05)
        return model, model.init_params(r_student), DataProcess(ExampleChain(d, 0.5), teacher)
    if c_f is not None:
        raise ValueError("c_f: only the paper's RNN has a recurrent map scale c_f")
    if name == "elman":
        t = elman_teacher(N, d, r_teacher, bias=True)
        model = ElmanRNN(N, d, activation="tanh", bias=True)
        return model, model.init_params(r_student), t.process(noise=0.05)
    if name == "linear":
        t = linear_sde_teacher(N, d, r_teacher)
        model = LinearSDE(N, d)
        return model, model.init_params(r_student), t.process(noise=0.05)
    if name == "neuralsde":
        t = neural_sde_teacher(N, d, r_teacher)
        model = NeuralSDE(N, d)
        return model, model.init_params(r_student), t.process(noise=0.05)
    if name == "gru":
        model = GRURNN(N, d, None, input_kind="dense")
        target = TeacherTarget(model, model.init_params(r_teacher), noise=0.05)
        return model, model.init_params(r_student), DataProcess(GaussianInputs(d, 1.0), target)
    raise ValueError(f"model: expected one of {', '.join(BIAS_MODELS)}, got {name!r}")
