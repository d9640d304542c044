"""`liveness synth --preview` on the shared data (skipped on a clone without it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"


@pytest.mark.data
@pytest.mark.skipif(not (DATA / "LABELS.tsv").exists(), reason="../shared/data is not here")
def test_synth_preview_writes_a_contact_sheet(tmp_path: Path) -> None:
    from liveness.cli import EXIT_OK, main

    out = tmp_path / "sheet.png"
    assert main(["synth", "--data", str(DATA), "--preview", str(out), "-n", "2"]) == EXIT_OK
    with Image.open(out) as sheet:
        assert sheet.format == "PNG"
        # a real row + one row per recipe, for each of the 2 sources
        assert sheet.height > 10 * 100
