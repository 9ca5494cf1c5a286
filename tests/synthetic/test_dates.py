"""The date generator of notebook 11 (utils/synthetic/dates.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from utils.synthetic.dates import (FIRST_DAY, FORMATS, HELD_OUT_FORMAT, LAST_DAY, TRAIN_FORMATS, date_pool,
                                   format_date, make_dates, parse_date)


def test_same_seed_same_data_other_seed_other_data():
    assert make_dates(300, "train", seed=4) == make_dates(300, "train", seed=4)
    assert make_dates(300, "train", seed=4) != make_dates(300, "train", seed=5)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_parses_back_to_the_same_date(fmt):
    for pair in make_dates(400, "train", formats=[fmt], seed=1) + make_dates(100, "test", formats=[fmt], seed=2):
        assert pair.format == fmt
        assert parse_date(pair.text, fmt).isoformat() == pair.iso, pair


@pytest.mark.parametrize("date", [FIRST_DAY, LAST_DAY, dt.date(2000, 2, 29), dt.date(1999, 12, 31),
                                  dt.date(2024, 3, 3), dt.date(2011, 11, 11), dt.date(2022, 1, 22)])
def test_edge_dates_round_trip_in_every_format(date):
    for fmt in FORMATS:
        assert parse_date(format_date(date, fmt), fmt) == date, (fmt, format_date(date, fmt))


def test_the_examples_of_the_issue():
    d = dt.date(2024, 3, 3)
    assert format_date(d, "d Month yyyy") == "3 March 2024"
    assert format_date(d, "Month dth, yyyy") == "March 3rd, 2024"
    assert format_date(d, "dd/mm/yy") == "03/03/24"
    assert format_date(d, "Weekday, d Mon yyyy") == "Sunday, 3 Mar 2024"
    assert format_date(d, "yyyy년 m월 d일") == "2024년 3월 3일"
    assert format_date(d, "yy. m. d.") == "24. 3. 3."
    assert format_date(dt.date(2011, 11, 11), "Month dth, yyyy") == "November 11th, 2011"


def test_wrong_weekday_is_rejected():
    with pytest.raises(ValueError, match="wrong weekday"):
        parse_date("Monday, 3 Mar 2024", "Weekday, d Mon yyyy")


def test_held_out_format_never_in_training():
    assert HELD_OUT_FORMAT in FORMATS and HELD_OUT_FORMAT not in TRAIN_FORMATS
    assert len(TRAIN_FORMATS) == len(FORMATS) - 1
    pairs = make_dates(5000, "train", seed=0)
    assert {p.format for p in pairs} == set(TRAIN_FORMATS)  # every training format, and nothing else
    held = {format_date(dt.date.fromisoformat(p.iso), HELD_OUT_FORMAT) for p in pairs[:2000]}
    assert not held & {p.text for p in pairs}, "a training string is also written in the held-out format"


def test_splits_are_disjoint_and_cover_every_day():
    pools = {s: set(date_pool(s).tolist()) for s in ("train", "val", "test")}
    assert not pools["train"] & pools["val"] and not pools["train"] & pools["test"] and not pools["val"] & pools["test"]
    assert sum(map(len, pools.values())) == (LAST_DAY - FIRST_DAY).days + 1
    train_iso = {p.iso for p in make_dates(20000, "train", seed=0)}
    test_iso = {p.iso for p in make_dates(2000, "test", seed=0)}
    assert not train_iso & test_iso
    assert 0.78 < len(pools["train"]) / sum(map(len, pools.values())) < 0.82


def test_dates_spread_over_the_range():
    years = np.array([int(p.iso[:4]) for p in make_dates(5000, "train", seed=3)])
    assert years.min() == 1950 and years.max() == 2049
    months = np.array([int(p.iso[5:7]) for p in make_dates(5000, "train", seed=3)])
    assert set(months.tolist()) == set(range(1, 13))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown date format"):
        make_dates(3, formats=["dd-mm"])
    with pytest.raises(ValueError, match="split"):
        make_dates(3, split="dev")
    with pytest.raises(ValueError):
        make_dates(3, formats=[])
    with pytest.raises(ValueError, match="not written as"):
        parse_date("3/3/2024", "dd/mm/yy")
