"""Rule checks on read document text: MRZ, GB 11643 numbers, MRZ vs printed fields."""

from __future__ import annotations

from datetime import date

from liveness.documents import reasons as R
from liveness.documents.rules import check_text_lines

# ICAO 9303 part 4 specimen (TD3), valid until 2012-04-15.
MRZ = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
BEFORE_EXPIRY = date(2010, 1, 1)


def test_consistent_passport_page_passes() -> None:
    printed = ["PASSPORT", "Surname ERIKSSON", "Given names ANNA MARIA", "Passport No. L898902C3"]
    report = check_text_lines([*printed, *MRZ], today=BEFORE_EXPIRY)
    assert report.reasons == []
    assert report.fields["mrz"]["document_number"] == "L898902C3"
    assert report.fields["mrz"]["surname"] == "ERIKSSON"


def test_retyped_printed_number_contradicts_the_mrz() -> None:
    printed = ["Surname ERIKSSON", "Passport No. L898902C4"]
    report = check_text_lines([*printed, *MRZ], today=BEFORE_EXPIRY)
    assert report.reasons == [R.ID_FIELDS_MISMATCH]
    assert report.fields["mismatched_fields"] == ["document_number"]


def test_retyped_surname_contradicts_the_mrz() -> None:
    report = check_text_lines(["Surname JOHANSSON", "No. L898902C3", *MRZ], today=BEFORE_EXPIRY)
    assert report.fields["mismatched_fields"] == ["surname"]


def test_a_side_with_the_mrz_but_no_printed_fields_is_not_a_mismatch() -> None:
    # The back of a TD1 card: the MRZ, and printed text that repeats none of its fields.
    report = check_text_lines(["Height 1.70", "Authority CITY HALL", *MRZ], today=BEFORE_EXPIRY)
    assert report.reasons == []


def test_changed_mrz_digit_and_expiry_are_reasons() -> None:
    tampered = [MRZ[0], MRZ[1].replace("7408122", "7408132")]
    report = check_text_lines(["ERIKSSON L898902C3", *tampered], today=date(2020, 1, 1))
    assert R.MRZ_CHECKSUM in report.reasons
    assert R.DOCUMENT_EXPIRED in report.reasons


def test_chinese_id_numbers_are_validated() -> None:
    assert check_text_lines(["公民身份号码 11010519491231002X"]).reasons == []
    bad = check_text_lines(["公民身份号码 11010519491231003X"]).reasons
    assert bad == [R.ID_NUMBER_CHECKSUM]
    # Longer digit runs (card serials, phone numbers) are not ID numbers.
    assert check_text_lines(["serial 1101051949123100201"]).fields == {}


def test_id_number_birth_date_must_match_the_mrz() -> None:
    mrz = [MRZ[0], MRZ[1]]
    report = check_text_lines(["ERIKSSON L898902C3 11010519491231002X", *mrz], today=BEFORE_EXPIRY)
    assert "birth_date" in report.fields["mismatched_fields"]


def test_text_without_checkable_fields_gives_no_reasons() -> None:
    assert check_text_lines(["IDENTITY CARD", "Name", ""]).reasons == []
    assert check_text_lines([]).reasons == []
