r"""Synthetic order flow: a queue-reactive model of the best quotes that writes LOBSTER-format days.

So that the limit-order-book pipeline (reader, features, baselines, training) and its tests run
with no data files, :func:`simulate_order_flow` generates a :class:`~._lobster.LobsterDay` from a
continuous-time Markov model of the order book in the spirit of the zero-intelligence and
queue-reactive models (Cont, Stoikov, Talreja 2010; Cont, de Larrard 2013; Huang, Lehalle,
Rosenbaum 2015). It is a test and demonstration device, not a model fitted to data.

The model
---------
Each side of the book is a list of price levels one tick apart, best first; each level is a FIFO
queue of orders with sizes in shares (a whole number of lots). Only the best level of each side
receives events. With :math:`n^a, n^b` the numbers of orders and :math:`q^a, q^b` the shares at
the best ask and bid, :math:`I = (q^b - q^a)/(q^b + q^a)` and :math:`s \ge 1` the spread in
ticks, the next event happens after an exponential time with the total of these rates:

=====================================  =============================================
event                                  rate (per second)
=====================================  =============================================
limit order joins the best bid / ask   ``limit_rate`` each
cancellation at the best bid / ask     ``cancel_rate`` :math:`\times\, n^b` / :math:`n^a`
market sell / buy order                ``market_rate`` :math:`\times (1 \mp \kappa I)`
limit order inside the spread, per     ``inside_rate`` :math:`\times (s - 1)` each
side (only when :math:`s \ge 2`)
=====================================  =============================================

with :math:`\kappa` = ``imbalance_feedback`` (market orders lean towards the thinner side, as
observed in data: the queue-reactive ingredient, besides cancellations proportional to the queue).
A cancellation picks a resting order uniformly; it is partial (type 2) with probability
``partial_cancel`` when the order has more than one lot, else a deletion (type 3). A market order
executes against the best queue in FIFO order, one message row (type 4) per order hit, all at the
same time stamp, and stops at the end of the queue. When a best queue empties, the next level
(one tick further) becomes the best and a new level, with ``1 + Poisson(new_queue_mean - 1)``
orders, is added at the back; the spread widens by one tick and the mid price moves by half a
tick. A limit order inside the spread creates a new best level one tick inside, moving the mid
price by half a tick the other way. Order sizes are ``lot`` times a geometric number of lots with
mean ``mean_lots``.

The race between the two best queues makes the thinner side deplete first more often, so the
queue imbalance predicts the next mid-price move (a logistic regression on it beats the class
prior); with the defaults about 85% of events leave the mid price unchanged (a large-tick
stock; the AMZN sample, a small-tick stock, has 52%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rtrl_theory._validate import as_rng, nonnegative, positive, positive_int

from ._lobster import LobsterDay, validate_lobster

__all__ = ["OrderFlowParams", "simulate_order_flow"]

_CHUNK = 4096


@dataclass(frozen=True)
class OrderFlowParams:
    r"""Parameters of :func:`simulate_order_flow` (rates per second; see the module docstring).

    Attributes
    ----------
    limit_rate : float, default 1.0
        Rate of limit orders joining each best queue.
    cancel_rate : float, default 0.25
        Cancellation rate of each order resting at a best queue.
    market_rate : float, default 0.5
        Base rate of market orders on each side.
    imbalance_feedback : float in [0, 1), default 0.5
        :math:`\kappa`: market buys arrive at ``market_rate * (1 + kappa * I)``, sells at
        ``market_rate * (1 - kappa * I)``.
    inside_rate : float, default 1.0
        Rate, per side and per empty tick inside the spread, of limit orders improving the quote.
    new_queue_mean : float >= 1, default 3.0
        Mean number of orders of a newly exposed level.
    mean_lots : float >= 1, default 1.5
        Mean order size in lots (geometric).
    partial_cancel : float in [0, 1], default 0.2
        Probability that a cancellation of a multi-lot order is partial.
    lot : int, default 100
        Shares per lot.
    tick : int, default 100
        Tick in LOBSTER price units (100 = 0.01 dollar).
    start_bid : int, default 1_000_000
        Initial best bid in LOBSTER units (100 dollars); the initial spread is one tick.
    t_start, t_end : float, default 34200.0, 57600.0
        The session, seconds after midnight (9:30 to 16:00).
    levels : int, default 1
        Levels per side written to the order book (deeper levels only change when the levels
        above them empty or a quote improves).
    """

    limit_rate: float = 1.0
    cancel_rate: float = 0.25
    market_rate: float = 0.5
    imbalance_feedback: float = 0.5
    inside_rate: float = 1.0
    new_queue_mean: float = 3.0
    mean_lots: float = 1.5
    partial_cancel: float = 0.2
    lot: int = 100
    tick: int = 100
    start_bid: int = 1_000_000
    t_start: float = 34200.0
    t_end: float = 57600.0
    levels: int = 1

    def __post_init__(self):
        for name in ("limit_rate", "cancel_rate", "market_rate", "inside_rate"):
            positive(getattr(self, name), name)
        kappa = nonnegative(self.imbalance_feedback, "imbalance_feedback")
        if kappa >= 1.0:
            raise ValueError(f"imbalance_feedback: expected a number in [0, 1), got {kappa!r}")
        for name in ("new_queue_mean", "mean_lots"):
            if positive(getattr(self, name), name) < 1.0:
                raise ValueError(f"{name}: expected a number >= 1, got {getattr(self, name)!r}")
        if not 0.0 <= nonnegative(self.partial_cancel, "partial_cancel") <= 1.0:
            raise ValueError(f"partial_cancel: expected a probability, got {self.partial_cancel!r}")
        for name in ("lot", "tick", "start_bid", "levels"):
            positive_int(getattr(self, name), name)
        if not 0.0 <= nonnegative(self.t_start, "t_start") < self.t_end <= 86400.0:
            raise ValueError(
                f"t_end: expected t_start < t_end <= 86400, got t_start={self.t_start!r}, "
                f"t_end={self.t_end!r}"
            )


class _Draws:
    """Buffered scalar draws from a Generator (scalar calls into numpy are slow)."""

    def __init__(self, make):
        self._make = make
        self._buf: list = []
        self._i = 0

    def __call__(self):
        if self._i == len(self._buf):
            self._buf = self._make().tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


def simulate_order_flow(
    n_events: int = 20_000, params: OrderFlowParams | None = None, *, rng=None
) -> LobsterDay:
    """Simulate the queue-reactive book of the module docstring as a LOBSTER day.

    Parameters
    ----------
    n_events : int, default 20_000
        Message rows to generate; fewer if the session ends first (with the defaults, about
        5 events per second, a 9:30-16:00 session holds roughly 120,000).
    params : OrderFlowParams, optional
        Defaults to ``OrderFlowParams()``.
    rng : Generator, int or None

    Returns
    -------
    LobsterDay
        ``levels = params.levels``, ``source = None``; times rounded to nanoseconds (LOBSTER's
        precision) so that :func:`~._lobster.write_lobster` and
        :func:`~._lobster.read_lobster` round-trip exactly. Order ids of orders resting before
        the first event or on levels exposed later never appear in a submission row, as in a
        real LOBSTER file.

    Examples
    --------
    >>> day = simulate_order_flow(500, rng=0)
    >>> day.n_events, day.levels
    (500, 1)
    """
    n_events = positive_int(n_events, "n_events")
    p = OrderFlowParams() if params is None else params
    if not isinstance(p, OrderFlowParams):
        raise TypeError(f"params: expected an OrderFlowParams, got {type(p).__name__}")
    gen = as_rng(rng)
    unif = _Draws(lambda: gen.random(_CHUNK))
    expo = _Draws(lambda: gen.standard_exponential(_CHUNK))
    lots = _Draws(lambda: gen.geometric(1.0 / p.mean_lots, _CHUNK))
    depth = _Draws(lambda: 1 + gen.poisson(p.new_queue_mean - 1.0, _CHUNK))

    tick, lot, L = p.tick, p.lot, p.levels
    next_id = [10_000_000]

    def new_order():
        next_id[0] += 1
        return [next_id[0], lot * lots()]

    def new_level(price):
        orders = [new_order() for _ in range(depth())]
        return [price, sum(o[1] for o in orders), orders]  # [price, shares, FIFO orders]

    # side 0 = ask (prices go up with the level), side 1 = bid (down); best level first.
    sign = (1, -1)
    books = (
        [new_level(p.start_bid + tick + k * tick) for k in range(L + 1)],
        [new_level(p.start_bid - k * tick) for k in range(L + 1)],
    )
    max_depth = L + 5

    cols: list[list] = [[] for _ in range(6)]
    snap: list[list] = []
    t = float(p.t_start)

    def record(etype, oid, size, price, direction):
        for c, v in zip(cols, (t, etype, oid, size, price, direction), strict=True):
            c.append(v)
        row = []
        for k in range(L):
            row += [books[0][k][0], books[0][k][1], books[1][k][0], books[1][k][1]]
        snap.append(row)

    def pop_if_empty(side):
        book = books[side]
        if book[0][1] == 0:
            book.pop(0)
            while len(book) < L + 1:
                book.append(new_level(book[-1][0] + sign[side] * tick))

    while len(snap) < n_events:
        a, b = books[0][0], books[1][0]
        imb = (b[1] - a[1]) / (b[1] + a[1])
        s = (a[0] - b[0]) // tick
        rates = (
            p.limit_rate,  # 0: limit sell at the best ask
            p.limit_rate,  # 1: limit buy at the best bid
            p.cancel_rate * len(a[2]),  # 2: cancel at the ask
            p.cancel_rate * len(b[2]),  # 3: cancel at the bid
            p.market_rate * (1.0 + p.imbalance_feedback * imb),  # 4: market buy, hits the ask
            p.market_rate * (1.0 - p.imbalance_feedback * imb),  # 5: market sell, hits the bid
            p.inside_rate * (s - 1),  # 6: improving limit sell
            p.inside_rate * (s - 1),  # 7: improving limit buy
        )
        total = sum(rates)
        t += expo() / total
        if t > p.t_end:
            break
        u = unif() * total
        event = 0
        while event < 7 and u >= rates[event]:
            u -= rates[event]
            event += 1
        while rates[event] == 0.0:  # rounding pushed u past the last event with a positive rate
            event -= 1
        side = event % 2 if event < 4 or event > 5 else event - 4
        level = books[side][0]
        direction = -1 if side == 0 else 1  # of the resting (limit) order
        if event <= 1:
            o = new_order()
            level[2].append(o)
            level[1] += o[1]
            record(1, o[0], o[1], level[0], direction)
        elif event <= 3:
            o = level[2][min(int(unif() * len(level[2])), len(level[2]) - 1)]
            n_lots = o[1] // lot
            if n_lots > 1 and unif() < p.partial_cancel:
                size = lot * (1 + min(int(unif() * (n_lots - 1)), n_lots - 2))
                etype = 2
            else:
                size, etype = o[1], 3
            o[1] -= size
            level[1] -= size
            if o[1] == 0:
                level[2].remove(o)
            pop_if_empty(side)
            record(etype, o[0], size, level[0], direction)
        elif event <= 5:
            want = lot * lots()
            while want > 0 and level[2] and len(snap) < n_events:
                o = level[2][0]
                size = min(want, o[1])
                o[1] -= size
                level[1] -= size
                want -= size
                if o[1] == 0:
                    level[2].pop(0)
                pop_if_empty(side)
                record(4, o[0], size, level[0], direction)
        else:
            o = new_order()
            books[side].insert(0, [level[0] - sign[side] * tick, o[1], [o]])
            del books[side][max_depth:]
            record(1, o[0], o[1], books[side][0][0], direction)

    if not snap:
        raise ValueError("params: the session ended before the first event; widen t_start-t_end")
    time = np.array([f"{v:.9f}" for v in cols[0]], dtype=np.float64)  # nanosecond grid
    book = np.array(snap, dtype=np.int64)
    day = LobsterDay(
        time,
        *cols[1:],
        ask_price=book[:, 0::4],
        ask_size=book[:, 1::4],
        bid_price=book[:, 2::4],
        bid_size=book[:, 3::4],
    )
    return validate_lobster(day)
