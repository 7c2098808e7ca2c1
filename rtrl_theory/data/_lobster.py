r"""Limit order books in the LOBSTER format: reader, checks, [P1]'s features and two baselines.

The limit-order-book experiment of [P1] (Section 7; THEORY.md section 10, item 7.5) trains an RNN
with a softmax output over three classes, the next mid-price move (down, unchanged, up), from two
inputs per event: the previous mid-price change and the current level-1 queue imbalance

.. math:: I_t = \frac{q^b_t - q^a_t}{q^b_t + q^a_t} \in [-1, 1].

This module reads LOBSTER message + order-book files of any level and any stock
(:func:`read_lobster`), checks them (:func:`validate_lobster`), turns a day into ``(X, y)``
(:func:`lob_features`) and provides the two reference points a trained model has to beat: the
class prior (:func:`prior_baseline`) and a multinomial logistic regression
(:func:`logistic_baseline`, fitted by Newton's method).

LOBSTER format (lobsterdata.com, ``LOBSTER_SampleFiles_ReadMe.txt``): CSV files without a header.
The message file has 6 columns (time in seconds after midnight, event type 1-7, order id, size in
shares, price in dollars x 10,000, direction -1 sell / +1 buy); the order-book file has
``4 x levels`` columns, ``ask price k, ask size k, bid price k, bid size k`` for ``k = 1..levels``,
one row per message row, giving the book *after* that event. Empty levels are filled with the
dummy prices ``9999999999`` (ask) and ``-9999999999`` (bid) with size 0.

Glossary: ``ask1``/``bid1`` level-1 prices, ``qa``/``qb`` level-1 sizes, ``m2 = ask1 + bid1``
(twice the mid price, an exact integer).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import numbers
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "LobsterFormatError",
    "LobsterDay",
    "read_lobster",
    "validate_lobster",
    "write_lobster",
    "lob_features",
    "class_balance",
    "TimeSplit",
    "split_by_time",
    "LOBSTER_SAMPLE",
    "lobster_sample_paths",
]

#: LOBSTER's placeholder prices for empty book levels (``LOBSTER_SampleFiles_ReadMe.txt``).
DUMMY_ASK = 9_999_999_999
DUMMY_BID = -9_999_999_999
#: Allowed event types: 1 submission, 2 partial cancellation, 3 deletion, 4 visible execution,
#: 5 hidden execution, 6 cross trade (newer LOBSTER files), 7 trading halt.
EVENT_TYPES = (1, 2, 3, 4, 5, 6, 7)
MESSAGE_COLUMNS = ("time", "event_type", "order_id", "size", "price", "direction")
N_CLASSES = 3
CLASS_NAMES = ("down", "unchanged", "up")

_WHERE = (
    "LOBSTER files come from lobsterdata.com (free sample files: 'Sample Files' page, e.g. "
    "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip); the message file is "
    "TICKER_DATE_START_END_message_LEVEL.csv (6 columns: time, type, order id, size, price, "
    "direction) and the order-book file TICKER_DATE_START_END_orderbook_LEVEL.csv "
    "(4 x LEVEL columns: ask price, ask size, bid price, bid size per level), no header, "
    "plain or gzip-compressed"
)


class LobsterFormatError(ValueError):
    """A file or a :class:`LobsterDay` does not follow the LOBSTER format."""


# ------------------------------------------------------------------------------------------------
# The day
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LobsterDay:
    """One LOBSTER message + order-book pair: one entry (or row) per event.

    Attributes
    ----------
    time : ndarray of float64, shape (n_events,)
        Seconds after midnight.
    event_type : ndarray of int64, shape (n_events,)
        1 submission, 2 partial cancellation, 3 deletion, 4 visible execution, 5 hidden execution,
        6 cross trade, 7 trading halt.
    order_id, size, price, direction : ndarray of int64, shape (n_events,)
        Order reference, shares, price in LOBSTER units (dollars x 10,000), -1 sell / +1 buy.
    ask_price, ask_size, bid_price, bid_size : ndarray of int64, shape (n_events, levels)
        The book after each event; column ``k`` is level ``k + 1``. Empty levels carry the
        dummy prices ``9999999999`` / ``-9999999999`` and size 0.
    source : tuple of str or None
        ``(message_csv, orderbook_csv)`` the day was read from; None for generated data.

    Notes
    -----
    Arrays are made read-only. ``levels``, ``n_events`` and ``mid_price`` are derived properties,
    so they cannot disagree with the arrays. Construct with :func:`read_lobster`,
    :func:`rtrl_theory.data._orderflow.simulate_order_flow`, or directly and then check with
    :func:`validate_lobster`.
    """

    time: np.ndarray
    event_type: np.ndarray
    order_id: np.ndarray
    size: np.ndarray
    price: np.ndarray
    direction: np.ndarray
    ask_price: np.ndarray
    ask_size: np.ndarray
    bid_price: np.ndarray
    bid_size: np.ndarray
    source: tuple[str, str] | None = None

    def __post_init__(self):
        for name in MESSAGE_COLUMNS + ("ask_price", "ask_size", "bid_price", "bid_size"):
            raw = np.asarray(getattr(self, name))
            if raw.dtype.kind not in "iuf" and raw.size:
                raise TypeError(f"{name}: expected a numeric array, got dtype {raw.dtype}")
            if raw.dtype.kind == "f" and not np.all(np.isfinite(raw)):
                if name != "time":  # time: non-finite values are refused by validate_lobster
                    raise ValueError(f"{name}: expected finite integers, got inf or nan")
            elif name != "time" and raw.dtype.kind == "f" and np.any(raw != np.rint(raw)):
                raise ValueError(f"{name}: expected integers, got non-integer values")
            arr = np.array(raw, dtype=np.float64 if name == "time" else np.int64)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_events(self) -> int:
        """Number of events (message rows)."""
        return int(self.time.shape[0])

    @property
    def levels(self) -> int:
        """Number of book levels per side (order-book columns / 4)."""
        return int(self.ask_price.shape[1]) if self.ask_price.ndim == 2 else 0

    @property
    def mid_price(self) -> np.ndarray:
        """Level-1 mid price ``(ask1 + bid1) / 2`` after each event, LOBSTER units, shape (n_events,)."""
        return 0.5 * (self.ask_price[:, 0] + self.bid_price[:, 0])

    def __repr__(self) -> str:
        return f"LobsterDay(n_events={self.n_events}, levels={self.levels}, source={self.source!r})"


# ------------------------------------------------------------------------------------------------
# Reading and writing
# ------------------------------------------------------------------------------------------------
def _open_text(path: Path):
    """Open ``path`` for reading text; gzip is recognised by its magic bytes, not its suffix."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="ascii", newline="")
    return open(path, encoding="ascii", newline="")


def _check_exists(path, what: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{what}: expected a file path (str or Path), got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        state = "is a directory, not a file" if p.is_dir() else "does not exist"
        kind = "message" if what.startswith("message") else "order-book"
        raise FileNotFoundError(
            f"{what}: {str(p)!r} {state}; expected a LOBSTER {kind} file. {_WHERE}."
        )
    return p


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _load_csv(path: Path, what: str) -> np.ndarray:
    """Parse a headerless numeric CSV into a float64 array of shape (rows, columns)."""
    try:
        with _open_text(path) as fh, warnings.catch_warnings():
            # An empty file gives a UserWarning; it is reported as an error below instead.
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, UnicodeDecodeError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise LobsterFormatError(
            f"{what} {str(path)!r} is not a LOBSTER CSV file ({exc}). Expected numbers only, "
            f"comma-separated, the same number of columns on every row and no header. {_WHERE}."
        ) from exc
    if data.shape[0] == 0:
        raise LobsterFormatError(f"{what} {str(path)!r} is empty; expected one row per event.")
    _check_finite(data, what, path)
    return data


def _column_name(what: str, j: int) -> str:
    """Name of column ``j`` (0-based) of a message or order-book file."""
    if what.startswith("message"):
        return MESSAGE_COLUMNS[j] if j < len(MESSAGE_COLUMNS) else f"extra column {j + 1}"
    field = ("ask price", "ask size", "bid price", "bid size")[j % 4]
    return f"{field} {j // 4 + 1}"


def _check_finite(data: np.ndarray, what: str, path: Path) -> None:
    """Refuse ``inf`` / ``nan`` anywhere: no LOBSTER field (time, price, size, ...) may hold one.

    ``numpy.loadtxt`` parses the words ``inf`` and ``nan``; cast to int64 they would become
    arbitrary integers (``-9223372036854775808``) with only a RuntimeWarning.
    """
    bad = ~np.isfinite(data)
    if not bad.any():
        return
    rows, cols = np.nonzero(bad)
    r, c = int(rows[0]), int(cols[0])
    more = f" ({rows.size - 1} more non-finite value(s) in the file)" if rows.size > 1 else ""
    raise LobsterFormatError(
        f"{what} {str(path)!r}: line {r + 1}, column {c + 1} ({_column_name(what, c)}) holds the "
        f"non-finite value {data[r, c]!r}{more}; expected a finite number (prices in LOBSTER "
        "units of 1e-4 dollars, sizes in shares, time in seconds after midnight)."
    )


def _as_int(col: np.ndarray, what: str, path: Path) -> np.ndarray:
    out = np.rint(col)
    bad = np.flatnonzero(out != col)
    if bad.size:
        raise LobsterFormatError(
            f"{what} {str(path)!r}: line {bad[0] + 1} holds the non-integer {col.flat[bad[0]]!r}; "
            "expected integers (prices in LOBSTER units of 1e-4 dollars, sizes in shares)."
        )
    return out.astype(np.int64)


def read_lobster(message_csv, orderbook_csv, *, validate: bool = True) -> LobsterDay:
    """Read a LOBSTER message file and its order-book file into a :class:`LobsterDay`.

    Parameters
    ----------
    message_csv, orderbook_csv : str or Path
        The two files, plain or gzip-compressed (recognised by content, whatever the suffix).
        The number of levels is the order book's column count divided by 4.
    validate : bool, default True
        Run :func:`validate_lobster` (row-by-row format checks). Column counts and equal row
        counts are always checked.

    Returns
    -------
    LobsterDay

    Raises
    ------
    FileNotFoundError
        A file is missing; the message says what is expected and where to get it.
    LobsterFormatError
        Unparsable text, a non-finite value (``inf``, ``nan``: the message names the file, the
        line and the column), wrong column count (message: 6; order book: a positive multiple
        of 4), unequal row counts, or (``validate``) a failed check of :func:`validate_lobster`.
        Non-finite values are refused whatever ``validate`` says.

    Notes
    -----
    Parsing uses :func:`numpy.loadtxt` (C parser, numpy >= 1.23): the AMZN 2012-06-21 level-1
    sample (57,515 rows) reads and validates in about 0.1 s.
    """
    mpath = _check_exists(message_csv, "message_csv")
    opath = _check_exists(orderbook_csv, "orderbook_csv")
    msg = _load_csv(mpath, "message_csv")
    book = _load_csv(opath, "orderbook_csv")
    if msg.shape[1] != 6:
        hint = (
            " It looks like an order-book file: were the two files swapped?"
            if msg.shape[1] % 4 == 0
            else ""
        )
        raise LobsterFormatError(
            f"message_csv {str(mpath)!r} has {msg.shape[1]} columns; a LOBSTER message file has 6 "
            f"(time, event type, order id, size, price, direction).{hint}"
        )
    if book.shape[1] % 4 != 0:
        hint = (
            " It looks like a message file: were the two files swapped?"
            if book.shape[1] == 6
            else ""
        )
        raise LobsterFormatError(
            f"orderbook_csv {str(opath)!r} has {book.shape[1]} columns; a LOBSTER order-book file "
            "has 4 x levels (ask price, ask size, bid price, bid size for each level)." + hint
        )
    if msg.shape[0] != book.shape[0]:
        raise LobsterFormatError(
            f"message_csv has {msg.shape[0]} rows but orderbook_csv has {book.shape[0]}; LOBSTER "
            "writes one order-book row per message row: the files do not belong together "
            f"({str(mpath)!r}, {str(opath)!r})."
        )
    ints = [_as_int(msg[:, j], "message_csv", mpath) for j in range(1, 6)]
    book_i = _as_int(book, "orderbook_csv", opath)
    day = LobsterDay(
        msg[:, 0],
        *ints,
        ask_price=book_i[:, 0::4],
        ask_size=book_i[:, 1::4],
        bid_price=book_i[:, 2::4],
        bid_size=book_i[:, 3::4],
        source=(str(mpath), str(opath)),
    )
    if validate:
        validate_lobster(day)
    return day


def write_lobster(day: LobsterDay, message_path, orderbook_path) -> None:
    """Write ``day`` as a LOBSTER message file and order-book file (gzip if a name ends in .gz).

    Times are written with 9 decimals (LOBSTER's nanosecond precision) and everything else as
    integers, so :func:`read_lobster` gives back identical arrays for any day whose times have
    at most 9 decimals (all LOBSTER files and every generated day).

    Parameters
    ----------
    day : LobsterDay
    message_path, orderbook_path : str or Path
    """
    if not isinstance(day, LobsterDay):
        raise TypeError(f"day: expected a LobsterDay, got {type(day).__name__}")
    msg = np.column_stack([day.time] + [getattr(day, c) for c in MESSAGE_COLUMNS[1:]])
    book = np.empty((day.n_events, 4 * day.levels), dtype=np.int64)
    book[:, 0::4], book[:, 1::4] = day.ask_price, day.ask_size
    book[:, 2::4], book[:, 3::4] = day.bid_price, day.bid_size
    for path, arr, fmt in (
        (message_path, msg, ["%.9f"] + ["%d"] * 5),
        (orderbook_path, book, "%d"),
    ):
        path = Path(path)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt", encoding="ascii", newline="") as fh:
            np.savetxt(fh, arr, fmt=fmt, delimiter=",", newline="\n")


# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------
def _where(day: LobsterDay, rows: np.ndarray) -> str:
    """'line L of <file>' for the first offending row (1-based, as in a text editor)."""
    r = int(rows[0])
    src = f" of {day.source[1]!r}" if day.source else ""
    more = f" (and {rows.size - 1} more row(s))" if rows.size > 1 else ""
    return f"line {r + 1}{src}{more}"


def validate_lobster(day: LobsterDay) -> LobsterDay:
    """Check a :class:`LobsterDay` against the LOBSTER format; return it unchanged or raise.

    Rules (from ``LOBSTER_SampleFiles_ReadMe.txt`` and what :func:`lob_features` needs):

    1. shapes: the six message arrays have one entry per event, the four book arrays are
       ``(n_events, levels)`` with ``levels >= 1``, ``n_events >= 1``;
    2. time finite, in ``[0, 86400]`` (seconds after midnight) and non-decreasing;
    3. event type in {1, ..., 7}, direction in {-1, +1};
    4. level 1 is a real two-sided quote on every row: neither price is a dummy, both sizes are
       positive and ``ask1 > bid1`` (a crossed or locked book is refused);
    5. levels ``k >= 2`` may be empty: an empty ask (bid) level has price ``9999999999``
       (``-9999999999``) and size 0, and once a level is empty every deeper level on that side
       is empty too; a real level has a positive size and a price strictly worse than the
       level above it (ask prices increase and bid prices decrease with the level, since LOBSTER
       levels are occupied price levels).

    Parameters
    ----------
    day : LobsterDay

    Returns
    -------
    day : LobsterDay

    Raises
    ------
    LobsterFormatError
        Naming the rule and the first offending line of the file.

    Notes
    -----
    A trading halt (type 7) repeats the previous book row, so it passes rule 4 whenever the
    row before does. Files whose level 1 is empty on some rows (e.g. before the open) have to
    be cut first: read them with ``read_lobster(..., validate=False)``.
    """
    if not isinstance(day, LobsterDay):
        raise TypeError(f"day: expected a LobsterDay, got {type(day).__name__}")
    n = day.n_events
    if day.time.ndim != 1 or n < 1:
        raise LobsterFormatError(
            f"time: expected a non-empty 1-D array, got shape {day.time.shape}"
        )
    for name in MESSAGE_COLUMNS[1:]:
        if getattr(day, name).shape != (n,):
            raise LobsterFormatError(
                f"{name}: expected shape ({n},) like time, got {getattr(day, name).shape}"
            )
    shape = day.ask_price.shape
    if len(shape) != 2 or shape[0] != n or shape[1] < 1:
        raise LobsterFormatError(f"ask_price: expected shape ({n}, levels >= 1), got {shape}")
    for name in ("ask_size", "bid_price", "bid_size"):
        if getattr(day, name).shape != shape:
            raise LobsterFormatError(
                f"{name}: expected shape {shape} like ask_price, got {getattr(day, name).shape}"
            )

    t = day.time
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0.0) | (t > 86400.0))
    if bad.size:
        raise LobsterFormatError(
            f"time: {t[bad[0]]!r} at {_where(day, bad)} is not in [0, 86400] seconds after "
            "midnight; is this a LOBSTER message file?"
        )
    bad = np.flatnonzero(np.diff(t) < 0.0) + 1
    if bad.size:
        raise LobsterFormatError(
            f"time decreases at {_where(day, bad)} ({t[bad[0] - 1]!r} then {t[bad[0]]!r}); "
            "LOBSTER times never decrease: the file is altered or the rows are out of order."
        )
    bad = np.flatnonzero(~np.isin(day.event_type, EVENT_TYPES))
    if bad.size:
        raise LobsterFormatError(
            f"event_type {day.event_type[bad[0]]} at {_where(day, bad)}; expected 1-7 "
            "(submission, cancellation, deletion, visible/hidden execution, cross, halt)."
        )
    bad = np.flatnonzero(np.abs(day.direction) != 1)
    if bad.size:
        raise LobsterFormatError(
            f"direction {day.direction[bad[0]]} at {_where(day, bad)}; expected -1 (sell) or +1 (buy)."
        )

    a, qa, b, qb = day.ask_price, day.ask_size, day.bid_price, day.bid_size
    bad = np.flatnonzero((a[:, 0] == DUMMY_ASK) | (b[:, 0] == DUMMY_BID))
    if bad.size:
        raise LobsterFormatError(
            f"level 1 is empty (dummy price +-9999999999) at {_where(day, bad)}; a two-sided "
            "level-1 quote is needed on every row. Cut the rows where one side of the book is "
            "empty (e.g. before the open), reading with validate=False."
        )
    bad = np.flatnonzero((qa[:, 0] <= 0) | (qb[:, 0] <= 0))
    if bad.size:
        raise LobsterFormatError(
            f"level-1 size is not positive at {_where(day, bad)} (ask size {qa[bad[0], 0]}, bid "
            f"size {qb[bad[0], 0]}); expected a positive number of shares at the best quotes."
        )
    bad = np.flatnonzero(a[:, 0] <= b[:, 0])
    if bad.size:
        raise LobsterFormatError(
            f"crossed or locked book at {_where(day, bad)}: ask {a[bad[0], 0]} <= bid "
            f"{b[bad[0], 0]}; expected the best ask above the best bid on every row."
        )
    for side, p, q, dummy, worse in (
        ("ask", a, qa, DUMMY_ASK, np.greater),
        ("bid", b, qb, DUMMY_BID, np.less),
    ):
        empty = p == dummy
        bad = np.flatnonzero(np.any(empty & (q != 0), axis=1))
        if bad.size:
            raise LobsterFormatError(
                f"an empty {side} level (price {dummy}) has a non-zero size at {_where(day, bad)}; "
                "LOBSTER gives empty levels size 0."
            )
        bad = np.flatnonzero(np.any(empty[:, :-1] & ~empty[:, 1:], axis=1))
        if bad.size:
            raise LobsterFormatError(
                f"a real {side} level follows an empty one at {_where(day, bad)}; LOBSTER fills "
                "only the deepest levels with dummies."
            )
        real = ~empty
        bad = np.flatnonzero(np.any(real & (q <= 0), axis=1))
        if bad.size:
            raise LobsterFormatError(
                f"a {side} level with a real price has size <= 0 at {_where(day, bad)}; "
                "expected a positive number of shares."
            )
        bad = np.flatnonzero(np.any(real[:, 1:] & ~worse(p[:, 1:], p[:, :-1]), axis=1))
        if bad.size:
            order = "increase" if side == "ask" else "decrease"
            raise LobsterFormatError(
                f"{side} prices do not strictly {order} with the level at {_where(day, bad)}; "
                "LOBSTER levels are distinct occupied price levels, best first."
            )
    return day


# ------------------------------------------------------------------------------------------------
# Features and labels
# ------------------------------------------------------------------------------------------------
def lob_features(day: LobsterDay, *, tick: float = 100) -> tuple[np.ndarray, np.ndarray]:
    r"""Build the inputs and labels of [P1]'s limit-order-book experiment (THEORY.md section 10, item 7.5).

    With :math:`m_t = (a^1_t + b^1_t)/2` the mid price after event :math:`t` and
    :math:`q^a_t, q^b_t` the level-1 sizes after event :math:`t`, for
    :math:`t = 0, \dots, n-2` (``n = day.n_events``):

    .. math::

        X_{t,0} = \frac{m_t - m_{t-1}}{\text{tick}} \quad (X_{0,0} = 0), \qquad
        X_{t,1} = \frac{q^b_t - q^a_t}{q^b_t + q^a_t}, \qquad
        y_t = 1 + \operatorname{sign}(m_{t+1} - m_t).

    Row ``t`` is event ``t``: the model sees ``X[t]``, everything known once event ``t`` has
    happened (the change event ``t`` made to the mid price, the book after it), and predicts
    ``y[t]``, the move that event ``t + 1`` makes. ``X[t + 1, 0]`` therefore carries the answer
    to ``y[t]`` (``y[t] = 1 + sign(X[t + 1, 0])``): feed rows in time order, one step at a time.

    Parameters
    ----------
    day : LobsterDay
        A validated day (two-sided level-1 quote on every row).
    tick : float, default 100
        The tick in LOBSTER price units (100 = 0.01 dollar).

    Returns
    -------
    X : ndarray of float64, shape (n_events - 1, 2)
        ``X[:, 0]`` previous mid-price change, signed, in ticks (multiples of 1/2: the mid moves
        by half a tick when one side moves by a tick); ``X[:, 1]`` level-1 queue imbalance in
        ``[-1, 1]``.
    y : ndarray of int64, shape (n_events - 1,)
        Next mid-price move: 0 down, 1 unchanged, 2 up.

    Notes
    -----
    The last event has no next move and is dropped. The first event has no previous mid price;
    its change is set to 0 rather than dropping the row, so that row ``t`` is event ``t``.
    Moves are compared exactly, on the integers :math:`a^1 + b^1`. Every event counts, including
    those that leave the book unchanged (hidden executions, halts, changes at deeper levels):
    this is event time as in [P1]; filter the day first for another clock.

    Examples
    --------
    >>> day = LobsterDay(
    ...     time=[34200.0, 34200.5, 34201.0, 34202.0], event_type=[1, 1, 4, 3],
    ...     order_id=[1, 2, 1, 2], size=[100, 100, 100, 100], price=[1000100, 999900, 1000100, 999900],
    ...     direction=[-1, 1, -1, 1],
    ...     ask_price=[[1000100], [1000100], [1000200], [1000200]], ask_size=[[100], [100], [300], [300]],
    ...     bid_price=[[999900], [999900], [999900], [999800]], bid_size=[[200], [300], [300], [100]])
    >>> X, y = lob_features(day)
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.3333333333333333], [0.0, 0.5], [0.5, 0.0]], [1, 2, 0])
    """
    if not isinstance(day, LobsterDay):
        raise TypeError(f"day: expected a LobsterDay, got {type(day).__name__}")
    if not _is_real(tick) or not tick > 0:
        raise ValueError(f"tick: expected a positive number of LOBSTER price units, got {tick!r}")
    if day.n_events < 2:
        raise ValueError(f"day: expected at least 2 events to form a label, got {day.n_events}")
    m2 = day.ask_price[:, 0] + day.bid_price[:, 0]  # twice the mid price, exact integers
    dm2 = np.diff(m2)
    qa = day.ask_size[:, 0].astype(np.float64)
    qb = day.bid_size[:, 0].astype(np.float64)
    n = day.n_events - 1
    X = np.empty((n, 2))
    X[0, 0] = 0.0
    X[1:, 0] = dm2[:-1] / (2.0 * float(tick))
    X[:, 1] = ((qb - qa) / (qb + qa))[:n]
    y = (np.sign(dm2) + 1).astype(np.int64)
    return X, y


def class_balance(y) -> np.ndarray:
    """Return the fractions of the classes 0 (down), 1 (unchanged), 2 (up) in ``y``.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels in {0, 1, 2}, n >= 1.

    Returns
    -------
    ndarray, shape (3,)
        The class frequencies, summing to 1.

    Examples
    --------
    >>> class_balance([0, 1, 1, 2]).tolist()
    [0.25, 0.5, 0.25]
    """
    y = _labels(y, "y")
    if y.size == 0:
        raise ValueError("y: expected at least one label, got none")
    return np.bincount(y, minlength=N_CLASSES) / y.size


def _labels(y, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {y.shape}")
    if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= N_CLASSES):
        raise ValueError(f"{name}: expected integer labels 0 (down), 1 (unchanged), 2 (up)")
    return y.astype(np.int64)


@dataclass(frozen=True, eq=False)
class TimeSplit:
    """A chronological split: the first ``n_train`` rows train, the rest test.

    Parameters
    ----------
    X_train : ndarray, shape (n_train, n_features)
        Features of the training part (the past).
    y_train : ndarray of int64, shape (n_train,)
        Labels 0 (down), 1 (unchanged), 2 (up) of the training part.
    X_test : ndarray, shape (n_test, n_features)
        Features of the test part (the future).
    y_test : ndarray of int64, shape (n_test,)
        Labels of the test part.

    See Also
    --------
    split_by_time : builds it.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_train(self) -> int:
        return int(self.y_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.y_test.shape[0])


def split_by_time(X, y, fraction: float = 0.7) -> TimeSplit:
    """Split ``(X, y)`` in time: the first ``floor(fraction * n)`` rows train, the rest test.

    No shuffling: the test part is the future of the training part, as for a model run online.

    Parameters
    ----------
    X : array, shape (n, n_features)
    y : array of int, shape (n,)
    fraction : float in (0, 1)
        Training share; both parts must be non-empty.

    Returns
    -------
    TimeSplit
    """
    X = np.asarray(X, dtype=np.float64)
    y = _labels(y, "y")
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X: expected shape ({y.shape[0]}, n_features) to match y, got {X.shape}")
    if not _is_real(fraction) or not 0 < fraction < 1:
        raise ValueError(f"fraction: expected a number in (0, 1), got {fraction!r}")
    k = int(math.floor(fraction * y.shape[0]))
    if k < 1 or k >= y.shape[0]:
        raise ValueError(
            f"fraction: {fraction} of {y.shape[0]} rows leaves an empty training or test part"
        )
    return TimeSplit(X[:k], y[:k], X[k:], y[k:])


# ------------------------------------------------------------------------------------------------
# The public sample, located in the data directory (rtrl_theory.data._datadir)
# ------------------------------------------------------------------------------------------------
#: The LOBSTER free sample used by tests and CI: file name under ``<data dir>/lobster`` -> sha256.
LOBSTER_SAMPLE = {
    "AMZN_2012-06-21_34200000_57600000_message_1.csv": (
        "9506cea0aab42b2815e13d2f2485b39ef6c0aa212d1bb68f344a52f0a24475f5"
    ),
    "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv": (
        "7c0c4664935a661ec467358a0d1c7bd5ad4e17c8d895c9198af1de3b6e95764a"
    ),
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lobster_sample_paths(data_dir=None, *, verify: bool = True) -> tuple[Path, Path]:
    """Locate (and checksum) the AMZN 2012-06-21 level-1 LOBSTER sample in a data directory.

    Parameters
    ----------
    data_dir : str or Path, optional
        The data directory (holding ``lobster/``). None: ``resolve_data_dir()`` from
        ``rtrl_theory.data._datadir`` (argument > ``RTRL_THEORY_DATA`` > ``../shared/data``).
    verify : bool, default True
        Compare the files' sha256 with :data:`LOBSTER_SAMPLE`.

    Returns
    -------
    message_csv, orderbook_csv : Path
        To pass to :func:`read_lobster`.

    Raises
    ------
    FileNotFoundError
        A file is missing; says what is expected and where to get it.
    LobsterFormatError
        A checksum differs (the file was altered or is another download).
    """
    if data_dir is None:
        from ._datadir import resolve_data_dir

        data_dir = resolve_data_dir()
    folder = Path(data_dir) / "lobster"
    paths = []
    for name, digest in LOBSTER_SAMPLE.items():
        p = folder / name
        if not p.is_file():
            raise FileNotFoundError(
                f"{str(p)!r} does not exist. Expected the LOBSTER free sample {name} "
                f"(sha256 {digest}) in {str(folder)!r}; get LOBSTER_SampleFile_AMZN_2012-06-21_1.zip "
                "from lobsterdata.com (Sample Files) and unzip it there (or run `rtrl-theory "
                "fetch-data lob-sample --data-dir DIR`), or point --data-dir / "
                "RTRL_THEORY_DATA at a folder that holds lobster/."
            )
        if verify and (got := _sha256(p)) != digest:
            raise LobsterFormatError(
                f"{str(p)!r} has sha256 {got}, expected {digest}: the file was altered or is not "
                "the LOBSTER AMZN 2012-06-21 level-1 sample; download it again from lobsterdata.com."
            )
        paths.append(p)
    return paths[0], paths[1]
