"""ICAO 9303 MRZ parsing: specimen MRZs, every check digit, format failures, dates, OCR repair."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

from liveness.documents import mrz
from liveness.documents.errors import MRZ_INPUT_INVALID, DocumentInputError
from liveness.documents.mrz import mrz_check_digit, mrz_lines_from_text, parse_mrz
from liveness.documents.reasons import DOCUMENT_EXPIRED, MRZ_CHECKSUM, MRZ_FORMAT

BEFORE_EXPIRY = date(2010, 1, 1)

# ICAO 9303 specimens (parts 4-7), "Anna Maria Eriksson" of Utopia. Every check digit was
# recomputed by hand from the 7-3-1 rule, and is re-checked by the tests below.
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
MRV_A = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
MRV_B = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")
# TD1 with a 12-character document number: "<" in the check position, the rest of the number
# and its check digit in the optional data (ICAO 9303-5 §4.2.2, note j).
TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
# MRZs printed on published specimens in PassportEye's test images (read off the images).
TWN_PASSPORT = ("P<TWNLIN<<MEI<HUA<<<<<<<<<<<<<<<<<<<<<<<<<<<", "0000000000TWN7601015F1404018A234567893<<<<18")
CHE_ID_CARD = ("IDCHES0002068<8<<<<<<<<<<<<<<<", "8102287F1301014CHE<<<<<<<<<<<4", "VADIS<<QUO<<<<<<<<<<<<<<<<<<<<")
USA_VISA = ("VIUSATRAVELER<<HAPPYPERSON<<<<<<<<<<<<<<<<<<", "555123ABC6GBR6502056F0412236IFLND00AMS803085")

# (line index, 0-based position) of every check digit, with the field it protects.
CHECK_DIGITS = {
    "TD3": (TD3, {(1, 9): "document_number", (1, 19): "birth_date", (1, 27): "expiry_date",
                  (1, 42): "optional_data", (1, 43): "composite"}),
    "TD1": (TD1, {(0, 14): "document_number", (1, 6): "birth_date", (1, 14): "expiry_date", (1, 29): "composite"}),
    "TD2": (TD2, {(1, 9): "document_number", (1, 19): "birth_date", (1, 27): "expiry_date", (1, 35): "composite"}),
    "MRV-A": (MRV_A, {(1, 9): "document_number", (1, 19): "birth_date", (1, 27): "expiry_date"}),
    "MRV-B": (MRV_B, {(1, 9): "document_number", (1, 19): "birth_date", (1, 27): "expiry_date"}),
}


def replace_char(lines: tuple[str, ...], line: int, position: int, char: str) -> list[str]:
    changed = list(lines)
    changed[line] = changed[line][:position] + char + changed[line][position + 1 :]
    return changed


def test_doctests_pass() -> None:
    result = doctest.testmod(mrz)
    assert result.attempted > 0 and result.failed == 0


def test_check_digit_rule() -> None:
    assert [mrz_check_digit(s) for s in ("L898902C3", "740812", "120415", "D23145890")] == ["6", "2", "9", "7"]
    assert mrz_check_digit("<<<<<<") == "0"
    assert mrz_check_digit("") == "0"
    # A = 10, Z = 35, "<" = 0 with weights 7, 3, 1.
    assert mrz_check_digit("AZ<") == str((10 * 7 + 35 * 3) % 10)


@pytest.mark.parametrize("text", ["l898902c3", "L898 902", "É", None, 5])
def test_check_digit_rejects_non_mrz_text(text: object) -> None:
    with pytest.raises(DocumentInputError) as caught:
        mrz_check_digit(text)  # type: ignore[arg-type]
    assert caught.value.code == MRZ_INPUT_INVALID


@pytest.mark.parametrize("lines", [TD3, TD1, TD2], ids=["TD3", "TD1", "TD2"])
def test_icao_specimens_parse_to_anna_maria_eriksson(lines: tuple[str, ...]) -> None:
    result = parse_mrz(lines, today=BEFORE_EXPIRY)
    assert result.valid and result.reasons == () and result.details == {}
    assert all(result.checks.values()) and "composite" in result.checks
    assert (result.issuing_state, result.nationality) == ("UTO", "UTO")
    assert (result.surname, result.given_names, result.sex) == ("ERIKSSON", "ANNA MARIA", "F")
    assert result.birth_date == date(1974, 8, 12)
    assert result.expiry_date == date(2012, 4, 15)


def test_td3_fields() -> None:
    result = parse_mrz("\n".join(TD3), today=BEFORE_EXPIRY)
    assert (result.layout, result.document_code, result.document_number) == ("TD3", "P", "L898902C3")
    assert result.optional_data == "ZE184226B"
    assert set(result.checks) == {"document_number", "birth_date", "expiry_date", "optional_data", "composite"}


def test_td1_and_td2_fields() -> None:
    td1 = parse_mrz(TD1, today=BEFORE_EXPIRY)
    td2 = parse_mrz(TD2, today=BEFORE_EXPIRY)
    assert (td1.layout, td1.document_code, td1.document_number) == ("TD1", "I", "D23145890")
    assert (td2.layout, td2.document_code, td2.document_number) == ("TD2", "I", "D23145890")
    assert td1.optional_data == td1.optional_data_2 == td2.optional_data == ""


@pytest.mark.parametrize(("lines", "layout"), [(MRV_A, "MRV-A"), (MRV_B, "MRV-B")])
def test_visas(lines: tuple[str, ...], layout: str) -> None:
    result = parse_mrz(lines, today=date(1995, 1, 1))
    assert result.valid
    assert (result.layout, result.document_code, result.nationality) == (layout, "V", "XXX")
    assert (result.document_number, result.birth_date, result.expiry_date) == (
        "L8988901C", date(1940, 9, 7), date(1996, 12, 10)
    )
    assert set(result.checks) == {"document_number", "birth_date", "expiry_date"}  # visas have no composite


def test_long_document_number_continues_in_the_optional_data() -> None:
    result = parse_mrz(TD1_LONG_NUMBER, today=date(1990, 1, 1))
    assert result.valid
    assert result.document_number == "D23145890734"
    assert result.optional_data == ""
    assert (result.surname, result.given_names, result.sex) == ("STEVENSON", "PETER JOHN", "M")
    # The check digit covers the whole number, so changing its tail is caught.
    edited = parse_mrz(replace_char(TD1_LONG_NUMBER, 0, 16, "5"), today=date(1990, 1, 1))
    assert edited.details["checksum_failed"] == ["document_number", "composite"]


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        (TWN_PASSPORT, ("TD3", "P", "TWN", "LIN", "MEI HUA", "000000000", date(1976, 1, 1), date(2014, 4, 1))),
        (CHE_ID_CARD, ("TD1", "ID", "CHE", "VADIS", "QUO", "S0002068", date(1981, 2, 28), date(2013, 1, 1))),
        (
            USA_VISA,
            ("MRV-A", "VI", "USA", "TRAVELER", "HAPPYPERSON", "555123ABC", date(1965, 2, 5), date(2004, 12, 23)),
        ),
    ],
    ids=["twn-td3", "che-td1", "usa-mrv-a"],
)
def test_published_specimens(lines: tuple[str, ...], fields: tuple[object, ...]) -> None:
    result = parse_mrz(lines, today=date(2004, 1, 1))
    assert result.valid, result.details
    assert (
        result.layout, result.document_code, result.issuing_state, result.surname, result.given_names,
        result.document_number, result.birth_date, result.expiry_date,
    ) == fields


@pytest.mark.parametrize(
    ("layout", "position", "field"),
    [(layout, position, field) for layout, (_, digits) in CHECK_DIGITS.items() for position, field in digits.items()],
)
def test_every_wrong_check_digit_is_named(layout: str, position: tuple[int, int], field: str) -> None:
    lines, _ = CHECK_DIGITS[layout]
    line, column = position
    wrong = str((int(lines[line][column]) + 1) % 10) if lines[line][column].isdigit() else "1"
    result = parse_mrz(replace_char(lines, line, column, wrong), today=date(1990, 1, 1))
    assert MRZ_CHECKSUM in result.reasons
    assert result.details["checksum_failed"][0] == field
    assert result.checks[field] is False
    # The composite also covers the field check digits (not the composite's own, obviously).
    has_composite = "composite" in CHECK_DIGITS[layout][1].values()
    expected = [field] if field == "composite" or not has_composite else [field, "composite"]
    assert result.details["checksum_failed"] == expected


@pytest.mark.parametrize(
    ("line", "column", "char", "failed"),
    [
        (1, 0, "K", ["document_number", "composite"]),  # document number edited
        (1, 14, "3", ["birth_date", "composite"]),  # birth 740812 -> 730812
        (1, 22, "3", ["expiry_date", "composite"]),  # expiry 120415 -> 130415
        (1, 30, "X", ["optional_data", "composite"]),  # personal number edited
    ],
)
def test_edited_td3_fields_break_their_check_digits(line: int, column: int, char: str, failed: list[str]) -> None:
    result = parse_mrz(replace_char(TD3, line, column, char), today=BEFORE_EXPIRY)
    assert result.reasons[0] == MRZ_CHECKSUM
    assert result.details["checksum_failed"] == failed


def test_names_and_nationality_are_outside_every_check_digit() -> None:
    # What the MRZ checks cannot see: name and nationality edits need the OCR cross-check.
    edited = (TD3[0].replace("ANNA", "ANNE"), TD3[1].replace("UTO", "GBR"))
    result = parse_mrz(edited, today=BEFORE_EXPIRY)
    assert result.valid and result.given_names == "ANNE MARIA" and result.nationality == "GBR"


def test_blank_personal_number_may_have_a_filler_or_zero_check_digit() -> None:
    for check in "<0":
        line2 = "L898902C36UTO7408122F1204159" + "<" * 14 + check
        line2 += mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])
        result = parse_mrz([TD3[0], line2], today=BEFORE_EXPIRY)
        assert result.valid, result.details
        assert result.optional_data == ""


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["", "  "],
        [TD3[0]],  # one line
        [TD3[0], TD3[1][:-1]],  # 44 + 43
        [TD3[0][:40], TD3[1][:40]],  # 2x40 is no layout
        [*TD1[:2]],  # two 30-character lines
        [TD2[0], TD2[1], TD2[1]],  # 3x36
    ],
)
def test_unknown_layouts_give_the_format_reason(lines: list[str]) -> None:
    result = parse_mrz(lines, today=BEFORE_EXPIRY)
    assert result.layout is None
    assert result.reasons == (MRZ_FORMAT,)
    assert "expected 3x30, 2x36 or 2x44" in result.details["format"][0]


def test_characters_outside_the_mrz_set_give_the_format_reason() -> None:
    result = parse_mrz(replace_char(TD3, 0, 10, "Ö"), today=BEFORE_EXPIRY)
    assert (result.layout, result.reasons) == ("TD3", (MRZ_FORMAT,))
    assert "line 1 position 11" in result.details["format"][0]


def test_spaces_blank_lines_and_lowercase_are_tolerated() -> None:
    spaced = "\n  " + TD3[0][:20].lower() + " " + TD3[0][20:] + "\n\n" + " ".join(TD3[1]) + "\n"
    assert parse_mrz(spaced, today=BEFORE_EXPIRY).valid


@pytest.mark.parametrize(
    ("line", "column", "char", "message"),
    [
        (1, 15, "3", "birth date '743812' is not a calendar date"),  # month 38
        (1, 20, "Q", "sex 'Q' is not M, F, X or <"),
        (0, 7, "1", "names"),
        (0, 3, "7", "issuing state"),
        (0, 0, "<", "document code"),
        (1, 13, "A", "birth date 'A40812' is not six digits"),
    ],
)
def test_malformed_fields_give_the_format_reason(line: int, column: int, char: str, message: str) -> None:
    result = parse_mrz(replace_char(TD3, line, column, char), today=BEFORE_EXPIRY)
    assert MRZ_FORMAT in result.reasons
    assert any(message in text for text in result.details["format"]), result.details


def test_a_letter_in_a_check_digit_is_a_format_and_a_checksum_failure() -> None:
    result = parse_mrz(replace_char(TD3, 1, 9, "G"), today=BEFORE_EXPIRY)
    assert result.reasons[:2] == (MRZ_FORMAT, MRZ_CHECKSUM)
    assert "document number check digit 'G' is not a digit" in result.details["format"]


def test_expiry_is_checked_against_today() -> None:
    assert parse_mrz(TD3, today=date(2012, 4, 15)).reasons == ()
    expired = parse_mrz(TD3, today=date(2012, 4, 16))
    assert expired.reasons == (DOCUMENT_EXPIRED,)
    assert not expired.valid
    assert DOCUMENT_EXPIRED in parse_mrz(TD3).reasons  # default today is after 2012


def test_reasons_accumulate_in_order() -> None:
    lines = replace_char(replace_char(TD3, 1, 20, "Q"), 1, 9, "0")
    assert parse_mrz(lines, today=date(2020, 1, 1)).reasons == (MRZ_FORMAT, MRZ_CHECKSUM, DOCUMENT_EXPIRED)


def with_dates(birth: str, expiry: str) -> list[str]:
    line2 = "L898902C36UTO" + birth + mrz_check_digit(birth) + "F" + expiry + mrz_check_digit(expiry)
    line2 += "ZE184226B<<<<<1"
    line2 += mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    return [TD3[0], line2]


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        ("150101", date(2014, 12, 31), date(1915, 1, 1)),  # 2015 would be in the future
        ("150101", date(2015, 1, 1), date(2015, 1, 1)),
        ("991231", date(2024, 1, 1), date(1999, 12, 31)),
        ("000229", date(2024, 1, 1), date(2000, 2, 29)),  # 1900-02-29 does not exist
    ],
)
def test_birth_year_is_the_latest_century_not_in_the_future(birth: str, today: date, expected: date) -> None:
    assert parse_mrz(with_dates(birth, "300101"), today=today).birth_date == expected


@pytest.mark.parametrize(
    ("expiry", "today", "expected"),
    [
        ("451231", date(2024, 1, 1), date(2045, 12, 31)),
        ("991231", date(2024, 1, 1), date(1999, 12, 31)),
        ("050101", date(2095, 1, 1), date(2105, 1, 1)),
    ],
)
def test_expiry_year_is_the_century_nearest_today(expiry: str, today: date, expected: date) -> None:
    assert parse_mrz(with_dates("740812", expiry), today=today).expiry_date == expected


def test_future_birth_date_is_a_format_failure_only_when_no_century_fits() -> None:
    result = parse_mrz(with_dates("000229", "300101"), today=date(1999, 1, 1))
    assert result.birth_date is None
    assert "birth date '000229' lies in the future" in result.details["format"]


def test_blank_dates_are_allowed_and_never_expire() -> None:
    result = parse_mrz(with_dates("<<<<<<", "<<<<<<"), today=date(2090, 1, 1))
    assert result.valid, result.details
    assert result.birth_date is None and result.expiry_date is None


def test_ocr_confusions_are_format_failures_unless_repaired() -> None:
    ocr = (TD3[0].replace("UTO", "UT0"), TD3[1].replace("UTO", "UT0").replace("7408122", "74O8122"))
    strict = parse_mrz(ocr, today=BEFORE_EXPIRY)
    assert MRZ_FORMAT in strict.reasons
    repaired = parse_mrz(ocr, today=BEFORE_EXPIRY, repair=True)
    assert repaired.valid, repaired.details
    assert repaired.issuing_state == repaired.nationality == "UTO"
    assert repaired.details["repaired"] == [
        "line 1 position 5: 0 -> O",
        "line 2 position 13: 0 -> O",
        "line 2 position 16: O -> 0",
    ]
    assert repaired.lines == TD3


def test_repair_never_touches_document_numbers_or_optional_data() -> None:
    # "O" and "0" are both legal in a document number, so a confusion there stays a checksum failure.
    ocr = (TD3[0], TD3[1].replace("L898902C3", "L8989O2C3"))
    result = parse_mrz(ocr, today=BEFORE_EXPIRY, repair=True)
    assert result.document_number == "L8989O2C3"
    assert result.details["checksum_failed"] == ["document_number", "composite"]
    assert "repaired" not in result.details


@pytest.mark.parametrize("value", [None, 42, b"P<UTO", [TD3[0], None], "<" * 401])
def test_unusable_input_raises(value: object) -> None:
    with pytest.raises(DocumentInputError) as caught:
        parse_mrz(value)  # type: ignore[arg-type]
    assert caught.value.code == MRZ_INPUT_INVALID


def test_mrz_lines_are_picked_out_of_page_text() -> None:
    page = ["Schweiz Suisse", "CHE", "AB<<CD<<EF<<GH<<IJ<<KL<<MN<<OP<<Q", *CHE_ID_CARD, "signature"]
    assert mrz_lines_from_text(page) == list(CHE_ID_CARD)
    spaced = ["UTOPIA", TD2[0][:18] + " " + TD2[0][18:], TD2[1], "Anna Maria Eriksson"]
    assert mrz_lines_from_text(spaced) == list(TD2)
    assert mrz_lines_from_text(["PASSPORT", "UTOPIA"]) == []
    with pytest.raises(DocumentInputError):
        mrz_lines_from_text("P<UTO")
