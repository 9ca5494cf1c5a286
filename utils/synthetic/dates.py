"""Synthetic dates written the way people write them, each paired with its ISO form (notebook 11).

Every calendar day from 1950-01-01 to 2049-12-31 can be written in any of the formats
of ``FORMATS``, English and Korean, for example 3 March 2024 as

    "3 March 2024"   "March 3rd, 2024"   "03/03/24"   "Sunday, 3 Mar 2024"
    "2024년 3월 3일"  "24. 3. 3."   ...

and the target is always ISO 8601, ``"2024-03-03"``. Two-digit years are read with a
pivot: 50-99 mean 1950-1999 and 00-49 mean 2000-2049, so every string has exactly one
date and the task is a function (the model is never asked to guess).

The days are split once, with a fixed seed, into disjoint pools (80 % train, 10 % val,
10 % test): a date drawn for "test" never occurs in "train" in any format, so a model
that is right on the test pool has learned to read dates, not remembered them.

    pairs = make_dates(5000, split="train", formats=TRAIN_FORMATS, seed=0)
    pairs[0]     # DatePair(text='17 Sep 1987 ...', iso='1987-09-17', format='...')

``HELD_OUT_FORMAT`` is not in ``TRAIN_FORMATS``: notebook 11 trains without it and
then reads it, to see whether the model combines parts it has seen in other formats.
``parse_date(text, format)`` reads a string back (a check of the generator itself).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

import numpy as np

__all__ = ["FORMATS", "TRAIN_FORMATS", "HELD_OUT_FORMAT", "DatePair", "make_dates", "format_date", "parse_date",
           "date_pool", "FIRST_DAY", "LAST_DAY"]

FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)
SPLIT_SEED = 20240303  # fixed: the pools never change, whatever seed draws the examples
SPLIT_FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
KO_WEEKDAYS = ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"]


def _ordinal(d: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


# name -> how to write a date. The names say the pattern; the examples are for 2024-03-03.
FORMATS = {
    "d Month yyyy": lambda x: f"{x.day} {MONTHS[x.month - 1]} {x.year}",                     # 3 March 2024
    "Month dth, yyyy": lambda x: f"{MONTHS[x.month - 1]} {_ordinal(x.day)}, {x.year}",       # March 3rd, 2024
    "dd/mm/yy": lambda x: f"{x.day:02d}/{x.month:02d}/{x.year % 100:02d}",                    # 03/03/24
    "Weekday, d Mon yyyy": lambda x: f"{WEEKDAYS[x.weekday()]}, {x.day} {MONTHS[x.month - 1][:3]} {x.year}",
    "yyyy년 m월 d일": lambda x: f"{x.year}년 {x.month}월 {x.day}일",                           # 2024년 3월 3일
    "yy. m. d.": lambda x: f"{x.year % 100:02d}. {x.month}. {x.day}.",                        # 24. 3. 3.
    "d.m.yyyy": lambda x: f"{x.day}.{x.month}.{x.year}",                                      # 3.3.2024
    "yyyymmdd": lambda x: f"{x.year}{x.month:02d}{x.day:02d}",                                # 20240303
    "yyyy년 m월 d일 요일": lambda x: f"{x.year}년 {x.month}월 {x.day}일 {KO_WEEKDAYS[x.weekday()]}",
    "Mon d, yyyy": lambda x: f"{MONTHS[x.month - 1][:3]} {x.day}, {x.year}",                  # Mar 3, 2024
}
HELD_OUT_FORMAT = "Mon d, yyyy"
TRAIN_FORMATS = tuple(name for name in FORMATS if name != HELD_OUT_FORMAT)


class DatePair(NamedTuple):
    text: str     # the date as a person writes it
    iso: str      # the target, YYYY-MM-DD
    format: str   # the key of FORMATS that wrote it


def format_date(date: dt.date, fmt: str) -> str:
    """Write `date` in the format named `fmt` (a key of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; the formats are {list(FORMATS)}")
    return FORMATS[fmt](date)


def date_pool(split: str) -> np.ndarray:
    """The days (as day numbers since FIRST_DAY) of one split: "train", "val" or "test"; disjoint pools."""
    if split not in SPLIT_FRACTIONS:
        raise ValueError(f'split must be "train", "val" or "test", got {split!r}')
    n_days = (LAST_DAY - FIRST_DAY).days + 1
    order = np.random.default_rng(SPLIT_SEED).permutation(n_days)
    n_train = int(SPLIT_FRACTIONS["train"] * n_days)
    n_val = int(SPLIT_FRACTIONS["val"] * n_days)
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, n_days)}
    lo, hi = bounds[split]
    return np.sort(order[lo:hi])


def make_dates(n: int, split: str = "train", formats=TRAIN_FORMATS, seed: int = 0) -> list[DatePair]:
    """n (text, iso, format) pairs: days drawn uniformly from the split's pool, formats uniformly from `formats`.

    The same (n, split, formats, seed) gives the same list on any machine.
    """
    formats = [formats] if isinstance(formats, str) else list(formats)
    if not formats:
        raise ValueError("make_dates needs at least one format")
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown date format {fmt!r}; the formats are {list(FORMATS)}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    pool = date_pool(split)
    days = rng.choice(pool, size=n)
    which = rng.integers(len(formats), size=n)
    pairs = []
    for day, k in zip(days, which):
        date = FIRST_DAY + dt.timedelta(days=int(day))
        pairs.append(DatePair(format_date(date, formats[k]), date.isoformat(), formats[k]))
    return pairs


# ------------------------------------------------------------- reading back

_MONTH_NUMBER = {m.lower(): i + 1 for i, m in enumerate(MONTHS)} | {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
_PARSERS = {
    "d Month yyyy": (r"(?P<d>\d{1,2}) (?P<mon>[A-Za-z]+) (?P<y>\d{4})", None),
    "Month dth, yyyy": (r"(?P<mon>[A-Za-z]+) (?P<d>\d{1,2})(st|nd|rd|th), (?P<y>\d{4})", None),
    "dd/mm/yy": (r"(?P<d>\d{2})/(?P<m>\d{2})/(?P<yy>\d{2})", None),
    "Weekday, d Mon yyyy": (r"(?P<wd>[A-Za-z]+), (?P<d>\d{1,2}) (?P<mon>[A-Za-z]{3}) (?P<y>\d{4})", WEEKDAYS),
    "yyyy년 m월 d일": (r"(?P<y>\d{4})년 (?P<m>\d{1,2})월 (?P<d>\d{1,2})일", None),
    "yy. m. d.": (r"(?P<yy>\d{2})\. (?P<m>\d{1,2})\. (?P<d>\d{1,2})\.", None),
    "d.m.yyyy": (r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})", None),
    "yyyymmdd": (r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})", None),
    "yyyy년 m월 d일 요일": (r"(?P<y>\d{4})년 (?P<m>\d{1,2})월 (?P<d>\d{1,2})일 (?P<wd>\S+)", KO_WEEKDAYS),
    "Mon d, yyyy": (r"(?P<mon>[A-Za-z]{3}) (?P<d>\d{1,2}), (?P<y>\d{4})", None),
}


def parse_date(text: str, fmt: str) -> dt.date:
    """Read a string written in format `fmt` back into a date; ValueError if it does not fit.

    Written independently of FORMATS (regular expressions), so a test can check that
    every format writes a string that means the date it was given. The weekday, where
    a format has one, must be the right one.
    """
    if fmt not in _PARSERS:
        raise ValueError(f"unknown date format {fmt!r}")
    pattern, weekdays = _PARSERS[fmt]
    m = re.fullmatch(pattern, text)
    if m is None:
        raise ValueError(f"{text!r} is not written as {fmt!r}")
    g = m.groupdict()
    if "y" in g and g["y"] is not None:
        year = int(g["y"])
    else:
        yy = int(g["yy"])
        year = 1900 + yy if yy >= 50 else 2000 + yy
    month = _MONTH_NUMBER[g["mon"].lower()] if g.get("mon") else int(g["m"])
    date = dt.date(year, month, int(g["d"]))
    if weekdays is not None and weekdays[date.weekday()] != g["wd"]:
        raise ValueError(f"{text!r}: {g['wd']} is the wrong weekday for {date.isoformat()}")
    return date
