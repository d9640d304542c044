"""Expiry of a document, from the MRZ or from its printed fields.

:func:`check_expiry` is the one rule both sources share. :func:`parse_printed_date` and
:func:`parse_validity_period` read the dates as they are printed on cards and passports
(``2035.03.01``, ``13-04-2029``, ``15 APR/AVR 12``, the PRC card's ``2015.03.01-长期``) so that
OCR'd text and the MRZ can be compared and checked the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from liveness.documents.errors import DATE_UNREADABLE, DocumentInputError
from liveness.documents.reasons import DOCUMENT_EXPIRED

__all__ = [
    "LONG_TERM_MARKERS",
    "ValidityPeriod",
    "check_expiry",
    "parse_printed_date",
    "parse_validity_period",
]

# What PRC resident ID cards (and some others) print instead of an end date.
LONG_TERM_MARKERS = ("长期", "長期", "LONG-TERM", "LONGTERM", "PERMANENT")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("JAN", "JANV"),
            ("FEB", "FEV", "FÉV"),
            ("MAR", "MARS"),
            ("APR", "AVR"),
            ("MAY", "MAI"),
            ("JUN", "JUIN"),
            ("JUL", "JUIL"),
            ("AUG", "AOUT", "AOÛT"),
            ("SEP", "SEPT"),
            ("OCT",),
            ("NOV",),
            ("DEC", "DÉC"),
        ),
        start=1,
    )
    for name in names
}
_YMD = re.compile(r"(\d{4})[.\-/年 ]?\s*(\d{1,2})[.\-/月 ]?\s*(\d{1,2})日?")
_DMY = re.compile(r"(\d{1,2})[.\-/ ]\s*(\d{1,2})[.\-/ ]\s*(\d{4})")
# "15 APR 2012", "15 APR/AVR 12", "05FEB1965", "12 AUGUST/AOUT 74"
_D_MON_Y = re.compile(r"(\d{1,2})\s*([A-ZÉÛ]{3,})(?:\s*/\s*[A-ZÉÛ]{3,})?\s*(\d{4}|\d{2})")
_PERIOD_SPLIT = re.compile(r"\s*(?:-|–|—|~|至|TO)\s*")


@dataclass(frozen=True)
class ValidityPeriod:
    """A printed validity period; ``end`` is None for a long-term (no expiry) document."""

    start: date
    end: date | None


def check_expiry(expiry_date: date | None, *, today: date | None = None) -> list[str]:
    """Reason codes for a document's expiry date.

    Parameters
    ----------
    expiry_date : date or None
        The last day of validity; None for a document that does not expire (long-term PRC
        cards, MRZs whose expiry field is left blank), which passes.
    today : date, optional
        The check date; default :meth:`date.today`. A document is still valid on its expiry day.

    Returns
    -------
    list of str
        ``["DOCUMENT_EXPIRED"]`` when ``expiry_date`` is before ``today``, else ``[]``.

    Examples
    --------
    >>> check_expiry(date(2012, 4, 15), today=date(2012, 4, 15))
    []
    >>> check_expiry(date(2012, 4, 15), today=date(2012, 4, 16))
    ['DOCUMENT_EXPIRED']
    >>> check_expiry(None)
    []
    """
    if expiry_date is None:
        return []
    if not isinstance(expiry_date, date):
        raise DocumentInputError(f"an expiry date must be a date, got {type(expiry_date).__name__}")
    check_date = today if today is not None else date.today()
    return [DOCUMENT_EXPIRED] if expiry_date < check_date else []


def parse_printed_date(text: str, *, pivot: date | None = None) -> date:
    """Read a date as printed on an ID document.

    Accepted forms: ``YYYY.MM.DD`` (also with ``-``, ``/``, spaces, ``年月日`` or no separator),
    ``DD.MM.YYYY`` (also with ``-``, ``/`` or spaces; day first, as on ICAO data pages), and
    ``DD MON YYYY`` / ``DD MON YY`` with an English or French month abbreviation, optionally
    bilingual (``15 APR/AVR 12``). A two-digit year is put in the century that brings the
    date nearest to ``pivot``.

    Parameters
    ----------
    text : str
        The printed field, e.g. from OCR.
    pivot : date, optional
        For two-digit years only; default :meth:`date.today`.

    Returns
    -------
    date

    Raises
    ------
    DocumentInputError
        ``code="DATE_UNREADABLE"`` when no accepted form matches or the date does not exist.

    Examples
    --------
    >>> parse_printed_date("2035.03.01")
    datetime.date(2035, 3, 1)
    >>> parse_printed_date("13-04-2029")
    datetime.date(2029, 4, 13)
    >>> parse_printed_date("15 APR/AVR 12", pivot=date(2010, 1, 1))
    datetime.date(2012, 4, 15)
    >>> parse_printed_date("05FEB1965")
    datetime.date(1965, 2, 5)
    >>> parse_printed_date("1949年12月31日")
    datetime.date(1949, 12, 31)
    """
    if not isinstance(text, str):
        raise DocumentInputError(f"a printed date must be a string, got {type(text).__name__}", code=DATE_UNREADABLE)
    cleaned = " ".join(text.strip().upper().split())
    try:
        if match := _YMD.fullmatch(cleaned):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.fullmatch(cleaned):
            return date(int(match[3]), int(match[2]), int(match[1]))
        if (match := _D_MON_Y.fullmatch(cleaned)) and (month := _month_number(match[2])) is not None:
            day, year_text = int(match[1]), match[3]
            if len(year_text) == 4:
                return date(int(year_text), month, day)
            return _nearest_century(int(year_text), month, day, pivot or date.today())
    except ValueError as exc:
        raise DocumentInputError(f"{text!r} is not a calendar date: {exc}", code=DATE_UNREADABLE) from exc
    raise DocumentInputError(f"cannot read {text!r} as a printed date", code=DATE_UNREADABLE)


def parse_validity_period(text: str) -> ValidityPeriod:
    """Read a printed validity period such as the PRC card's ``2015.03.01-2035.03.01``.

    Parameters
    ----------
    text : str
        Two printed dates joined by ``-``, ``–``, ``~``, ``至`` or ``TO``; the second may be a
        long-term marker (``长期``).

    Returns
    -------
    ValidityPeriod

    Raises
    ------
    DocumentInputError
        ``code="DATE_UNREADABLE"`` when the text is not two dates (or a date and a long-term
        marker), or the end precedes the start.

    Examples
    --------
    >>> parse_validity_period("2015.03.01-2035.03.01")
    ValidityPeriod(start=datetime.date(2015, 3, 1), end=datetime.date(2035, 3, 1))
    >>> parse_validity_period("2010.07.12-长期").end is None
    True
    """
    if not isinstance(text, str):
        raise DocumentInputError(f"a validity period must be a string, got {type(text).__name__}", code=DATE_UNREADABLE)
    cleaned = text.strip().upper()
    # The dates themselves may use "-" between fields, so split on the separator that leaves
    # two readable halves.
    for match in _PERIOD_SPLIT.finditer(cleaned):
        head, tail = cleaned[: match.start()], cleaned[match.end() :]
        try:
            start = parse_printed_date(head)
            end = None if tail.strip() in LONG_TERM_MARKERS else parse_printed_date(tail)
        except DocumentInputError:
            continue
        if end is not None and end < start:
            raise DocumentInputError(f"validity period {text!r} ends before it starts", code=DATE_UNREADABLE)
        return ValidityPeriod(start=start, end=end)
    raise DocumentInputError(f"cannot read {text!r} as a validity period", code=DATE_UNREADABLE)


def _month_number(name: str) -> int | None:
    for length in (len(name), 4, 3):
        if (number := _MONTHS.get(name[:length])) is not None:
            return number
    return None


def century_candidates(year2: int, month: int, day: int) -> list[date]:
    """The calendar dates a two-digit year can stand for in 1900-2199 (none if not a date).

    >>> [d.year for d in century_candidates(0, 2, 29)]
    [2000]
    """
    candidates: list[date] = []
    for century in (1900, 2000, 2100):
        try:
            candidates.append(date(century + year2, month, day))
        except ValueError:  # 29 February exists in 2000 but not in 1900 or 2100
            continue
    return candidates


def _nearest_century(year2: int, month: int, day: int, pivot: date) -> date:
    candidates = century_candidates(year2, month, day)
    if not candidates:
        raise ValueError(f"day {day} is out of range for month {month}")
    return min(candidates, key=lambda candidate: abs((candidate - pivot).days))
