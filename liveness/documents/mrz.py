"""ICAO 9303 machine-readable zones: TD1 (3x30), TD2 (2x36), TD3 (2x44) and MRV-A/MRV-B visas.

:func:`parse_mrz` reads the fields, recomputes every check digit the layout defines and returns
the rule failures as reason codes: ``MRZ_FORMAT`` (the text does not follow the layout),
``MRZ_CHECKSUM`` (a check digit is wrong; ``details["checksum_failed"]`` names the fields) and
``DOCUMENT_EXPIRED``. A forged data page usually keeps a plausible MRZ but gets a check digit
or the composite wrong once a field is edited, which is what this catches.

Check digit (ICAO 9303-3 §4.9): digits count as 0-9, ``A``-``Z`` as 10-35 and ``<`` as 0;
weights 7, 3, 1 repeat; the digit is the weighted sum mod 10.

Two-digit years: a birth date is put in the latest century that is not in the future; an
expiry date in the century that brings it nearest to the check date (a +/- 50-year window).

Field positions (1-based, as in ICAO 9303 parts 4-7)::

    TD3 / MRV-A  line 1: 1-2 code, 3-5 state, 6-44 names
                 line 2: 1-9 number, 10 cd, 11-13 nationality, 14-19 birth, 20 cd, 21 sex,
                         22-27 expiry, 28 cd, 29-42 personal number, 43 cd, 44 composite
                         (MRV-A: 29-44 optional data, no check digits after 28)
    TD2 / MRV-B  line 1: 1-2 code, 3-5 state, 6-36 names
                 line 2: as TD3 up to 28, then 29-35 optional data, 36 composite
                         (MRV-B: 29-36 optional data)
    TD1          line 1: 1-2 code, 3-5 state, 6-14 number, 15 cd, 16-30 optional data
                 line 2: 1-6 birth, 7 cd, 8 sex, 9-14 expiry, 15 cd, 16-18 nationality,
                         19-29 optional data, 30 composite
                 line 3: 1-30 names

A document number longer than 9 characters (TD1, TD2) puts ``<`` in the check-digit position
and continues in the optional data, followed by its check digit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from liveness.documents.errors import MRZ_INPUT_INVALID, DocumentInputError
from liveness.documents.expiry import century_candidates, check_expiry
from liveness.documents.reasons import MRZ_CHECKSUM, MRZ_FORMAT

__all__ = ["MRZ_LAYOUTS", "MrzLayout", "MrzResult", "mrz_check_digit", "mrz_lines_from_text", "parse_mrz"]

MrzLayout = Literal["TD1", "TD2", "TD3", "MRV-A", "MRV-B"]
MRZ_LAYOUTS: dict[tuple[int, int], MrzLayout] = {(3, 30): "TD1", (2, 36): "TD2", (2, 44): "TD3"}

_ALPHABET = re.compile(r"[A-Z0-9<]*")
_VALUES = {char: value for value, char in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}
_WEIGHTS = (7, 3, 1)
_MAX_INPUT_CHARS = 400  # three 30-char lines plus generous OCR noise; more is not an MRZ
# OCR confusions fixed only where the layout allows a single class of characters.
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"})
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"})
_SEX = {"M": "M", "F": "F", "<": "X", "X": "X"}


@dataclass(frozen=True)
class MrzResult:
    """A parsed machine-readable zone and its rule failures.

    ``layout`` is None when the text matches no ICAO layout; the fields are then empty.
    ``sex`` is ``"M"``, ``"F"`` or ``"X"`` (unspecified). Dates are None when the field is
    blank (``<``-filled, allowed for an unknown birth date or a non-expiring document) or
    unreadable (which also gives ``MRZ_FORMAT``). ``optional_data`` is the personal number of
    a TD3 and line 1's optional data of a TD1; ``optional_data_2`` is line 2's of a TD1.
    ``checks`` maps each check-digit field the layout defines (``document_number``,
    ``birth_date``, ``expiry_date``, ``optional_data``, ``composite``) to whether it matched.
    ``details`` lists what went wrong: ``"format"`` (messages), ``"checksum_failed"`` (field
    names) and ``"repaired"`` (OCR confusions fixed when ``repair=True``).
    """

    layout: MrzLayout | None
    lines: tuple[str, ...]
    document_code: str = ""
    issuing_state: str = ""
    surname: str = ""
    given_names: str = ""
    document_number: str = ""
    nationality: str = ""
    birth_date: date | None = None
    sex: str = ""
    expiry_date: date | None = None
    optional_data: str = ""
    optional_data_2: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    details: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when no rule failed (format, check digits, expiry)."""
        return not self.reasons


def mrz_check_digit(text: str) -> str:
    """The ICAO 9303 check digit of an MRZ field.

    Parameters
    ----------
    text : str
        Characters from ``0-9``, ``A-Z`` and ``<``.

    Returns
    -------
    str
        One digit.

    Raises
    ------
    DocumentInputError
        ``code="MRZ_INPUT_INVALID"`` for a non-string or a character outside the MRZ set.

    Examples
    --------
    >>> mrz_check_digit("L898902C3"), mrz_check_digit("740812"), mrz_check_digit("120415")
    ('6', '2', '9')
    """
    if not isinstance(text, str) or not _ALPHABET.fullmatch(text):
        raise DocumentInputError(f"not MRZ characters: {text!r}", code=MRZ_INPUT_INVALID)
    return str(sum(_VALUES[char] * _WEIGHTS[i % 3] for i, char in enumerate(text)) % 10)


def parse_mrz(lines: str | Sequence[str], *, today: date | None = None, repair: bool = False) -> MrzResult:
    """Parse an ICAO 9303 MRZ and check its layout, check digits and expiry.

    Parameters
    ----------
    lines : str or sequence of str
        The MRZ lines, or one string with one line per text line. Spaces and blank lines are
        dropped (OCR inserts them) and letters are upper-cased.
    today : date, optional
        Check date for the expiry and for placing two-digit years; default :meth:`date.today`.
    repair : bool, default False
        Fix OCR confusions where the layout allows only one class of character: ``O``→``0``,
        ``I``→``1``, ... in dates and check digits; ``0``→``O``, ``1``→``I``, ... in states
        and names. Numbers and optional data are never changed. Off by default so that a
        typed-in MRZ is checked as written; turn it on for OCR output. Every fix is listed in
        ``details["repaired"]``.

    Returns
    -------
    MrzResult
        ``reasons`` holds ``MRZ_FORMAT``, ``MRZ_CHECKSUM`` and ``DOCUMENT_EXPIRED`` as they
        apply, in that order.

    Raises
    ------
    DocumentInputError
        ``code="MRZ_INPUT_INVALID"`` when ``lines`` is not a string or a sequence of strings,
        or is longer than any MRZ with noise could be.

    Examples
    --------
    >>> result = parse_mrz([
    ...     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    ...     "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ... ], today=date(2010, 1, 1))
    >>> result.layout, result.surname, result.given_names, result.document_number
    ('TD3', 'ERIKSSON', 'ANNA MARIA', 'L898902C3')
    >>> result.birth_date, result.expiry_date, result.valid
    (datetime.date(1974, 8, 12), datetime.date(2012, 4, 15), True)
    >>> parse_mrz(result.lines, today=date(2013, 1, 1)).reasons
    ('DOCUMENT_EXPIRED',)
    >>> forged = parse_mrz([result.lines[0], "L898902C36UTO7408122F1204169ZE184226B<<<<<10"],
    ...                    today=date(2010, 1, 1))
    >>> forged.reasons, forged.details["checksum_failed"]
    (('MRZ_CHECKSUM',), ['expiry_date', 'composite'])
    """
    check_date = today if today is not None else date.today()
    text_lines = _split_lines(lines)
    layout = _layout(text_lines)
    if layout is None:
        shape = ", ".join(str(len(line)) for line in text_lines) or "none"
        return MrzResult(
            layout=None,
            lines=tuple(text_lines),
            reasons=(MRZ_FORMAT,),
            details={"format": [f"{len(text_lines)} line(s) of {shape} characters; expected 3x30, 2x36 or 2x44"]},
        )
    bad = [
        f"line {n} position {i + 1}: {char!r}"
        for n, line in enumerate(text_lines, start=1)
        for i, char in enumerate(line)
        if not _ALPHABET.fullmatch(char)
    ]
    if bad:
        return MrzResult(
            layout=layout,
            lines=tuple(text_lines),
            reasons=(MRZ_FORMAT,),
            details={"format": [f"characters outside A-Z, 0-9 and '<' at {', '.join(bad[:5])}"]},
        )
    return _Parser(text_lines, layout, check_date, repair).run()


def mrz_lines_from_text(texts: Sequence[str]) -> list[str]:
    """Pick the MRZ lines out of a page's OCR text lines.

    A candidate is a text line that, without spaces and upper-cased, uses only MRZ characters,
    is 28-46 characters long and holds a ``<`` (or is at least 30 characters). The bottom-most
    run of three 30-character or two 36- or 44-character candidates is returned; when there
    is none, all candidates are (so :func:`parse_mrz` reports ``MRZ_FORMAT``).

    Parameters
    ----------
    texts : sequence of str
        Text lines in reading order (top to bottom), e.g. ``[line.text for line in read_text(img)]``.

    Returns
    -------
    list of str
        Possibly empty.

    Examples
    --------
    >>> mrz_lines_from_text([
    ...     "Passport No. L898902C3",
    ...     "P<UT0ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    ...     "L898902C36UT07408122F1204159ZE184226B<<<<<10",
    ... ])
    ['P<UT0ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UT07408122F1204159ZE184226B<<<<<10']
    """
    if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
        raise DocumentInputError("OCR text lines must be a sequence of strings", code=MRZ_INPUT_INVALID)
    candidates = []
    for text in texts:
        line = "".join(text.split()).upper()
        if 28 <= len(line) <= 46 and _ALPHABET.fullmatch(line) and ("<" in line or len(line) >= 30):
            candidates.append(line)
    for end in range(len(candidates), 1, -1):
        if end >= 3 and all(len(line) == 30 for line in candidates[end - 3 : end]):
            return candidates[end - 3 : end]
        pair = candidates[end - 2 : end]
        if len(pair[0]) == len(pair[1]) and len(pair[0]) in (36, 44):
            return pair
    return candidates


def _split_lines(lines: str | Sequence[str]) -> list[str]:
    if isinstance(lines, str):
        raw = lines.splitlines()
    elif isinstance(lines, Sequence) and all(isinstance(line, str) for line in lines):
        raw = list(lines)
    else:
        raise DocumentInputError(
            f"MRZ lines must be a string or a sequence of strings, got {type(lines).__name__}",
            code=MRZ_INPUT_INVALID,
        )
    if sum(len(line) for line in raw) > _MAX_INPUT_CHARS:
        raise DocumentInputError(
            f"{sum(len(line) for line in raw)} characters is too long for an MRZ", code=MRZ_INPUT_INVALID
        )
    cleaned = ["".join(line.split()).upper() for line in raw]
    return [line for line in cleaned if line]


def _layout(lines: list[str]) -> MrzLayout | None:
    if not lines or len({len(line) for line in lines}) != 1:
        return None
    base = MRZ_LAYOUTS.get((len(lines), len(lines[0])))
    if base is None:
        return None
    # Visas share the passport and TD2 line lengths; ICAO 9303-7 reserves code "V" for them.
    if lines[0].startswith("V") and base in ("TD2", "TD3"):
        return "MRV-B" if base == "TD2" else "MRV-A"
    return base


# Character class of each position: "A" letters or "<", "N" digits or "<", "X" anything.
# Only used to undo OCR confusions (repair=True); the rules themselves are checked field by field.
_MASKS: dict[str, tuple[str, ...]] = {
    "TD1": ("AAAAA" + "X" * 9 + "N" + "X" * 15, "N" * 7 + "X" + "N" * 7 + "AAA" + "X" * 11 + "N", "A" * 30),
    "TD2": ("A" * 36, "X" * 9 + "N" + "AAA" + "N" * 7 + "X" + "N" * 7 + "X" * 7 + "N"),
    "TD3": ("A" * 44, "X" * 9 + "N" + "AAA" + "N" * 7 + "X" + "N" * 7 + "X" * 14 + "NN"),
    "MRV-A": ("A" * 44, "X" * 9 + "N" + "AAA" + "N" * 7 + "X" + "N" * 7 + "X" * 16),
    "MRV-B": ("A" * 36, "X" * 9 + "N" + "AAA" + "N" * 7 + "X" + "N" * 7 + "X" * 8),
}


def _repair(lines: list[str], layout: MrzLayout) -> tuple[list[str], list[str]]:
    fixed_lines: list[str] = []
    repairs: list[str] = []
    for number, (line, mask) in enumerate(zip(lines, _MASKS[layout], strict=True), start=1):
        chars = list(line)
        for i, (char, kind) in enumerate(zip(line, mask, strict=True)):
            if kind == "N" and char.isalpha():
                chars[i] = char.translate(_TO_DIGIT)
            elif kind == "A" and char.isdigit():
                chars[i] = char.translate(_TO_LETTER)
            if chars[i] != char:
                repairs.append(f"line {number} position {i + 1}: {char} -> {chars[i]}")
        fixed_lines.append("".join(chars))
    return fixed_lines, repairs


class _Parser:
    """Field extraction and checks for one recognised layout (one instance per call)."""

    def __init__(self, lines: list[str], layout: MrzLayout, today: date, repair: bool) -> None:
        self.repaired: list[str] = []
        if repair:
            lines, self.repaired = _repair(lines, layout)
        self.lines = lines
        self.layout = layout
        self.today = today
        self.format: list[str] = []
        self.checks: dict[str, bool] = {}

    def run(self) -> MrzResult:
        first, second = self.lines[0], self.lines[1]
        document_code = self._alpha(first[0:2], "document code").replace("<", "")
        if not first[0].isalpha():
            self.format.append(f"document code {first[0:2]!r} does not start with a letter")
        issuing_state = self._alpha(first[2:5], "issuing state")
        optional_2 = ""
        optional_check: str | None = None
        composite: tuple[str, str] | None = None
        if self.layout == "TD1":
            number, number_check, optional = _document_number(first[5:14], first[14], first[15:30])
            birth_text, birth_check = second[0:6], second[6]
            sex_char, expiry_text, expiry_check = second[7], second[8:14], second[14]
            nationality = self._alpha(second[15:18], "nationality")
            optional_2 = second[18:29]
            names = self.lines[2]
            composite = (first[5:30] + second[0:7] + second[8:15] + second[18:29], second[29])
        else:
            names = first[5:]
            number, number_check, optional = second[0:9], second[9], second[28:]
            nationality = self._alpha(second[10:13], "nationality")
            birth_text, birth_check = second[13:19], second[19]
            sex_char, expiry_text, expiry_check = second[20], second[21:27], second[27]
            if self.layout == "TD3":
                optional, optional_check = second[28:42], second[42]
                composite = (second[0:10] + second[13:20] + second[21:43], second[43])
            elif self.layout == "TD2":
                number, number_check, optional = _document_number(number, number_check, second[28:35])
                composite = (second[0:10] + second[13:20] + second[21:35], second[35])

        self._check("document_number", number, number_check)
        self._check("birth_date", birth_text, birth_check)
        self._check("expiry_date", expiry_text, expiry_check)
        if optional_check is not None:
            # ICAO 9303-4: an unused personal number may carry "<" or "0" as its check digit.
            if set(optional) == {"<"} and optional_check in ("<", "0"):
                self.checks["optional_data"] = True
            else:
                self._check("optional_data", optional, optional_check)
        if composite is not None:
            self._check("composite", *composite)

        surname, given_names = self._names(names)
        sex = _SEX.get(sex_char)
        if sex is None:
            self.format.append(f"sex {sex_char!r} is not M, F, X or <")
        birth_date = self._date(birth_text, "birth date", birth=True)
        expiry_date = self._date(expiry_text, "expiry date", birth=False)

        reasons: list[str] = []
        details: dict[str, list[str]] = {}
        if self.format:
            reasons.append(MRZ_FORMAT)
            details["format"] = self.format
        failed = [name for name, ok in self.checks.items() if not ok]
        if failed:
            reasons.append(MRZ_CHECKSUM)
            details["checksum_failed"] = failed
        if self.repaired:
            details["repaired"] = self.repaired
        reasons += check_expiry(expiry_date, today=self.today)
        return MrzResult(
            layout=self.layout,
            lines=tuple(self.lines),
            document_code=document_code,
            issuing_state=issuing_state.replace("<", " ").strip(),
            surname=surname,
            given_names=given_names,
            document_number=number.rstrip("<"),
            nationality=nationality.replace("<", " ").strip(),
            birth_date=birth_date,
            sex=sex or "",
            expiry_date=expiry_date,
            optional_data=optional.rstrip("<"),
            optional_data_2=optional_2.rstrip("<"),
            checks=dict(self.checks),
            reasons=tuple(reasons),
            details=details,
        )

    def _check(self, name: str, text: str, check: str) -> None:
        if not check.isdigit():
            self.format.append(f"{name.replace('_', ' ')} check digit {check!r} is not a digit")
        self.checks[name] = check.isdigit() and mrz_check_digit(text) == check

    def _alpha(self, text: str, what: str) -> str:
        if any(char.isdigit() for char in text):
            self.format.append(f"{what} {text!r} contains digits")
        return text

    def _names(self, field_text: str) -> tuple[str, str]:
        field_text = self._alpha(field_text, "names")
        surname, _, given = field_text.partition("<<")
        return " ".join(surname.split("<")).strip(), " ".join(part for part in given.split("<") if part)

    def _date(self, text: str, what: str, *, birth: bool) -> date | None:
        if set(text) == {"<"}:
            return None
        if not text.isdigit():
            self.format.append(f"{what} {text!r} is not six digits")
            return None
        year2, month, day = int(text[0:2]), int(text[2:4]), int(text[4:6])
        candidates = century_candidates(year2, month, day)
        if not candidates:
            self.format.append(f"{what} {text!r} is not a calendar date")
            return None
        if birth:
            past = [candidate for candidate in candidates if candidate <= self.today]
            if not past:
                self.format.append(f"{what} {text!r} lies in the future")
                return None
            return max(past)
        return min(candidates, key=lambda candidate: abs((candidate - self.today).days))


def _document_number(number: str, check: str, optional: str) -> tuple[str, str, str]:
    if check != "<" or not optional or optional[0] == "<":
        return number, check, optional
    # A number longer than 9 characters: the rest runs up to the first filler in the optional
    # data, its last character is the check digit, and the optional data proper follows.
    run = optional.split("<", 1)[0]
    return number + run[:-1], run[-1], optional[len(run) :]
