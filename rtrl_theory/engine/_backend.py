"""The one backend decision: which engine runs a task for a model, and why.

Every entry point that can run compiled (``loss_and_grad``, ``train_online``,
``JointProcess``, ``bits_per_character``) asks :func:`select_backend` and nothing else, so they
cannot disagree about a model. The compiled engine (:mod:`rtrl_theory.engine._compiled`) covers
a model when its cell has a compiled description (``cell.compiled()``, registered in that module)
and its head is the squared-error readout or the softmax cross-entropy; each task adds its own
conditions (below). The NumPy engine covers everything and is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BACKENDS", "TASKS", "BackendPlan", "select_backend", "compiled_unsupported_reason"]

BACKENDS = ("auto", "numpy", "numba")
#: What a caller asks to run: the fixed-theta loss and gradient, the online trainer, the
#: particles of the joint process, or a forward pass of losses (bits per character).
TASKS = ("loss_and_grad", "train_online", "particles", "losses")


@dataclass(frozen=True)
class BackendPlan:
    """The chosen engine and why: what :func:`select_backend` returns.

    Attributes
    ----------
    name : {"numpy", "numba"}
        The engine that runs the task.
    reason : str
        A sentence saying why (recorded as ``TrainResult.backend_reason`` and in JSON records).
    """

    name: str
    reason: str

    def to_dict(self) -> dict:
        """Return the plan as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"name": ..., "reason": ...}``.
        """
        return {"name": self.name, "reason": self.reason}


def compiled_unsupported_reason(
    model, task: str, *, optimizer=None, batch_size: int = 1, order: int = 1, algo: str = "rtrl"
) -> str | None:
    """Say why the compiled engine does not cover ``task`` for ``model`` (None if it does).

    Parameters
    ----------
    model : RNNModel
    task : {"loss_and_grad", "train_online", "particles", "losses"}
    optimizer : SGD or RMSprop or other, optional
        ``train_online``: the compiled trainer runs SGD and RMSprop.
    batch_size : int, optional
        ``train_online``: the compiled trainer runs one sequence.
    order : {1, 2}, optional
        ``particles``: the order of the sensitivities.
    algo : {"rtrl", "tbptt"}, optional
        ``train_online``: TBPTT runs on the NumPy engine only.

    Returns
    -------
    str or None
        A phrase saying why not, or None.

    Raises
    ------
    ValueError
        ``task`` not one of :data:`TASKS`.
    """
    from ._compiled import describe_model
    from ._numba import numba_available

    if task not in TASKS:
        raise ValueError(f"task: expected one of {TASKS}, got {task!r}")
    if task == "train_online" and algo != "rtrl":
        return f"algo is {algo!r}: TBPTT runs on the NumPy engine only"
    why = describe_model(model, order=order, task=task)
    if isinstance(why, str):
        return why
    if task == "train_online":
        if batch_size != 1:
            return f"batch_size = {batch_size}, not 1 (the compiled trainer runs one sequence)"
        name = getattr(optimizer, "name", None)
        if type(optimizer).__name__ not in ("SGD", "RMSprop") or name not in ("sgd", "rmsprop"):
            name = getattr(optimizer, "name", type(optimizer).__name__)
            return f"the optimizer is {name!r}, not 'sgd' or 'rmsprop'"
    if not numba_available():
        return "numba is not installed (pip install 'rtrl-theory[fast]')"
    return None


def select_backend(
    model,
    task: str,
    *,
    backend: str = "auto",
    optimizer=None,
    batch_size: int = 1,
    order: int = 1,
    algo: str = "rtrl",
) -> BackendPlan:
    r"""Decide which engine runs ``task`` for ``model``: the ONLY place that decides.

    Parameters
    ----------
    model : RNNModel
    task : {"loss_and_grad", "train_online", "particles", "losses"}
    backend : {"auto", "numpy", "numba"}
        What the user asked for: "auto" takes the compiled engine where it covers the task,
        "numpy" the reference engine, "numba" the compiled one or a ValueError saying why not.
    optimizer, batch_size, algo
        ``train_online`` only: the compiled trainer runs RTRL on one sequence with SGD or RMSprop.
    order : {1, 2}
        ``particles`` only: second order is compiled for pre-activation cells
        :math:`S' = \phi(\tilde\Theta\tilde u)` ((2.17) of [P1]) with :math:`\tilde u = (X; S)`.

    Returns
    -------
    BackendPlan
        ``name`` ("numpy" or "numba") and ``reason``.

    Raises
    ------
    ValueError
        ``backend`` not one of :data:`BACKENDS`, or "numba" for a case the compiled engine does
        not cover (the message says why).

    Examples
    --------
    >>> from rtrl_theory import PaperRNN
    >>> select_backend(PaperRNN(3, 2), "loss_and_grad", backend="numpy").reason
    'backend="numpy" was asked for'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if task not in TASKS:
        raise ValueError(f"task: expected one of {TASKS}, got {task!r}")
    if backend == "numpy":
        return BackendPlan("numpy", 'backend="numpy" was asked for')
    why = compiled_unsupported_reason(
        model, task, optimizer=optimizer, batch_size=batch_size, order=order, algo=algo
    )
    if why is None:
        how = "asked for" if backend == "numba" else "chosen by auto"
        return BackendPlan("numba", f"compiled engine {how}: it covers {_describe(model)}")
    if backend == "numba":
        raise ValueError(
            f"backend: 'numba' is unavailable here for {task}: {why}; use 'auto' or 'numpy'"
        )
    return BackendPlan("numpy", f"NumPy engine (auto): the compiled engine does not run this: {why}")


def _describe(model) -> str:
    """Name the model's cell and head (for the plan's reason).

    Parameters
    ----------
    model : RNNModel

    Returns
    -------
    str
    """
    cell = type(model.cell).__name__
    head = type(getattr(model.head, "inner", model.head)).__name__
    return f"{cell} with {head}"
