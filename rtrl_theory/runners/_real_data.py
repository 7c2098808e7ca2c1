r"""The real-data experiments of [P1] Sections 7.4-7.5.

The real-data experiments of [P1] Sections 7.4-7.5, shared by ``rtrl-theory train --data`` and
the figure scripts ``paper_figures/fig10_shakespeare.py`` and ``fig11_lob.py``.

**Limit order book** ([P1] Section 7.5, Fig. 11). A single-layer Elman network with tanh units
and dense inputs (:func:`lob_model`: :class:`~rtrl_theory.cells.CharElmanRNN` with
``input_kind="dense"``, :math:`S' = \tanh(U x + W S + b)`, the softmax head over the three
classes down / unchanged / up) reads, event by event, the two inputs of [P1]: the previous
mid-price change and the level-1 queue imbalance (:func:`~rtrl_theory.data.lob_features`), and
predicts the next mid-price move. It is trained online, in time order, with RTRL or TBPTT(tau) on
the first ``train_fraction`` of the day and evaluated with fixed parameters on the later part
(:func:`lob_metrics`: accuracy, cross-entropy in nats per event, and both per true class), beside
the class prior and multinomial logistic regressions fitted on the same training part
(:func:`lob_baselines`).

*Input scaling* (:func:`scale_lob_features`). The previous mid change is in ticks and in
multiples of 1/2; on the AMZN 2012-06-21 sample (a small-tick stock) its magnitude is 0 on 52% of
the events, at most 2 ticks on 90%, 6.5 on 99%, and reaches 33. Fed raw, the rare large values
saturate the tanh units and dominate the first RMSprop steps. It is clipped to
``[-mid_change_clip, mid_change_clip]`` (default 5 ticks, beyond the 98th percentile) and divided
by the clip, so both inputs lie in [-1, 1]; the imbalance is used as it is. The baselines see the
same scaled inputs (the imbalance-only regression is unchanged by the scaling).

*Evaluation state.* The held-out part is the continuation of the training part: before scoring
it, the network runs with its final parameters over the last ``warmup`` training events (default
1000; a tanh network with recurrent weights of norm below one forgets its start within a few
dozen events), so the held-out events are scored from the state the online run would have had.

**Character-level text** ([P1] Section 7.4, Fig. 10). :func:`train_text` trains a
:func:`~rtrl_theory.cells.char_rnn` (GRU, Elman tanh / ELU / ReLU; one-hot inputs, softmax over
the 65 characters) on the tiny-shakespeare training split, one character per step, and reports
held-out bits per character (:func:`~rtrl_theory.data.bits_per_character`, from a zero state, the
convention of that function). The defaults are those found to work at batch 1: RMSprop with
beta = 0.999 (beta = 0.9 stalls at 4.3-4.8 bits per character) and
:math:`\eta_t = 2\cdot10^{-3}/(1 + t/10^5)^{0.75}`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, positive, positive_int
from rtrl_theory.data import TimeSplit
from rtrl_theory.optim._optimizers import RMSprop
from rtrl_theory.optim._schedules import PowerSchedule

from ._trainer import train_online

__all__ = [
    "LOB_SOURCES",
    "LOBSplit",
    "load_lob_split",
    "scale_lob_features",
    "lob_model",
    "lob_metrics",
    "lob_baselines",
    "train_lob",
    "text_defaults",
    "train_text",
    "lob_defaults",
]

#: Where the order book comes from: the LOBSTER AMZN sample in the data directory, or the
#: synthetic queue-reactive generator (:func:`~rtrl_theory.data.simulate_order_flow`).
LOB_SOURCES = ("lob", "lob-synthetic")
CLASS_NAMES = ("down", "unchanged", "up")


# ------------------------------------------------------------------------------------------------
# Limit order book
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LOBSplit(TimeSplit):
    """Scaled inputs and labels of one day, split in time (module docstring).

    Attributes
    ----------
    X_train, X_test : ndarray (n, 2)
        Scaled previous mid change (column 0) and imbalance (column 1).
    y_train, y_test : ndarray of int (n,)
        0 down, 1 unchanged, 2 up.
    source : str
        ``"lob"`` (LOBSTER files) or ``"lob-synthetic"``.
    description : str
        The files read, or the generator's settings.
    mid_change_clip : float
    """

    source: str
    description: str
    mid_change_clip: float

    def class_balance(self) -> dict:
        """Class fractions (down, unchanged, up) of the training and test parts."""
        from rtrl_theory.data import class_balance

        return {
            "train": class_balance(self.y_train).tolist(),
            "test": class_balance(self.y_test).tolist(),
            "classes": list(CLASS_NAMES),
        }

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "description": self.description,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "mid_change_clip": self.mid_change_clip,
            "class_balance": self.class_balance(),
        }


def scale_lob_features(X, mid_change_clip: float = 5.0) -> np.ndarray:
    """Clip the previous mid change to ``[-c, c]`` ticks and divide it by ``c``; keep the imbalance.

    Parameters
    ----------
    X : array (n, 2)
        :func:`~rtrl_theory.data.lob_features` output.
    mid_change_clip : float > 0
        c, in ticks.

    Returns
    -------
    ndarray (n, 2), both columns in [-1, 1].

    Examples
    --------
    >>> scale_lob_features(np.array([[0.5, 0.2], [-33.0, -1.0]])).tolist()
    [[0.1, 0.2], [-1.0, -1.0]]
    """
    c = positive(mid_change_clip, "mid_change_clip")
    X = np.array(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected shape (n, 2) (mid change, imbalance), got {X.shape}")
    X[:, 0] = np.clip(X[:, 0], -c, c) / c
    return X


def load_lob_split(
    source: str = "lob",
    data_dir=None,
    *,
    train_fraction: float = 0.7,
    mid_change_clip: float = 5.0,
    n_synthetic: int = 60_000,
    max_events: int | None = None,
    rng=None,
) -> LOBSplit:
    """Read (or simulate) a day of order flow and return the scaled, time-split inputs.

    Parameters
    ----------
    source : {"lob", "lob-synthetic"}
        ``"lob"``: the LOBSTER AMZN 2012-06-21 sample in the data directory, SHA-256 checked
        (:func:`~rtrl_theory.data.lobster_sample_paths`); ``"lob-synthetic"``: a day of the
        queue-reactive generator with ``n_synthetic`` events drawn with ``rng``.
    data_dir : str or os.PathLike, optional
        The data directory (default ``$RTRL_THEORY_DATA``, then ``../shared/data``).
    train_fraction : float in (0, 1), default 0.7
        Share of the (first ``max_events``) events used for training; the rest is held out.
    mid_change_clip : float, default 5
        See :func:`scale_lob_features`.
    n_synthetic : int, default 60_000
    max_events : int, optional
        Use only the first ``max_events`` events (quick runs).
    rng : Generator, int or None
        For the synthetic day.

    Returns
    -------
    LOBSplit
        ``X_train`` (n_train, 2), ``y_train`` (n_train,), ``X_test`` (n_test, 2), ``y_test``
        (n_test,), the features scaled by :func:`scale_lob_features`, with ``source``,
        ``description`` and ``mid_change_clip``.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing or altered data file (the message says which and where to get it).
    """
    from rtrl_theory.data import (
        lob_features,
        lobster_sample_paths,
        read_lobster,
        simulate_order_flow,
        split_by_time,
    )

    if source == "lob":
        msg, book = lobster_sample_paths(data_dir)
        day = read_lobster(msg, book)
        description = f"LOBSTER {msg.name} + {book.name} ({msg.parent})"
    elif source == "lob-synthetic":
        n = positive_int(n_synthetic, "n_synthetic")
        day = simulate_order_flow(n, rng=as_rng(rng))
        description = f"synthetic queue-reactive order flow, {n} events (OrderFlowParams())"
    else:
        raise ValueError(f"source: expected one of {LOB_SOURCES}, got {source!r}")
    X, y = lob_features(day)
    if max_events is not None:
        k = positive_int(max_events, "max_events")
        X, y = X[:k], y[:k]
    Xs = scale_lob_features(X, mid_change_clip)
    sp = split_by_time(Xs, y, train_fraction)
    return LOBSplit(
        sp.X_train, sp.y_train, sp.X_test, sp.y_test, source, description, float(mid_change_clip)
    )


def lob_model(n_hidden: int = 10):
    r"""Return the Elman network of [P1] Section 7.5: tanh units, 2 dense inputs, softmax over 3 classes.

    :class:`~rtrl_theory.cells.CharElmanRNN` with ``input_kind="dense"`` (an
    :class:`~rtrl_theory.cells.ElmanCell` under the softmax cross-entropy head); its
    ``init_params`` draws :math:`W = 0.5\,G/\sqrt N`, :math:`U_{ij}\sim N(0, 1/2)`, b = 0, head
    weights :math:`N(0, 1/N)`, head bias 0.

    Parameters
    ----------
    n_hidden : int, default 10
        N, the number of hidden units (10 in the project's Fig. 11).

    Returns
    -------
    CharElmanRNN
        The model, with 2 dense inputs (scaled previous mid change, imbalance) and 3 classes
        (down, unchanged, up); P = 3 N + 3 + 2 N + N^2 + N parameters.

    See Also
    --------
    lob_metrics : scores a trained model of this kind.

    Examples
    --------
    >>> lob_model(4).n_params  # head 3*4 + 3, cell 4*2 + 4*4 + 4
    43
    """
    from rtrl_theory.cells._gru import CharElmanRNN

    return CharElmanRNN(n_hidden, 2, 3, activation="tanh", input_kind="dense")


def _forward_log_probs(model, theta, X, S0=None):
    """Log class probabilities (n, C) and the final state of a fixed-parameter forward pass."""
    theta = model.flatten(theta)
    th, tc = model.split(theta)
    cell = model.cell
    prep = cell.prepare(tc)
    S = np.zeros((1, cell.n_state)) if S0 is None else np.asarray(S0, float).reshape(1, -1)
    states = np.empty((X.shape[0], cell.n_state))
    for t in range(X.shape[0]):
        S = cell.step(prep, S, X[t : t + 1])
        states[t] = S[0]
    o = model.head.logits(th, states)
    o = o - o.max(axis=1, keepdims=True)
    return o - np.log(np.exp(o).sum(axis=1, keepdims=True)), S[0]


def _class_scores(logp, y) -> dict:
    y = np.asarray(y, dtype=np.intp)
    n = y.shape[0]
    ce = -logp[np.arange(n), y]
    pred = np.argmax(logp, axis=1)
    per = {}
    for k, name in enumerate(CLASS_NAMES):
        sel = y == k
        per[name] = {
            "n": int(sel.sum()),
            "accuracy": float(np.mean(pred[sel] == k)) if sel.any() else None,
            "cross_entropy": float(ce[sel].mean()) if sel.any() else None,
        }
    return {
        "accuracy": float(np.mean(pred == y)),
        "cross_entropy": float(ce.mean()),
        "per_class": per,
        "predicted_fractions": (np.bincount(pred, minlength=3) / n).tolist(),
        "n": int(n),
    }


def lob_metrics(model, params, split: LOBSplit, *, warmup: int = 1000) -> dict:
    """Held-out accuracy and cross-entropy (nats per event), overall and per true class.

    The network first runs over the last ``warmup`` training events with ``params`` (module
    docstring), then scores ``split.X_test``. ``per_class[k]["accuracy"]`` is the recall of
    class k (the fraction of its events predicted as k).

    Parameters
    ----------
    model : RNNModel
        A classifier with a softmax head over 3 classes, e.g. :func:`lob_model`.
    params : array_like, shape (P,), or the model's parameter type
        The (trained) parameters, held fixed.
    split : LOBSplit
        The data; the warm-up reads ``split.X_train``, the score ``X_test`` and ``y_test``.
    warmup : int, default 1000
        Number of final training events run before scoring (0: start the test part from
        the zero state).

    Returns
    -------
    dict
        ``accuracy`` and ``cross_entropy`` (nats per event) over the n test events,
        ``per_class`` (``"down"``, ``"unchanged"``, ``"up"``: ``n``, ``accuracy``,
        ``cross_entropy``, None for an absent class), ``predicted_fractions`` (3 floats) and
        ``n``.

    Raises
    ------
    ValueError
        If ``warmup`` is negative.

    See Also
    --------
    lob_baselines : the same scores for the class prior and logistic regressions.
    """
    warmup = int(warmup)
    if warmup < 0:
        raise ValueError(f"warmup: expected a non-negative number of events, got {warmup!r}")
    S0 = None
    if warmup:
        _, S0 = _forward_log_probs(model, params, split.X_train[-warmup:])
    logp, _ = _forward_log_probs(model, params, split.X_test, S0)
    return _class_scores(logp, split.y_test)


def lob_baselines(split: LOBSplit) -> dict:
    """Return the class prior and logistic regressions (imbalance; both inputs), scored like the RNN.

    Parameters
    ----------
    split : LOBSplit
        The data: fitted on the training part, scored on the test part.

    Returns
    -------
    dict
        ``"prior"``, ``"logistic_imbalance"`` (column 1 only) and ``"logistic_both"`` (both
        columns), each a dict as :func:`lob_metrics` returns plus ``name``.

    See Also
    --------
    rtrl_theory.data.prior_baseline, rtrl_theory.data.logistic_baseline : the baselines.
    """
    from rtrl_theory.data import logistic_baseline, prior_baseline

    out = {}
    for key, res in (
        ("prior", prior_baseline(split.y_train, split.y_test)),
        (
            "logistic_imbalance",
            logistic_baseline(split.X_train, split.y_train, split.X_test, split.y_test),
        ),
        (
            "logistic_both",
            logistic_baseline(
                split.X_train, split.y_train, split.X_test, split.y_test, columns=(0, 1)
            ),
        ),
    ):
        d = _class_scores(np.log(np.maximum(res.probabilities, 1e-300)), split.y_test)
        d["name"] = res.name
        out[key] = d
    return out


def lob_defaults() -> dict:
    """Default training settings of the LOB experiment (RMSprop, beta 0.999, decaying rate)."""
    return {
        "n_hidden": 10,
        "optimizer": RMSprop(beta=0.999),
        "schedule": PowerSchedule(3e-3, 1e4, 0.75),
        "tau": 20,
    }


def train_lob(
    split: LOBSplit,
    *,
    algo: str = "rtrl",
    tau: int | None = None,
    n_hidden: int = 10,
    n_steps: int | None = None,
    schedule=None,
    optimizer=None,
    rng=None,
    warmup: int = 1000,
    **train_kw,
):
    """Train :func:`lob_model` online on ``split``'s training part and score the held-out part.

    Parameters
    ----------
    split : LOBSplit
    algo : {"rtrl", "tbptt"}
    tau : int, optional
        TBPTT truncation (default 20).
    n_hidden : int, default 10
    n_steps : int, optional
        Default one pass over the training part, in time order.
    schedule, optimizer : optional
        Defaults of :func:`lob_defaults`.
    rng : Generator, int or None
        Initial parameters.
    warmup : int
        See :func:`lob_metrics`.
    **train_kw
        Passed to :func:`~rtrl_theory.runners.train_online` (``record_every``, ``progress``,
        ``checkpoint``, ...).

    Returns
    -------
    result : TrainResult
    metrics : dict
        :func:`lob_metrics` of the final parameters (empty if the run diverged).
    """
    d = lob_defaults()
    model = lob_model(n_hidden)
    rng = as_rng(rng)
    params = model.init_params(rng)
    n_steps = split.n_train if n_steps is None else positive_int(n_steps, "n_steps")
    res = train_online(
        model,
        params,
        (split.X_train, split.y_train),
        n_steps,
        schedule=d["schedule"] if schedule is None else schedule,
        optimizer=d["optimizer"] if optimizer is None else optimizer,
        algo=algo,
        tau=(d["tau"] if tau is None else tau) if algo == "tbptt" else None,
        **train_kw,
    )
    metrics = (
        {} if res.status == "diverged" else lob_metrics(model, res.params, split, warmup=warmup)
    )
    return res, metrics


# ------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------
def text_defaults() -> dict:
    """Default text settings: RMSprop(beta=0.999), eta_t = 2e-3/(1 + t/1e5)^0.75, tau = 20."""
    return {
        "optimizer": RMSprop(beta=0.999),
        "schedule": PowerSchedule(2e-3, 1e5, 0.75),
        "tau": 20,
    }


def train_text(
    split,
    cell: str = "gru",
    n_hidden: int = 20,
    *,
    algo: str = "rtrl",
    tau: int | None = None,
    n_steps: int | None = None,
    schedule=None,
    optimizer=None,
    rng=None,
    heldout_chars: int | None = None,
    **train_kw,
):
    """Train a character-level model on ``split.train`` and measure held-out bits per character.

    Parameters
    ----------
    split : TextSplit
        :func:`~rtrl_theory.data.tiny_shakespeare`.
    cell : {"gru", "elman-tanh", "elman-elu", "elman-relu"}
    n_hidden : int
    algo : {"rtrl", "tbptt"}
    tau : int, optional
        TBPTT truncation (default 20).
    n_steps : int, optional
        Characters to train on (default: one pass, ``split.n_train - 1`` steps).
    schedule, optimizer : optional
        Defaults of :func:`text_defaults`.
    rng : Generator, int or None
        Initial parameters.
    heldout_chars : int, optional
        Score only the first ``heldout_chars`` held-out characters (default all).
    **train_kw
        Passed to :func:`~rtrl_theory.runners.train_online`.

    Returns
    -------
    result : TrainResult
    metrics : dict
        ``heldout_bits_per_char`` (None if the run diverged), ``heldout_chars``,
        ``train_bits_last_10pct`` (the online loss of the last tenth of the run, in bits) and
        ``eval_seconds``.
    """
    from rtrl_theory.cells import char_rnn
    from rtrl_theory.data import bits_per_character, next_char_pairs

    d = text_defaults()
    model = char_rnn(cell, positive_int(n_hidden, "n_hidden"), split.vocab.size)
    params = model.init_params(as_rng(rng))
    X, Y = next_char_pairs(split.train)
    n_steps = X.shape[0] if n_steps is None else positive_int(n_steps, "n_steps")
    res = train_online(
        model,
        params,
        (X, Y),
        n_steps,
        schedule=d["schedule"] if schedule is None else schedule,
        optimizer=d["optimizer"] if optimizer is None else optimizer,
        algo=algo,
        tau=(d["tau"] if tau is None else tau) if algo == "tbptt" else None,
        **train_kw,
    )
    held = split.heldout if heldout_chars is None else split.heldout[: int(heldout_chars) + 1]
    t0 = time.perf_counter()
    bpc = None
    if res.status != "diverged":
        bpc = bits_per_character(model, model.flatten(res.params), held)
    k = max(1, res.n_steps_run // 10)
    tail = res.losses[-k:]
    metrics = {
        "heldout_bits_per_char": bpc,
        "heldout_chars": int(held.shape[0] - 1),
        "train_bits_last_10pct": float(tail.mean() / math.log(2.0)) if tail.size else None,
        "eval_seconds": time.perf_counter() - t0,
    }
    return res, metrics
