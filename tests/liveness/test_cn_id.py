"""Chinese resident ID number (GB 11643-1999): check character, format, birth date, region table."""

from __future__ import annotations

import csv
import doctest
import random
from datetime import date
from pathlib import Path

import pytest

from liveness.documents import cn_id
from liveness.documents.cn_id import cn_id_check_char, cn_region_periods, parse_cn_id, validate_cn_id
from liveness.documents.errors import ID_NUMBER_UNPARSEABLE, DocumentInputError
from liveness.documents.reasons import (
    ID_NUMBER_BIRTHDATE,
    ID_NUMBER_CHECKSUM,
    ID_NUMBER_FORMAT,
    ID_NUMBER_REGION,
)
from liveness.errors import DocumentError

WORKED_EXAMPLE = "11010519491231002X"  # GB 11643-1999's own example
SHARED_CN_ID = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "docs" / "data" / "cn_id"
TODAY = date(2025, 6, 1)


def make_id(region: str, birth: str, sequence: str = "001") -> str:
    body = region + birth + sequence
    return body + cn_id_check_char(body)


def reference_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 from its definition: weights 2**(17-i) mod 11, check = (12 - S) mod 11."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def test_doctests_pass() -> None:
    result = doctest.testmod(cn_id)
    assert result.attempted > 0 and result.failed == 0


def test_worked_example_is_valid() -> None:
    assert cn_id_check_char(WORKED_EXAMPLE[:17]) == "X"
    assert validate_cn_id(WORKED_EXAMPLE, today=TODAY) == []
    assert validate_cn_id(WORKED_EXAMPLE.lower(), today=TODAY) == []
    assert validate_cn_id(f"  {WORKED_EXAMPLE}\n", today=TODAY) == []


@pytest.mark.parametrize("position", range(18))
def test_changing_any_one_character_invalidates_the_worked_example(position: int) -> None:
    for replacement in "0123456789X":
        if replacement == WORKED_EXAMPLE[position]:
            continue
        changed = WORKED_EXAMPLE[:position] + replacement + WORKED_EXAMPLE[position + 1 :]
        reasons = validate_cn_id(changed, today=TODAY)
        assert reasons, changed
        if position < 17 and replacement == "X":
            assert reasons == [ID_NUMBER_FORMAT]
        else:
            # MOD 11-2 detects every single substitution: the checksum always fails.
            assert ID_NUMBER_CHECKSUM in reasons, changed


def test_check_char_matches_the_iso_7064_definition() -> None:
    rng = random.Random(11643)
    for _ in range(500):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert cn_id_check_char(first17) == reference_check_char(first17)


def test_every_check_char_value_occurs() -> None:
    seen = {cn_id_check_char(f"1101051990010100{d}") for d in "0123456789"}
    seen |= {cn_id_check_char(f"110105199001010{d}0") for d in "0123456789"}
    assert seen == set("0123456789X")


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19
        "110105491231002",  # the pre-1999 15-digit form
        "1101051949123100X2",  # X not last
        "11010519491231002Y",
        "110105 19491231 002X",  # inner spaces
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "A1010519491231002X",
    ],
)
def test_malformed_numbers_give_only_the_format_reason(number: str) -> None:
    assert validate_cn_id(number, today=TODAY) == [ID_NUMBER_FORMAT]


@pytest.mark.parametrize(
    ("birth", "reason_expected"),
    [
        ("19900230", True),  # 30 February
        ("19901301", True),  # month 13
        ("19900100", True),  # day 0
        ("18991231", True),  # before 1900
        ("19000101", False),
        ("20000229", False),  # leap day of a leap century
        ("19000229", True),  # 1900 was not a leap year
        ("20250601", False),  # born on the check date
        ("20250602", True),  # born tomorrow
    ],
)
def test_birth_date_rule(birth: str, reason_expected: bool) -> None:
    reasons = validate_cn_id(make_id("110105", birth), today=TODAY)
    assert (ID_NUMBER_BIRTHDATE in reasons) is reason_expected
    assert ID_NUMBER_CHECKSUM not in reasons


def test_future_birth_depends_on_today() -> None:
    number = make_id("110105", "20300101")
    assert validate_cn_id(number, today=date(2029, 12, 31)) == [ID_NUMBER_BIRTHDATE]
    assert validate_cn_id(number, today=date(2030, 1, 1)) == []


def test_unknown_region_codes_are_rejected() -> None:
    for region in ("999999", "000000", "110199", "990101"):
        assert validate_cn_id(make_id(region, "19900101"), today=TODAY) == [ID_NUMBER_REGION]


def test_retired_region_code_is_valid_only_for_people_born_before_it_ended() -> None:
    # 110103 崇文区 was merged into 东城区; the table gives 2009 as its last year.
    assert cn_region_periods("110103")[-1].last_year == 2009
    assert validate_cn_id(make_id("110103", "19900101"), today=TODAY) == []
    assert validate_cn_id(make_id("110103", "20100101"), today=TODAY) == []  # one year's grace
    assert validate_cn_id(make_id("110103", "20150101"), today=TODAY) == [ID_NUMBER_REGION]


def test_region_created_after_the_birth_year_is_accepted() -> None:
    # 110118 密云区 dates from 2015; people born earlier got it when re-registered there.
    assert cn_region_periods("110118")[0].first_year == 2015
    assert validate_cn_id(make_id("110118", "19600101"), today=TODAY) == []


def test_residence_permit_codes_are_accepted() -> None:
    for region in ("810000", "820000", "830000"):
        assert validate_cn_id(make_id(region, "19900101"), today=TODAY) == []


def test_several_failures_are_all_reported_in_order() -> None:
    number = "999999" + "19900230" + "001" + "0"
    reasons = validate_cn_id(number, today=TODAY)
    expected_checksum = cn_id_check_char(number[:17]) != "0"
    assert reasons == ([ID_NUMBER_CHECKSUM] if expected_checksum else []) + [ID_NUMBER_BIRTHDATE, ID_NUMBER_REGION]


def test_parse_returns_every_part() -> None:
    info = parse_cn_id(WORKED_EXAMPLE.lower())
    assert info.number == WORKED_EXAMPLE
    assert info.region_code == "110105"
    assert info.region_name == "北京市朝阳区"
    assert info.birth_date == date(1949, 12, 31)
    assert (info.sequence, info.sex, info.check_char) == ("002", "F", "X")
    assert parse_cn_id(make_id("440305", "19950615", "123")).sex == "M"
    assert parse_cn_id(make_id("440305", "19950615", "123")).region_name == "广东省深圳市南山区"


def test_parse_names_the_region_as_it_was_called_in_the_birth_year() -> None:
    # 650107 was 南山矿区 in 1989-1998 and 达坂城区 from 2002 on.
    assert parse_cn_id(make_id("650107", "19900101")).region_name.endswith("南山矿区")
    assert parse_cn_id(make_id("650107", "20100101")).region_name.endswith("达坂城区")


def test_parse_keeps_a_wrong_check_char_and_an_unknown_region() -> None:
    info = parse_cn_id("999999199001010010")
    assert info.region_name is None
    assert info.check_char == "0"


@pytest.mark.parametrize("number", ["", "11010519491231002", "110105199002300012", "1101051990023000XX"])
def test_parse_raises_on_unparseable_numbers(number: str) -> None:
    with pytest.raises(DocumentInputError) as caught:
        parse_cn_id(number)
    assert caught.value.code == ID_NUMBER_UNPARSEABLE
    assert isinstance(caught.value, DocumentError)


@pytest.mark.parametrize("value", [None, 11010519491231002, b"11010519491231002X", ["1"]])
def test_non_string_input_raises_a_document_error(value: object) -> None:
    with pytest.raises(DocumentError):
        validate_cn_id(value)  # type: ignore[arg-type]
    with pytest.raises(DocumentError):
        parse_cn_id(value)  # type: ignore[arg-type]
    with pytest.raises(DocumentInputError):
        cn_id_check_char(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("first17", ["1101051949123100", "1101051949123100X", "110105194912310021"])
def test_check_char_rejects_anything_but_17_digits(first17: str) -> None:
    with pytest.raises(DocumentInputError) as caught:
        cn_id_check_char(first17)
    assert caught.value.code == ID_NUMBER_UNPARSEABLE


def test_committed_region_table_is_well_formed() -> None:
    table = cn_id._region_table()
    assert len(table) > 6000
    for code, periods in table.items():
        assert len(code) == 6 and code.isdigit()
        for period in periods:
            assert period.name
            if period.first_year is not None and period.last_year is not None:
                assert period.first_year <= period.last_year
        # Oldest name first. (Periods may overlap: the upstream timeline briefly swapped some
        # codes, e.g. 220281/220282 in 2003, so no stricter order holds.)
        starts = [period.first_year or 0 for period in periods]
        assert starts == sorted(starts)


@pytest.mark.data
@pytest.mark.skipif(not (SHARED_CN_ID / "region_codes_timeline.tsv").is_file(), reason="needs ../shared/data")
def test_committed_region_table_matches_the_shared_timeline() -> None:
    with (SHARED_CN_ID / "region_codes_timeline.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    expected = {
        (row["code"], row["address"].strip(), int(row["start_year"]) if row["start_year"] else None,
         int(row["end_year"]) if row["end_year"] else None)
        for row in rows
    }
    committed = {
        (period.code, period.name, period.first_year, period.last_year)
        for periods in cn_id._region_table().values()
        for period in periods
    }
    assert committed == expected
    with (SHARED_CN_ID / "region_codes_current.tsv").open(encoding="utf-8") as handle:
        current = {row["code"] for row in csv.DictReader(handle, delimiter="\t")}
    assert all(any(period.last_year is None for period in cn_region_periods(code)) for code in current)
