"""Rule checks on a document's read text: MRZ check digits and expiry, Chinese resident ID
numbers, and the printed fields cross-checked against the MRZ.

Input is text lines (top to bottom) from OCR or from a caller that already read the card;
the checks themselves live in :mod:`mrz`, :mod:`cn_id` and :mod:`expiry`. A forger who
retypes the visible name or number rarely recomputes the MRZ check digits and the printed
copy in the same way, so disagreements between the two are reasons of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from liveness.documents import reasons as R
from liveness.documents.cn_id import parse_cn_id, validate_cn_id
from liveness.documents.errors import DocumentInputError
from liveness.documents.mrz import mrz_lines_from_text, parse_mrz

__all__ = ["RuleReport", "check_text_lines"]

# 17 digits and a check character, not glued to more digits (card serials, phone numbers).
_CN_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
_WORD = re.compile(r"[A-Z]{2,}")


@dataclass
class RuleReport:
    """What the rule checks found: reason codes, and the fields they read (for the caller)."""

    reasons: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    def add(self, codes: Sequence[str]) -> None:
        self.reasons.extend(code for code in codes if code not in self.reasons)


def check_text_lines(lines: Sequence[str], *, today: date | None = None) -> RuleReport:
    """Run every rule that the text gives material for; lines without an MRZ or an ID number
    give no reasons (nothing to check is not a failure)."""
    report = RuleReport()
    mrz_lines = mrz_lines_from_text(list(lines))
    printed = [line for line in lines if "".join(line.split()).upper() not in mrz_lines]
    mrz = None
    if len(mrz_lines) >= 2:
        mrz = parse_mrz(mrz_lines, today=today, repair=True)
        report.add(mrz.reasons)
        report.fields["mrz"] = {
            "layout": mrz.layout,
            "document_number": mrz.document_number,
            "surname": mrz.surname,
            "given_names": mrz.given_names,
            "birth_date": mrz.birth_date.isoformat() if mrz.birth_date else None,
            "expiry_date": mrz.expiry_date.isoformat() if mrz.expiry_date else None,
            "checks": dict(mrz.checks),
        }
    # OCR may split the number into groups, or glue it to a neighbouring token: try both.
    variants = [text for line in printed for text in (line, line.replace(" ", ""))]
    id_numbers = sorted({m.group(0).upper() for text in variants for m in _CN_ID.finditer(text)})
    for number in id_numbers:
        report.add(validate_cn_id(number, today=today))
    if id_numbers:
        report.fields["id_numbers"] = id_numbers
    if mrz is not None and mrz.layout is not None and printed:
        mismatches = _cross_check(mrz, printed, id_numbers)
        if mismatches:
            report.fields["mismatched_fields"] = mismatches
            report.add([R.ID_FIELDS_MISMATCH])
    return report


def _cross_check(mrz: Any, printed: Sequence[str], id_numbers: Sequence[str]) -> list[str]:
    """Fields that the MRZ states and the printed page contradicts.

    A side may carry the MRZ without the printed fields (the back of a TD1 card), so a field
    counts as contradicted only when the page repeats at least one other MRZ field: then it
    is the data page, and a missing number or name there means it was retyped.
    """
    text = " ".join(printed).upper()
    compact = re.sub(r"[^A-Z0-9]", "", text)
    words = set(_WORD.findall(text))
    found: dict[str, bool] = {}
    number = mrz.document_number.replace("<", "")
    if len(number) >= 5:
        found["document_number"] = number in compact
    surname_parts = [p for p in mrz.surname.replace("<", " ").split() if len(p) >= 3]
    if surname_parts:
        found["surname"] = any(p in words or p in compact for p in surname_parts)
    mismatches = [name for name, ok in found.items() if not ok] if any(found.values()) else []
    if mrz.birth_date is not None:
        for id_number in id_numbers:
            try:
                if parse_cn_id(id_number).birth_date != mrz.birth_date:
                    mismatches.append("birth_date")
                    break
            except DocumentInputError:  # an unparseable number already gave its own reason
                continue
    return mismatches
