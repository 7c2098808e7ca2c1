"""The outcome of :func:`rtrl_theory.runners.train_online`.

The outcome of :func:`rtrl_theory.runners.train_online` (a low module of the runners: the
online estimators' trainer, :mod:`rtrl_theory.online`, returns it too without importing the
trainer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rtrl_theory._validate import positive_int

__all__ = ["TrainResult"]


@dataclass(frozen=True)
class TrainResult:
    r"""Outcome of :func:`train_online`.

    Attributes
    ----------
    algo : str
    params : parameters after the last completed update (``model.unflatten``)
    losses : ndarray (n_steps_run,)
        Per-step loss :math:`\tfrac12(\hat Y_t - Y_t)^2` seen online (mean over the chains of a
        mini-batch); the head's loss for other heads (the cross-entropy in nats for
        ``SoftmaxCrossEntropy``).
    update_steps : ndarray of int (n_updates,)
        Step index of each update (every step for RTRL, block starts for TBPTT).
    grad_norms : ndarray (n_updates,)
        Euclidean norm of the gradient g of each update (the chain mean for a mini-batch; the
        raw gradient, before any RMSprop scaling).
    path_steps, param_path : ndarray (n_path,), (n_path, P)
        Thinned parameter path: :math:`\theta_t` before step ``path_steps[i]``, plus the final one.
    status : {"completed", "diverged", "interrupted"}
    stopped_at : int or None
        Step at which a diverged or interrupted run stopped.
    message : str
    wall_time : float, seconds
    backend : str
        "numpy" or "numba" (the compiled engine).
    backend_reason : str
        Why that backend runs (``rtrl_theory.engine.select_backend``).
    sensitivity_log : dict or None
        Only with ``train_online(log_sensitivities=True)`` (RTRL): ``{"steps": (n_log,),
        "max_abs_J": (n_log, P_c)}``, the largest :math:`|\tilde J|` of each recurrent-parameter
        column over the chains and neurons after each record interval (Remark 2.15).
    config : dict
        The run's configuration as recorded (JSON-ready, checked on resume): ``algo``, ``tau``,
        ``block_reduction``, ``optimizer``, ``batch_size``, ``n_steps``, ``record_every``,
        ``schedule``, ``allow_non_robbins_monro``, ``divergence``, and for a checkpointed or
        resumed run ``checkpoint`` and ``resumed_at``.

    See Also
    --------
    train_online : produces it, RTRL (2.24)-(2.26) of [P1] or TBPTT.
    """

    algo: str
    params: object
    losses: np.ndarray
    update_steps: np.ndarray
    grad_norms: np.ndarray
    path_steps: np.ndarray
    param_path: np.ndarray
    status: str
    stopped_at: int | None
    message: str
    wall_time: float
    backend: str
    config: dict = field(default_factory=dict)
    backend_reason: str = ""
    sensitivity_log: dict | None = None

    @property
    def n_steps_run(self) -> int:
        return int(self.losses.shape[0])

    def loss_windows(self, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Means of the per-step loss over consecutive windows: ``(first steps, means)``."""
        window = positive_int(window, "window")
        n = self.n_steps_run // window
        if n == 0:
            return np.zeros(0, dtype=int), np.zeros(0)
        means = self.losses[: n * window].reshape(n, window).mean(axis=1)
        return np.arange(n) * window, means

    def to_dict(self, *, max_points: int = 1000) -> dict:
        """JSON-ready summary: windowed losses and gradient norms (at most ``max_points`` each)."""
        window = max(1, math.ceil(self.n_steps_run / max_points)) if self.n_steps_run else 1
        steps, means = self.loss_windows(window)
        gthin = max(1, math.ceil(self.grad_norms.shape[0] / max_points))
        return {
            "algo": self.algo,
            "backend": self.backend,
            "backend_reason": self.backend_reason,
            "status": self.status,
            "stopped_at": self.stopped_at,
            "message": self.message,
            "n_steps_run": self.n_steps_run,
            "wall_time_s": self.wall_time,
            "config": self.config,
            "losses": {"window": window, "step": steps, "mean": means},
            "final_window_loss": float(means[-1]) if means.size else None,
            "grad_norm": {
                "step": self.update_steps[::gthin],
                "value": self.grad_norms[::gthin],
            },
            "param_path": {"step": self.path_steps, "theta": self.param_path},
            "final_params": np.asarray(self.param_path[-1]) if len(self.param_path) else None,
        }
