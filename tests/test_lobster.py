"""LOBSTER reader, checks, features, baselines and the synthetic order flow (rtrl_theory.data).

Sources of truth: the facts about the AMZN 2012-06-21 sample stated in ../shared/data/README.md
(row counts, session, ask > bid, 27,557 mid-price changes); an independent parse of the raw
lines with the csv module for the features; closed forms for the logistic fit (intercept only ->
class frequencies) and scipy.optimize for the Newton solver; exact round trips otherwise.
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from rtrl_theory.data._lob_baselines import (
    fit_multinomial_logistic,
    logistic_baseline,
    prior_baseline,
)
from rtrl_theory.data._lobster import (
    DUMMY_ASK,
    DUMMY_BID,
    LOBSTER_SAMPLE,
    LobsterDay,
    LobsterFormatError,
    class_balance,
    lob_features,
    lobster_sample_paths,
    read_lobster,
    split_by_time,
    validate_lobster,
    write_lobster,
)
from rtrl_theory.data._orderflow import OrderFlowParams, simulate_order_flow

ARRAYS = (
    "time",
    "event_type",
    "order_id",
    "size",
    "price",
    "direction",
    "ask_price",
    "ask_size",
    "bid_price",
    "bid_size",
)


def _data_dir() -> Path:
    env = os.environ.get("RTRL_THEORY_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture(scope="module")
def sample_paths():
    folder = _data_dir() / "lobster"
    if not all((folder / name).is_file() for name in LOBSTER_SAMPLE):
        pytest.skip(
            f"LOBSTER sample absent from {folder} (set RTRL_THEORY_DATA to a folder holding "
            "lobster/AMZN_2012-06-21_34200000_57600000_{message,orderbook}_1.csv)"
        )
    return lobster_sample_paths(_data_dir())  # also checks the sha256 sums


@pytest.fixture(scope="module")
def sample(sample_paths):
    return read_lobster(*sample_paths)


@pytest.fixture(scope="module")
def synth():
    return simulate_order_flow(4000, rng=2024)


def _write(tmp_path, day, stem="d"):
    m, o = tmp_path / f"{stem}_message.csv", tmp_path / f"{stem}_orderbook.csv"
    write_lobster(day, m, o)
    return m, o


def _replace_line(path: Path, index: int, text: str):
    lines = path.read_text().splitlines()
    lines[index] = text
    path.write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------------------
# The real sample (facts from ../shared/data/README.md)
# ------------------------------------------------------------------------------------------------
def test_sample_has_57515_rows_at_level_1(sample):
    assert sample.n_events == 57_515
    assert sample.levels == 1
    for name in ARRAYS[:6]:
        assert getattr(sample, name).shape == (57_515,)
    assert sample.ask_price.shape == (57_515, 1)


def test_sample_time_is_within_session_and_non_decreasing(sample):
    assert sample.time.min() >= 34_200.0 and sample.time.max() <= 57_600.0
    assert np.all(np.diff(sample.time) >= 0.0)


def test_sample_ask_is_above_bid_on_every_row(sample):
    assert np.all(sample.ask_price[:, 0] > sample.bid_price[:, 0])


def test_sample_mid_price_changes_on_27557_rows(sample):
    assert np.count_nonzero(np.diff(sample.mid_price)) == 27_557
    _, y = lob_features(sample)
    assert np.count_nonzero(y != 1) == 27_557  # one label per consecutive pair of rows


def test_sample_features_match_a_csv_module_parse_of_the_raw_lines(sample, sample_paths):
    with open(sample_paths[1], newline="") as fh:
        rows = [[int(v) for v in r] for r in csv.reader(fh)]
    X, y = lob_features(sample)
    changed = np.flatnonzero(np.diff(sample.mid_price))
    for t in [1, 2, 1000, int(changed[0]) + 1, int(changed[1]) + 1, 57_513]:
        a0, _, b0, _ = rows[t - 1]
        a1, qa, b1, qb = rows[t]
        a2, _, b2, _ = rows[t + 1]
        prev = ((a1 + b1) / 2 - (a0 + b0) / 2) / 100  # ticks of 0.01 dollar = 100 units
        nxt = (a2 + b2) / 2 - (a1 + b1) / 2
        assert X[t, 0] == prev  # exact: half-integers
        assert X[t, 1] == pytest.approx((qb - qa) / (qb + qa), rel=1e-15)  # one division
        assert y[t] == (0 if nxt < 0 else 1 if nxt == 0 else 2)
    assert X[0, 0] == 0.0  # no previous event: documented convention


def test_sample_labels_are_coded_and_aligned_with_the_next_change(sample):
    X, y = lob_features(sample)
    assert X.shape == (57_514, 2) and y.shape == (57_514,)
    assert set(np.unique(y)) == {0, 1, 2}
    # y[t] is the move of event t + 1, which X[t + 1, 0] reports as the previous change.
    np.testing.assert_array_equal(y[:-1], 1 + np.sign(X[1:, 0]).astype(int))
    assert np.all(np.abs(X[:, 1]) <= 1.0)


def test_sample_class_balance_sums_to_one_and_counts_are_pinned(sample):
    _, y = lob_features(sample)
    bal = class_balance(y)
    assert bal.sum() == pytest.approx(1.0, abs=1e-15)  # three fractions of one integer count
    # Pinned (regression) counts; down + up = 27,557 is the README's fact.
    np.testing.assert_array_equal(np.bincount(y), [13_877, 29_957, 13_680])


def test_sample_imbalance_logistic_beats_the_prior_on_a_time_split(sample):
    X, y = lob_features(sample)
    sp = split_by_time(X, y, 0.7)
    prior = prior_baseline(sp.y_train, sp.y_test)
    logit = logistic_baseline(sp.X_train, sp.y_train, sp.X_test, sp.y_test)
    # Pinned (regression) values of 2025 for the report; Newton converges to ~1e-10 gradient,
    # so rtol 1e-6 only absorbs BLAS summation order.
    assert prior.cross_entropy == pytest.approx(0.98952775, rel=1e-6)
    assert logit.cross_entropy == pytest.approx(0.96827268, rel=1e-6)
    assert prior.accuracy == pytest.approx(0.57316720, rel=1e-6)  # always "unchanged"
    assert logit.cross_entropy < prior.cross_entropy


def test_gzip_reading_equals_plain(tmp_path, sample_paths, sample):
    gz = []
    for p in sample_paths:
        target = tmp_path / (p.name + ".gz")
        with open(p, "rb") as src, gzip.open(target, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        gz.append(target)
    day = read_lobster(*gz)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(day, name), getattr(sample, name))


def test_sample_paths_report_an_altered_or_missing_file(tmp_path, sample_paths):
    (tmp_path / "lobster").mkdir()
    with pytest.raises(FileNotFoundError, match="lobsterdata.com"):
        lobster_sample_paths(tmp_path)
    for p in sample_paths:
        shutil.copy(p, tmp_path / "lobster" / p.name)
    msg = tmp_path / "lobster" / sample_paths[0].name
    msg.write_bytes(msg.read_bytes().replace(b"34200.18960767,", b"34200.18960768,", 1))
    with pytest.raises(LobsterFormatError, match="sha256 .* expected 9506cea0"):
        lobster_sample_paths(tmp_path)


# ------------------------------------------------------------------------------------------------
# Features on hand-made days
# ------------------------------------------------------------------------------------------------
def _hand_day(**changes):
    base = dict(
        time=[34200.0, 34200.5, 34201.0, 34201.0],
        event_type=[1, 1, 4, 3],
        order_id=[1, 2, 1, 2],
        size=[100, 100, 100, 100],
        price=[1000100, 999900, 1000100, 999900],
        direction=[-1, 1, -1, 1],
        ask_price=[[1000100], [1000100], [1000200], [1000200]],
        ask_size=[[100], [100], [300], [300]],
        bid_price=[[999900], [999900], [999900], [999800]],
        bid_size=[[200], [300], [300], [100]],
    )
    base.update(changes)
    return LobsterDay(**base)


def test_features_follow_the_documented_formulas_on_a_hand_made_day():
    X, y = lob_features(_hand_day())
    # mids 1000000, 1000000, 1000050, 1000000: changes 0, +0.5, -0.5 ticks.
    np.testing.assert_array_equal(X[:, 0], [0.0, 0.0, 0.5])
    np.testing.assert_allclose(X[:, 1], [100 / 300, 200 / 400, 0.0], rtol=1e-15)  # one division
    np.testing.assert_array_equal(y, [1, 2, 0])


def test_tick_rescales_only_the_mid_change():
    X100, y100 = lob_features(_hand_day())
    X50, y50 = lob_features(_hand_day(), tick=50)
    np.testing.assert_array_equal(X50[:, 0], 2 * X100[:, 0])
    np.testing.assert_array_equal(X50[:, 1], X100[:, 1])
    np.testing.assert_array_equal(y50, y100)
    with pytest.raises(ValueError, match="tick"):
        lob_features(_hand_day(), tick=0)


def test_split_by_time_keeps_the_order_and_sizes():
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1, 2, 1, 1, 0, 2, 1, 1, 1])
    sp = split_by_time(X, y, 0.7)
    assert (sp.n_train, sp.n_test) == (7, 3)
    np.testing.assert_array_equal(np.vstack([sp.X_train, sp.X_test]), X)
    np.testing.assert_array_equal(np.concatenate([sp.y_train, sp.y_test]), y)
    with pytest.raises(ValueError, match="fraction"):
        split_by_time(X, y, 1.0)


def test_class_balance_sums_to_one_and_rejects_bad_labels():
    assert class_balance([2, 2, 0]).tolist() == [1 / 3, 0.0, 2 / 3]
    with pytest.raises(ValueError, match="labels 0"):
        class_balance([0, 3])


# ------------------------------------------------------------------------------------------------
# Validation errors
# ------------------------------------------------------------------------------------------------
def test_missing_file_says_what_is_expected_and_where_to_get_it(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    with pytest.raises(
        FileNotFoundError, match=r"message_csv: .* does not exist.*lobsterdata\.com"
    ):
        read_lobster(tmp_path / "nope.csv", o)
    with pytest.raises(FileNotFoundError, match="expected a LOBSTER order-book file"):
        read_lobster(m, tmp_path / "nope.csv")


def test_wrong_column_counts_are_refused_with_a_swap_hint(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    with pytest.raises(LobsterFormatError, match="has 4 columns; .* has 6.*swapped"):
        read_lobster(o, m)
    bad = tmp_path / "five.csv"
    bad.write_text(
        "".join(",".join(line.split(",")[:5]) + "\n" for line in m.read_text().splitlines())
    )
    with pytest.raises(LobsterFormatError, match="has 5 columns"):
        read_lobster(bad, o)
    ragged = tmp_path / "ragged.csv"
    shutil.copy(o, ragged)
    _replace_line(ragged, 3, "1000100,100,1000000")
    with pytest.raises(LobsterFormatError, match="same number of columns on every row"):
        read_lobster(m, ragged)


def test_a_file_of_the_wrong_kind_is_refused(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    text = tmp_path / "text.csv"
    text.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    with pytest.raises(LobsterFormatError, match="not a LOBSTER CSV file.*no header"):
        read_lobster(text, o)
    header = tmp_path / "header.csv"
    header.write_text("time,type,id,size,price,direction\n" + m.read_text())
    with pytest.raises(LobsterFormatError, match="not a LOBSTER CSV file"):
        read_lobster(header, o)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(LobsterFormatError, match="is empty"):
        read_lobster(empty, o)


def test_unequal_row_counts_are_refused(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    o.write_text("".join(o.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(LobsterFormatError, match="4000 rows but orderbook_csv has 3999"):
        read_lobster(m, o)


def test_decreasing_time_is_refused_with_its_line(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    _replace_line(m, 10, "34200.000000000,1,1,100,1000000,1")
    with pytest.raises(LobsterFormatError, match="time decreases at line 11"):
        read_lobster(m, o)


def test_crossed_book_is_refused_with_its_line(tmp_path, synth):
    m, o = _write(tmp_path, synth)
    _replace_line(o, 5, "1000000,100,1000000,100")
    with pytest.raises(LobsterFormatError, match="crossed or locked book at line 6"):
        read_lobster(m, o)


@pytest.mark.parametrize(
    "row, message",
    [
        (f"{DUMMY_ASK},0,1000000,100", "level 1 is empty"),
        (f"1000100,100,{DUMMY_BID},0", "level 1 is empty"),
        ("1000100,0,1000000,100", "level-1 size is not positive"),
    ],
)
def test_level_1_must_be_a_real_two_sided_quote(tmp_path, synth, row, message):
    m, o = _write(tmp_path, synth)
    _replace_line(o, 7, row)
    with pytest.raises(LobsterFormatError, match=message):
        read_lobster(m, o)
    assert read_lobster(m, o, validate=False).n_events == 4000  # the escape hatch


def test_bad_event_type_and_direction_are_refused(synth):
    et = synth.event_type.copy()
    et[3] = 8
    with pytest.raises(LobsterFormatError, match="event_type 8 at line 4"):
        validate_lobster(_replace(synth, event_type=et))
    dr = synth.direction.copy()
    dr[3] = 0
    with pytest.raises(LobsterFormatError, match="direction 0 at line 4"):
        validate_lobster(_replace(synth, direction=dr))


# ------------------------------------------------------------------------------------------------
# More levels, empty levels
# ------------------------------------------------------------------------------------------------
def _replace(day, **arrays):
    kw = {name: getattr(day, name) for name in ARRAYS}
    kw.update(arrays)
    return LobsterDay(**kw)


def test_a_level_3_file_reads_with_the_inferred_level_count(tmp_path):
    day = simulate_order_flow(1500, OrderFlowParams(levels=3), rng=7)
    m, o = _write(tmp_path, day)
    assert len(o.read_text().split("\n", 1)[0].split(",")) == 12
    back = read_lobster(m, o)
    assert back.levels == 3 and back.ask_price.shape == (1500, 3)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(back, name), getattr(day, name))


def test_empty_deep_levels_with_lobster_dummies_are_accepted_but_not_misplaced(tmp_path):
    day = simulate_order_flow(800, OrderFlowParams(levels=3), rng=8)
    ap, aq = day.ask_price.copy(), day.ask_size.copy()
    bp, bq = day.bid_price.copy(), day.bid_size.copy()
    ap[100:200, 1:], aq[100:200, 1:] = DUMMY_ASK, 0  # ask side with one level only
    bp[300:310, 2], bq[300:310, 2] = DUMMY_BID, 0
    ok = _replace(day, ask_price=ap, ask_size=aq, bid_price=bp, bid_size=bq)
    m, o = _write(tmp_path, ok)
    assert read_lobster(m, o).levels == 3
    gap = ap.copy()
    gap[150, 2] = ap[150, 0] + 500  # a real level below an empty one
    with pytest.raises(LobsterFormatError, match="real ask level follows an empty one at line 151"):
        validate_lobster(_replace(ok, ask_price=gap))
    size = bq.copy()
    size[305, 2] = 100
    with pytest.raises(LobsterFormatError, match="empty bid level .* non-zero size at line 306"):
        validate_lobster(_replace(ok, bid_size=size))
    order = bp.copy()
    order[5, 1] = order[5, 0]  # level 2 at the level-1 price
    with pytest.raises(LobsterFormatError, match="bid prices do not strictly decrease"):
        validate_lobster(_replace(ok, bid_price=order))


# ------------------------------------------------------------------------------------------------
# Synthetic order flow
# ------------------------------------------------------------------------------------------------
def test_synthetic_flow_is_reproducible_with_a_seed():
    a, b = simulate_order_flow(1000, rng=5), simulate_order_flow(1000, rng=5)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    c = simulate_order_flow(1000, rng=6)
    assert not np.array_equal(a.time, c.time)


def test_synthetic_flow_looks_like_a_lobster_day(synth):
    assert synth.n_events == 4000 and synth.levels == 1 and synth.source is None
    assert 34_200.0 <= synth.time[0] and synth.time[-1] <= 57_600.0
    assert set(np.unique(synth.event_type)) <= {1, 2, 3, 4}
    _, y = lob_features(synth)
    unchanged = class_balance(y)[1]
    assert 0.6 < unchanged < 0.95  # a band around the ~0.85 of the defaults (large-tick regime)


def test_write_read_round_trip_is_exact_plain_and_gzip(tmp_path, synth):
    for stem, suffix in (("plain", ".csv"), ("gz", ".csv.gz")):
        m, o = tmp_path / f"{stem}_m{suffix}", tmp_path / f"{stem}_o{suffix}"
        write_lobster(synth, m, o)
        back = read_lobster(m, o)
        for name in ARRAYS:
            np.testing.assert_array_equal(getattr(back, name), getattr(synth, name))
        assert back.source == (str(m), str(o))


def test_imbalance_logistic_beats_the_prior_on_synthetic_flow():
    day = simulate_order_flow(20_000, OrderFlowParams(imbalance_feedback=0.8), rng=11)
    X, y = lob_features(day)
    sp = split_by_time(X, y, 0.7)
    prior = prior_baseline(sp.y_train, sp.y_test)
    logit = logistic_baseline(sp.X_train, sp.y_train, sp.X_test, sp.y_test)
    idx = np.arange(sp.n_test)
    d = np.log(logit.probabilities[idx, sp.y_test]) - np.log(prior.probabilities[idx, sp.y_test])
    # Paired per-event log-loss gain; ask for 5 standard errors (seed fixed, so not flaky).
    assert d.mean() > 5 * d.std() / np.sqrt(d.size)
    assert logit.cross_entropy < prior.cross_entropy


# ------------------------------------------------------------------------------------------------
# The logistic regression itself
# ------------------------------------------------------------------------------------------------
def test_intercept_only_logistic_gives_the_class_frequencies():
    rng = np.random.default_rng(3)
    y = rng.choice(3, size=5000, p=[0.2, 0.5, 0.3])
    fit = fit_multinomial_logistic(np.zeros((5000, 1)), y)
    assert fit.converged
    P = fit.predict_proba(np.zeros((1, 1)))[0]
    # The MLE is the frequency vector; l2 = 1e-6 biases it by O(1e-6).
    np.testing.assert_allclose(P, np.bincount(y) / 5000, atol=1e-5)


def test_newton_fit_matches_scipy_minimize():
    day = simulate_order_flow(5000, rng=12)
    X, y = lob_features(day)
    fit = fit_multinomial_logistic(X, y, l2=0.0)

    def nll(theta):
        W = np.zeros((3, 3))
        W[[0, 2]] = theta.reshape(2, 3)
        Z = X @ W[:, :2].T + W[:, 2]
        return -np.mean(Z[np.arange(y.size), y] - logsumexp(Z, axis=1))

    ref = minimize(nll, np.zeros(6), method="BFGS", options={"gtol": 1e-10})
    ours = np.column_stack([fit.coef, fit.intercept])[[0, 2]].ravel()
    assert fit.converged
    # Same optimum; the objective is flat to O(gtol^2), BFGS stops within ~1e-5 of it.
    np.testing.assert_allclose(ours, ref.x, atol=1e-4)
    assert nll(ours) <= ref.fun + 1e-12
