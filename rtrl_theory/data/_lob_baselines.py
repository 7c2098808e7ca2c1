r"""Baselines for the limit-order-book classification of [P1] Section 7.5.

Baselines for the limit-order-book classification of [P1] Section 7.5: the class prior and a
multinomial logistic regression (fitted by Newton's method; no scikit-learn), scored by accuracy
and cross-entropy on the test part of a time split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ._lobster import N_CLASSES, _is_real, _labels

__all__ = [
    "BaselineResult",
    "LogisticFit",
    "fit_multinomial_logistic",
    "logistic_baseline",
    "prior_baseline",
]


# ------------------------------------------------------------------------------------------------
# Baselines
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BaselineResult:
    r"""Test-set scores of a baseline: accuracy and mean cross-entropy (nats per event).

    The reference rows of the limit-order-book comparison of [P1] Section 7.5 (Fig. 11).

    Parameters
    ----------
    name : str
        The baseline's name (``"prior"``, ``"logistic"``).
    accuracy : float
        Share of test events whose most probable class is the true one, in [0, 1].
    cross_entropy : float
        Mean of :math:`-\ln p(y_i)` over the test events (nats; inf if a true class got
        probability 0).
    n_train, n_test : int
        Sizes of the training and test parts.
    probabilities : ndarray, shape (n_test, 3)
        Predicted class probabilities on the test part (classes 0 down, 1 unchanged, 2 up).

    See Also
    --------
    prior_baseline, logistic_baseline : the two baselines.
    """

    name: str
    accuracy: float
    cross_entropy: float
    n_train: int
    n_test: int
    probabilities: np.ndarray  # shape (n_test, 3): predicted class probabilities on the test part


def _scores(name, P, y_test, n_train) -> BaselineResult:
    y_test = _labels(y_test, "y_test")
    if P.shape != (y_test.size, N_CLASSES) or y_test.size == 0:
        raise ValueError(f"y_test: expected a non-empty label array of length {P.shape[0]}")
    p_true = P[np.arange(y_test.size), y_test]
    with np.errstate(divide="ignore"):
        ce = float(-np.mean(np.log(p_true)))
    acc = float(np.mean(np.argmax(P, axis=1) == y_test))
    return BaselineResult(name, acc, ce, int(n_train), int(y_test.size), P)


def prior_baseline(y_train, y_test, *, smoothing: float = 1.0) -> BaselineResult:
    r"""Return the class prior: predict the training frequencies :math:`\hat p_k` for every test event.

    .. math:: \hat p_k = \frac{n_k + \alpha}{n + 3\alpha}

    Parameters
    ----------
    y_train, y_test : array of int in {0, 1, 2}
    smoothing : float, default 1.0
        :math:`\alpha` (add-one smoothing, so that a class absent from the training part does not
        give an infinite cross-entropy; it moves each frequency by less than ``1/n``).

    Returns
    -------
    BaselineResult
        Accuracy is that of always predicting the most frequent training class.
    """
    y_train = _labels(y_train, "y_train")
    if y_train.size == 0:
        raise ValueError("y_train: expected at least one label")
    if not _is_real(smoothing) or smoothing < 0:
        raise ValueError(f"smoothing: expected a non-negative number, got {smoothing!r}")
    counts = np.bincount(y_train, minlength=N_CLASSES) + float(smoothing)
    p = counts / counts.sum()
    n_test = np.asarray(y_test).shape[0]
    return _scores("class prior", np.tile(p, (n_test, 1)), y_test, y_train.size)


@dataclass(frozen=True, eq=False)
class LogisticFit:
    r"""A multinomial logistic regression :math:`p(k \mid x) = \mathrm{softmax}(W x + c)_k`.

    ``coef`` (3, n_features) and ``intercept`` (3,) are in the units of the raw features; row 1
    (unchanged) is the reference class, fixed at zero.

    Parameters
    ----------
    coef : ndarray, shape (3, n_features)
        W, one row per class; row 1 is zero.
    intercept : ndarray, shape (3,)
        c; entry 1 is zero.
    n_iter : int
        Newton iterations run by :func:`fit_multinomial_logistic`.
    converged : bool
        Whether the Newton iterations met their tolerance.

    See Also
    --------
    fit_multinomial_logistic : fits it.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool

    def log_proba(self, X) -> np.ndarray:
        """Log class probabilities, shape (n, 3)."""
        X = np.asarray(X, dtype=np.float64)
        Z = X @ self.coef.T + self.intercept
        return Z - logsumexp(Z, axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, 3)."""
        return np.exp(self.log_proba(X))


def fit_multinomial_logistic(
    X, y, *, l2: float = 1e-6, max_iter: int = 100, tol: float = 1e-10
) -> LogisticFit:
    r"""Maximum-likelihood multinomial logistic regression by damped Newton steps.

    Minimises :math:`-\frac1n\sum_i \log p(y_i \mid x_i) + \frac{\lambda}{2}\|W\|^2` with the
    "unchanged" class as reference (its logit fixed at 0, which removes the softmax's shift
    invariance and makes the Hessian positive definite). Features are standardised with the
    training mean and standard deviation for conditioning; the result is mapped back.

    Parameters
    ----------
    X : array, shape (n, n_features)
    y : array of int in {0, 1, 2}, shape (n,)
    l2 : float, default 1e-6
        :math:`\lambda`, on the standardised slopes and intercepts; keeps the fit finite when a
        class is absent or separable.
    max_iter : int, default 100
    tol : float, default 1e-10
        Stop when the gradient's max-norm is below ``tol``.

    Returns
    -------
    LogisticFit
    """
    X = np.asarray(X, dtype=np.float64)
    y = _labels(y, "y")
    if X.ndim != 2 or X.shape[0] != y.size or y.size == 0:
        raise ValueError(f"X: expected shape ({y.size}, n_features) to match y, got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X: contains non-finite values; expected finite features")
    n, d = X.shape
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    A = np.column_stack([(X - mu) / sd, np.ones(n)])  # (n, d + 1)
    free = np.array([0, 2])  # classes with free logits; class 1 is the reference
    Yf = np.column_stack([y == 0, y == 2]).astype(np.float64)  # one-hot of the free classes

    def objective(theta):  # theta (2, d + 1)
        Z = np.zeros((n, N_CLASSES))
        Z[:, free] = A @ theta.T
        logp = Z - logsumexp(Z, axis=1, keepdims=True)
        f = -np.mean(logp[np.arange(n), y]) + 0.5 * l2 * np.sum(theta**2)
        return f, np.exp(logp[:, free])

    theta = np.zeros((2, d + 1))
    f, P = objective(theta)
    n_iter = 0
    while True:
        G = (P - Yf).T @ A / n + l2 * theta  # (2, d + 1)
        converged = bool(np.max(np.abs(G)) < tol)
        if converged or n_iter == max_iter:
            break
        n_iter += 1
        # Hessian blocks: sum_i (diag(p) - p p^T)_{kl} a_i a_i^T / n.
        H = np.empty((2, d + 1, 2, d + 1))
        for k in range(2):
            for m in range(2):
                w = P[:, k] * ((k == m) - P[:, m])
                H[k, :, m, :] = (A * w[:, None]).T @ A / n
        H = H.reshape(2 * (d + 1), 2 * (d + 1)) + l2 * np.eye(2 * (d + 1))
        step = np.linalg.solve(H, G.ravel()).reshape(theta.shape)
        s = 1.0
        while True:
            f_new, P_new = objective(theta - s * step)
            if f_new <= f - 1e-4 * s * np.sum(G * step) or s < 1e-10:
                break
            s *= 0.5
        theta, f, P = theta - s * step, f_new, P_new
    coef = np.zeros((N_CLASSES, d))
    intercept = np.zeros(N_CLASSES)
    coef[free] = theta[:, :d] / sd
    intercept[free] = theta[:, d] - coef[free] @ mu
    return LogisticFit(coef, intercept, n_iter, converged)


def logistic_baseline(
    X_train, y_train, X_test, y_test, *, columns=(1,), l2: float = 1e-6
) -> BaselineResult:
    """Multinomial logistic regression on some feature columns, fitted on the training part.

    Parameters
    ----------
    X_train, X_test : array, shape (n_train, n_features), (n_test, n_features)
        As returned by :func:`lob_features` (column 0 previous mid change, 1 imbalance).
    y_train, y_test : array of int in {0, 1, 2}
    columns : sequence of int, default (1,)
        Columns used: ``(1,)`` the imbalance alone, ``(0, 1)`` both [P1] inputs.
    l2 : float, default 1e-6
        See :func:`fit_multinomial_logistic`.

    Returns
    -------
    BaselineResult
        Accuracy of the most probable class and cross-entropy of the predicted probabilities on
        the test part.
    """
    cols = list(columns)
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    for name, X in (("X_train", X_train), ("X_test", X_test)):
        if X.ndim != 2 or not all(0 <= c < X.shape[1] for c in cols) or not cols:
            raise ValueError(
                f"{name}: expected a 2-D array holding the columns {cols}, got {X.shape}"
            )
    fit = fit_multinomial_logistic(X_train[:, cols], y_train, l2=l2)
    P = fit.predict_proba(X_test[:, cols])
    label = "imbalance" if cols == [1] else f"columns {cols}"
    return _scores(f"logistic ({label})", P, y_test, X_train.shape[0])
