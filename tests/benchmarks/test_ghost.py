"""The ghost benchmark on fixture cards made here: found shares, the swap AUC, the gated
figures, the summary section, and the note for a missing extra or data."""

from __future__ import annotations

import doctest
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import ghost as bench_ghost
from tests.document_fixtures import GHOST_SLOT, card_with_ghost, card_with_portrait
from tests.face_fixtures import portrait

PAGE = (896, 576)


def test_doctests_pass() -> None:
    assert doctest.testmod(bench_ghost).failed == 0


def _page(card: np.ndarray) -> np.ndarray:
    return cv2.resize(card, PAGE, interpolation=cv2.INTER_LINEAR)


def _slot() -> np.ndarray:
    scale = np.array([PAGE[0] / 856, PAGE[1] / 540] * 2)
    return np.asarray(GHOST_SLOT, np.float64) * scale


def test_measure_finds_the_ghost_and_tells_a_swap_by_it() -> None:
    other = cv2.warpAffine(portrait(), cv2.getRotationMatrix2D((300, 300), 12, 1.1), (400, 600))[40:560, 60:460]
    cards = iter([
        ("genuine", "none", _page(card_with_ghost()), 1.0, _slot()),
        ("swapped", "swap_captured", _page(card_with_ghost(other)), 1.0, _slot()),
        ("no ghost", "none", _page(card_with_portrait()), 1.0, _slot()),
    ])
    entry = bench_ghost.measure("made here", cards).to_dict()
    assert entry["n"] == 3
    assert entry["found"]["none"] == pytest.approx(0.5)  # the card without a ghost has none
    assert entry["found"]["swap_captured"] == 1.0 and entry["found"]["swap_printed"] is None
    assert entry["swap_auc"] == 1.0
    figures = bench_ghost.ghost_figures(entry)
    assert figures["accuracy.ghost.found"].value == pytest.approx(0.5)
    assert figures["accuracy.ghost.swap_auc"].tolerance == bench_ghost.AUC_TOLERANCE
    section = "\n".join(bench_ghost.ghost_section({"sets": {"made": entry}, "skipped": []}))
    assert "## Ghost image" in section and "| made | 3 | 0.500 | n/a | 1.000 | 1.000 |" in section


def test_run_ghost_notes_missing_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_ghost, "SHARED_DATA", tmp_path / "no-shared-data")
    result = bench_ghost.run_ghost("quick", tmp_path / "cache")
    assert result["sets"] == {} and result["figures"] == {}
    assert any("not found" in note for note in result["skipped"])
    assert "Skipped:" in "\n".join(bench_ghost.ghost_section(result))
