"""liveness.documents: exported API, reason vocabulary, expiry helpers and the optional OCR."""

from __future__ import annotations

import doctest
import importlib
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import liveness.documents
from liveness.documents import colour, expiry, ocr, reasons
from liveness.documents.errors import DATE_UNREADABLE, IMAGE_INVALID, DocumentInputError
from liveness.documents.expiry import ValidityPeriod, check_expiry, parse_printed_date, parse_validity_period
from liveness.documents.mrz import mrz_lines_from_text, parse_mrz
from liveness.documents.ocr import OCR_UNAVAILABLE, ocr_available, read_text
from liveness.errors import DocumentError, ModelError

SPECIMENS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "docs" / "specimens" / "passporteye"
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="optional package rapidocr is not installed")


@pytest.mark.parametrize("module", [colour, expiry, ocr, reasons])
def test_doctests_pass(module: object) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0


def test_exported_names_exist() -> None:
    for name in liveness.documents.__all__:
        assert hasattr(liveness.documents, name), name
    assert len(set(liveness.documents.__all__)) == len(liveness.documents.__all__)  # order: ruff RUF022


def test_reason_vocabulary() -> None:
    expected = {
        "ID_NUMBER_FORMAT", "ID_NUMBER_CHECKSUM", "ID_NUMBER_BIRTHDATE", "ID_NUMBER_REGION",
        "MRZ_FORMAT", "MRZ_CHECKSUM", "DOCUMENT_EXPIRED", "ID_FIELDS_MISMATCH",
        "ID_PORTRAIT_SWAP", "ID_TEXT_EDITED", "ID_RECAPTURE", "ID_PHOTOCOPY", "ID_COPY_MOVE",
        "DOC_NOT_FOUND", "DOC_TOO_SMALL", "DOC_GLARE", "DOC_BLUR", "DOC_CROPPED",
        "DOC_UNREADABLE", "DOC_BLANK", "DOC_NOT_A_DOCUMENT",
    }
    assert set(reasons.ALL_REASONS) == expected
    for code in expected:
        assert getattr(reasons, code) == code  # the constant's value is its name
        assert reasons.REASON_MESSAGES[code].strip()
    assert set(reasons.__all__) == expected | {"ALL_REASONS", "REASON_MESSAGES"}


def test_input_errors_are_document_errors_with_codes() -> None:
    error = DocumentInputError("bad")
    assert isinstance(error, DocumentError)
    assert error.code == "DOCUMENT_INPUT_INVALID"
    assert DocumentInputError("bad", code=DATE_UNREADABLE).code == DATE_UNREADABLE


def test_check_expiry() -> None:
    assert check_expiry(date(2030, 1, 1), today=date(2030, 1, 1)) == []
    assert check_expiry(date(2029, 12, 31), today=date(2030, 1, 1)) == [reasons.DOCUMENT_EXPIRED]
    assert check_expiry(date(2000, 1, 1)) == [reasons.DOCUMENT_EXPIRED]  # default today
    assert check_expiry(None, today=date(2100, 1, 1)) == []
    with pytest.raises(DocumentInputError):
        check_expiry("2030-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2035.03.01", date(2035, 3, 1)),
        ("2035-03-01", date(2035, 3, 1)),
        ("2035/3/1", date(2035, 3, 1)),
        ("20350301", date(2035, 3, 1)),
        ("2035年3月1日", date(2035, 3, 1)),
        ("01.03.2035", date(2035, 3, 1)),
        ("13-04-2029", date(2029, 4, 13)),
        ("01 01 2013", date(2013, 1, 1)),
        ("15 APR 2012", date(2012, 4, 15)),
        ("15 apr/avr 2012", date(2012, 4, 15)),
        ("12 AUGUST/AOUT 1974", date(1974, 8, 12)),
        ("24JUN2004", date(2004, 6, 24)),
        ("  01 DEC 1999 ", date(1999, 12, 1)),
    ],
)
def test_parse_printed_date(text: str, expected: date) -> None:
    assert parse_printed_date(text) == expected


def test_two_digit_printed_years_use_the_nearest_century() -> None:
    assert parse_printed_date("15 APR/AVR 12", pivot=date(2010, 1, 1)) == date(2012, 4, 15)
    assert parse_printed_date("12 AUG 74", pivot=date(2010, 1, 1)) == date(1974, 8, 12)
    assert parse_printed_date("29 FEB 00", pivot=date(1950, 1, 1)) == date(2000, 2, 29)


@pytest.mark.parametrize("text", ["", "长期", "2035.02.30", "31 FOO 2012", "32.01.2020", "12/2020", "2035-13-01"])
def test_unreadable_printed_dates_raise(text: str) -> None:
    with pytest.raises(DocumentInputError) as caught:
        parse_printed_date(text)
    assert caught.value.code == DATE_UNREADABLE


def test_parse_validity_period() -> None:
    assert parse_validity_period("2015.03.01-2035.03.01") == ValidityPeriod(date(2015, 3, 1), date(2035, 3, 1))
    assert parse_validity_period("2015-03-01 - 2035-03-01") == ValidityPeriod(date(2015, 3, 1), date(2035, 3, 1))
    assert parse_validity_period("2015.03.01至2025.03.01").end == date(2025, 3, 1)
    long_term = parse_validity_period("2010.07.12-长期")
    assert long_term == ValidityPeriod(date(2010, 7, 12), None)
    assert check_expiry(long_term.end) == []


@pytest.mark.parametrize("text", ["2015.03.01", "2035.03.01-2015.03.01", "2015.03.01-soon", 20150301])
def test_unreadable_validity_periods_raise(text: object) -> None:
    with pytest.raises(DocumentInputError) as caught:
        parse_validity_period(text)  # type: ignore[arg-type]
    assert caught.value.code == DATE_UNREADABLE


@pytest.mark.parametrize(
    "image",
    [
        None,
        "page.png",
        np.zeros((32, 32, 3), np.float32),
        np.zeros((32, 32, 2), np.uint8),
        np.zeros((2, 32, 32, 3), np.uint8),
    ],
    ids=["none", "path", "float", "two-channel", "batch"],
)
def test_read_text_rejects_non_images(image: object) -> None:
    with pytest.raises(DocumentInputError) as caught:
        read_text(image)  # type: ignore[arg-type]
    assert caught.value.code == IMAGE_INVALID


def test_read_text_on_tiny_images_finds_nothing_without_loading_a_model() -> None:
    assert read_text(np.zeros((1, 1, 3), np.uint8)) == []
    assert read_text(np.zeros((7, 500), np.uint8)) == []


def test_missing_rapidocr_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def no_rapidocr(name: str, package: str | None = None) -> object:
        if name == "rapidocr":
            raise ImportError("No module named 'rapidocr'")
        return real_import(name, package)

    ocr._engine.cache_clear()
    monkeypatch.setattr(importlib, "import_module", no_rapidocr)
    try:
        with pytest.raises(ModelError) as caught:
            read_text(np.zeros((64, 64, 3), np.uint8))
        assert caught.value.code == OCR_UNAVAILABLE
    finally:
        ocr._engine.cache_clear()


def render_lines(lines: list[str], *, size: int = 22) -> np.ndarray:
    font = ImageFont.load_default(size=size)
    image = Image.new("RGB", (40 + size * 27, 30 + 2 * size * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(lines):
        draw.text((20, 15 + row * 2 * size), text, fill="black", font=font)
    return np.asarray(image)


@needs_ocr
def test_read_text_reads_a_rendered_mrz() -> None:
    page = render_lines(["PASSPORT UTOPIA", *TD3])
    found = read_text(page)
    assert [line.text for line in found][-2:] == list(TD3)
    for line in found:
        assert line.box.shape == (4, 2) and line.box.dtype == np.float32
        assert 0.5 <= line.confidence <= 1.0
        assert line.box[:, 0].min() >= 0 and line.box[:, 0].max() <= page.shape[1]
    result = parse_mrz(mrz_lines_from_text([line.text for line in found]), today=date(2010, 1, 1), repair=True)
    assert result.valid and result.document_number == "L898902C3"
    # Grey input goes through the same path.
    assert read_text(page[..., 0])[-1].text == TD3[1]


@pytest.mark.data
@needs_ocr
@pytest.mark.skipif(not SPECIMENS.is_dir(), reason="needs ../shared/data")
@pytest.mark.parametrize(
    ("name", "layout", "number", "composite"),
    [("passport-td3.jpg", "TD3", "L898902C3", "0"), ("passport-td2.jpg", "TD2", "D23145890", "6")],
)
def test_ocr_reads_the_passporteye_specimen_mrz(name: str, layout: str, number: str, composite: str) -> None:
    # Expected values as in PassportEye's own tests of these two images (tests/mrz_test.py).
    page = np.asarray(Image.open(SPECIMENS / name).convert("RGB"))
    mrz = mrz_lines_from_text([line.text for line in read_text(page)])
    result = parse_mrz(mrz, today=date(2010, 1, 1), repair=True)
    assert result.valid, (mrz, result.details)
    assert (result.layout, result.document_number, result.lines[1][-1]) == (layout, number, composite)
    assert (result.issuing_state, result.nationality, result.sex) == ("UTO", "UTO", "F")
    assert (result.surname, result.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (result.birth_date, result.expiry_date) == (date(1974, 8, 12), date(2012, 4, 15))
