"""Chinese resident identity number (GB 11643-1999): format, check character, birth date, region.

The 18 characters are a 6-digit GB/T 2260 region code, the birth date ``YYYYMMDD``, a 3-digit
sequence number (odd for men, even for women) and a check character computed with ISO 7064
MOD 11-2 over the first 17 digits. :func:`validate_cn_id` returns reason codes (an empty list
means the number passes every rule); :func:`parse_cn_id` splits a well-formed number into its
parts.

The region code must be in the committed GB/T 2260 timeline (``data/cn_region_codes.tsv``) and
must not have been retired before the holder was born: a number is assigned once, with the code
in force at the time, and is never re-issued with a code that no longer existed. A code created
*after* the birth year is accepted, because people born before 1984 got their numbers when
cards were first issued.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal

from liveness.documents.errors import ID_NUMBER_UNPARSEABLE, DocumentInputError
from liveness.documents.reasons import (
    ID_NUMBER_BIRTHDATE,
    ID_NUMBER_CHECKSUM,
    ID_NUMBER_FORMAT,
    ID_NUMBER_REGION,
)

__all__ = [
    "MIN_BIRTH_YEAR",
    "CnIdInfo",
    "RegionPeriod",
    "cn_id_check_char",
    "cn_region_periods",
    "parse_cn_id",
    "validate_cn_id",
]

MIN_BIRTH_YEAR = 1900
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17 - i) mod 11
_CHECK_CHARS = "10X98765432"
_NUMBER = re.compile(r"[0-9]{17}[0-9X]")  # not \d: that also matches full-width digits
_FIRST17 = re.compile(r"[0-9]{17}")
# A division abolished in year Y still issued numbers for a child registered early in Y + 1:
# police registries switch code lists later than the national list changes.
_RETIREMENT_GRACE_YEARS = 1
_REGION_TABLE = "cn_region_codes.tsv"


@dataclass(frozen=True)
class RegionPeriod:
    """One name of a GB/T 2260 code, valid from ``first_year`` to ``last_year`` (None = open)."""

    code: str
    name: str
    first_year: int | None
    last_year: int | None

    def covers(self, year: int) -> bool:
        """Whether the code carried this name in ``year``."""
        return (self.first_year is None or self.first_year <= year) and (
            self.last_year is None or year <= self.last_year
        )


@dataclass(frozen=True)
class CnIdInfo:
    """The parts of an 18-character resident identity number.

    ``region_name`` is the division's name in the birth year (else its latest name), prefixed
    with its province and prefecture when those are separate divisions; None when the code is
    not in the table. ``sex`` comes from the parity of ``sequence``.
    """

    number: str
    region_code: str
    region_name: str | None
    birth_date: date
    sequence: str
    sex: Literal["M", "F"]
    check_char: str


def cn_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number.

    Parameters
    ----------
    first17 : str
        Exactly 17 ASCII digits.

    Returns
    -------
    str
        One of ``"0"``-``"9"`` or ``"X"`` (which stands for 10).

    Raises
    ------
    DocumentInputError
        ``code="ID_NUMBER_UNPARSEABLE"`` when ``first17`` is not a string of 17 ASCII digits.

    Examples
    --------
    >>> cn_id_check_char("11010519491231002")
    'X'
    >>> cn_id_check_char("11010519491231003")
    '8'
    """
    if not isinstance(first17, str) or not _FIRST17.fullmatch(first17):
        raise DocumentInputError(
            f"the check character needs 17 ASCII digits, got {first17!r}", code=ID_NUMBER_UNPARSEABLE
        )
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_cn_id(number: str, *, today: date | None = None) -> list[str]:
    """Check a resident identity number against every GB 11643-1999 rule.

    Parameters
    ----------
    number : str
        The 18-character number. Surrounding whitespace is ignored and a lowercase ``x`` is
        read as ``X``; anything else (inner spaces, full-width digits, the 15-digit pre-1999
        form) is a format failure.
    today : date, optional
        The check date for "birth date in the future"; default :meth:`date.today`.

    Returns
    -------
    list of str
        Reason codes, empty when the number passes. ``ID_NUMBER_FORMAT`` alone when the
        characters are wrong (the other rules cannot be checked then); otherwise any of
        ``ID_NUMBER_CHECKSUM``, ``ID_NUMBER_BIRTHDATE`` and ``ID_NUMBER_REGION``, in that order.

    Raises
    ------
    DocumentInputError
        When ``number`` is not a string.

    Examples
    --------
    >>> validate_cn_id("11010519491231002X")
    []
    >>> validate_cn_id("11010519491231002x")
    []
    >>> validate_cn_id("11010519491231003X")
    ['ID_NUMBER_CHECKSUM']
    >>> validate_cn_id("1101051949123100")
    ['ID_NUMBER_FORMAT']
    >>> validate_cn_id("110105" + "20300101" + "001" + cn_id_check_char("11010520300101001"),
    ...                today=date(2025, 1, 1))
    ['ID_NUMBER_BIRTHDATE']
    """
    normalized = _normalize(number)
    if not _NUMBER.fullmatch(normalized):
        return [ID_NUMBER_FORMAT]
    reasons: list[str] = []
    if cn_id_check_char(normalized[:17]) != normalized[17]:
        reasons.append(ID_NUMBER_CHECKSUM)
    birth = _birth_date(normalized)
    check_date = today if today is not None else date.today()
    if birth is None or birth.year < MIN_BIRTH_YEAR or birth > check_date:
        reasons.append(ID_NUMBER_BIRTHDATE)
        birth = None
    if not _region_valid(normalized[:6], birth.year if birth is not None else None):
        reasons.append(ID_NUMBER_REGION)
    return reasons


def parse_cn_id(number: str) -> CnIdInfo:
    """Split a resident identity number into region, birth date, sequence, sex and check char.

    The check character and the region are not verified here (see :func:`validate_cn_id`),
    so a number with a wrong check character still parses.

    Parameters
    ----------
    number : str
        The 18-character number (surrounding whitespace ignored, ``x`` read as ``X``).

    Returns
    -------
    CnIdInfo

    Raises
    ------
    DocumentInputError
        ``code="ID_NUMBER_UNPARSEABLE"`` when the characters are not 17 digits and a digit or
        ``X``, or the birth date is not a real calendar date.

    Examples
    --------
    >>> info = parse_cn_id("11010519491231002X")
    >>> info.region_code, info.region_name, info.birth_date.isoformat(), info.sequence, info.sex
    ('110105', '北京市朝阳区', '1949-12-31', '002', 'F')
    >>> parse_cn_id("110105194912310031").sex
    'M'
    """
    normalized = _normalize(number)
    if not _NUMBER.fullmatch(normalized):
        raise DocumentInputError(
            f"not an 18-character resident ID number: {number!r}", code=ID_NUMBER_UNPARSEABLE
        )
    birth = _birth_date(normalized)
    if birth is None:
        raise DocumentInputError(
            f"the birth date {normalized[6:14]} of {normalized!r} is not a calendar date",
            code=ID_NUMBER_UNPARSEABLE,
        )
    sequence = normalized[14:17]
    return CnIdInfo(
        number=normalized,
        region_code=normalized[:6],
        region_name=_region_name(normalized[:6], birth.year),
        birth_date=birth,
        sequence=sequence,
        sex="M" if int(sequence) % 2 == 1 else "F",
        check_char=normalized[17],
    )


def cn_region_periods(code: str) -> tuple[RegionPeriod, ...]:
    """The committed GB/T 2260 timeline of one region code, oldest name first.

    Parameters
    ----------
    code : str
        A 6-digit code.

    Returns
    -------
    tuple of RegionPeriod
        Empty when the code is not in the table.

    Examples
    --------
    >>> [(p.name, p.first_year, p.last_year) for p in cn_region_periods("110103")]
    [('崇文区', None, 2009)]
    >>> cn_region_periods("999999")
    ()
    """
    return _region_table().get(code, ())


def _normalize(number: str) -> str:
    if not isinstance(number, str):
        raise DocumentInputError(f"an ID number must be a string, got {type(number).__name__}")
    return number.strip().replace("x", "X")


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _region_valid(code: str, birth_year: int | None) -> bool:
    periods = cn_region_periods(code)
    if not periods:
        return False
    if birth_year is None:
        return True
    return any(p.last_year is None or birth_year <= p.last_year + _RETIREMENT_GRACE_YEARS for p in periods)


def _name_in(code: str, year: int) -> str | None:
    periods = cn_region_periods(code)
    if not periods:
        return None
    for period in periods:
        if period.covers(year):
            return period.name
    return periods[-1].name


def _region_name(code: str, year: int) -> str | None:
    name = _name_in(code, year)
    if name is None:
        return None
    parents = [code[:2] + "0000", code[:4] + "00"]
    prefix = ""
    for parent in dict.fromkeys(parents):
        if parent == code:
            continue
        parent_name = _name_in(parent, year)
        # "市辖区"/"县" are placeholder prefectures of the municipalities, not place names.
        if parent_name and parent_name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            prefix += parent_name
    return prefix + name


def _read_periods() -> Iterator[RegionPeriod]:
    table = resources.files("liveness.documents").joinpath("data", _REGION_TABLE)
    lines = table.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        code, first_year, last_year, name = line.split("\t")
        yield RegionPeriod(
            code=code,
            name=name,
            first_year=int(first_year) if first_year else None,
            last_year=int(last_year) if last_year else None,
        )


@lru_cache(maxsize=1)
def _region_table() -> dict[str, tuple[RegionPeriod, ...]]:
    table: dict[str, list[RegionPeriod]] = {}
    for period in _read_periods():
        table.setdefault(period.code, []).append(period)
    return {code: tuple(periods) for code, periods in table.items()}
