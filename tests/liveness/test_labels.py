"""Tests for liveness.scoring.labels: LABELS.tsv parsing and its error messages."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from liveness.errors import LivenessError
from liveness.scoring import labels
from liveness.scoring.labels import LabelRow, LabelsError, read_labels

SHARED_FACES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"
HEADER = "path\tlabel\tspecies\tsubject\tsource\tnote\n"


def write_tsv(folder: Path, text: str, name: str = "LABELS.tsv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_doctests_pass() -> None:
    result = doctest.testmod(labels)
    assert result.attempted >= 3
    assert result.failed == 0


def test_reads_rows_with_extras_and_defaults(tmp_path: Path) -> None:
    absolute = tmp_path / "elsewhere" / "c.jpg"
    folder = tmp_path / "set"
    folder.mkdir()
    tsv = write_tsv(folder, HEADER
                    + "videos/a.mp4\tbona_fide\tnone\ts1\tphone\tselfie, daylight\n"
                    + "\n"
                    + "videos/b.mp4\tATTACK\tReplay\ts1\tphone\t\n"
                    + f"{absolute}\tattack\t\t\t\tno species given\n"
                    + "d.jpg\tbona_fide\t\n")
    rows = read_labels(tsv)
    assert [row.line for row in rows] == [2, 4, 5, 6]
    first, second, third, fourth = rows
    assert first == LabelRow(
        path=(folder / "videos" / "a.mp4").resolve(), label="bona_fide",
        species="none", subject="s1", source="phone", extra={"note": "selfie, daylight"},
    )
    assert (second.label, second.species, second.is_attack, second.y_true) == (
        "attack", "replay", True, 1,
    )
    assert third.path == absolute.resolve()
    assert (third.species, third.subject, third.source) == ("unknown", None, None)
    # A line cut after the required columns is padded with empty fields.
    assert (fourth.species, fourth.subject, fourth.extra) == ("none", None, {"note": ""})
    assert hash(first) == hash(first)  # frozen rows can key dicts despite the extra dict


def test_minimal_header_and_extra_columns(tmp_path: Path) -> None:
    tsv = write_tsv(tmp_path, "\ufeffpath\tlabel\tspecies\tdoc_type\nx.jpg\tattack\tphotocopy\tpassport\n")
    (row,) = read_labels(tsv)
    assert (row.species, row.subject, row.extra) == ("photocopy", None, {"doc_type": "passport"})


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("a.mp4\tbona_fide\tnone\n" "b.mp4\tspoof\treplay\n", 3, "label must be bona_fide or attack"),
        ("a.mp4\tbona_fide\treplay\n", 2, "bona fide row has attack species"),
        ("a.mp4\tattack\tnone\n", 2, "attack row has species 'none'"),
        ("a.mp4\tattack\treplay\textra\n", 2, "4 tab-separated field"),
        ("a.mp4 attack replay\n", 2, "1 tab-separated field"),
        ("a.mp4\tattack\n", 2, "2 tab-separated field"),
        ("\tattack\treplay\n", 2, "empty path"),
        ("a.mp4\tattack\treplay\n\na.mp4\tbona_fide\tnone\n", 4, "already listed on line 2"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    tsv = write_tsv(tmp_path, "path\tlabel\tspecies\n" + body)
    with pytest.raises(LabelsError, match=message) as caught:
        read_labels(tsv)
    assert f"{tsv}:{line}:" in str(caught.value)
    assert caught.value.code == "LABELS_INVALID"
    assert isinstance(caught.value, LivenessError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing header"),
        ("path\tlabel\n", "lacks required column"),
        ("path,label,species\na,attack,replay\n", "tab-separated"),
        ("path\tlabel\tspecies\tnote\tnote\n", "repeated column"),
    ],
)
def test_bad_header(tmp_path: Path, text: str, message: str) -> None:
    tsv = write_tsv(tmp_path, text)
    with pytest.raises(LabelsError, match=message) as caught:
        read_labels(tsv)
    assert f"{tsv}:1:" in str(caught.value)
    assert caught.value.code == "LABELS_INVALID"


def test_missing_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(LabelsError) as caught:
        read_labels(tmp_path / "nope.tsv")
    assert caught.value.code == "LABELS_MISSING"
    binary = tmp_path / "LABELS.tsv"
    binary.write_bytes(b"\xff\xfe\x00path")
    with pytest.raises(LabelsError):
        read_labels(binary)


@pytest.mark.data
@pytest.mark.skipif(not (SHARED_FACES / "LABELS.tsv").is_file(), reason="needs ../shared/data")
def test_shared_faces_labels_parse() -> None:
    rows = read_labels(SHARED_FACES / "LABELS.tsv")
    assert len(rows) > 100
    assert {row.label for row in rows} == {"bona_fide", "attack"}
    assert all(row.species == "none" for row in rows if row.label == "bona_fide")
    assert all(row.species != "none" for row in rows if row.label == "attack")
    assert all(row.path.is_file() for row in rows)
