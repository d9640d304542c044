"""``liveness synth --preview``: one contact sheet of every recipe, for a person to look at."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.build import VIDEO_RECIPES, Job, load_source, synthesize
from training.catalog import load_catalog


def write_preview(data_dir: Path, out_png: Path, *, seed: int = 0, n_sources: int = 4) -> Path:
    """Synthesize every recipe from ``n_sources`` real clips of training persons and write a
    contact sheet (one row per recipe and source; the first row of a source is its real clip)."""
    from training.synth.preview import contact_sheet

    items = [
        it
        for it in load_catalog(data_dir / "LABELS.tsv", seed=seed)
        if it.split == "train" and it.label == "bona_fide" and it.is_video
    ]
    rng = np.random.default_rng(seed)
    sources = []
    for index in rng.permutation(len(items)):
        source = load_source(items[int(index)])
        if source is not None:
            sources.append(source)
        if len(sources) >= max(2, n_sources):
            break
    if len(sources) < 2:
        raise SystemExit(f"need at least 2 usable real clips of training persons in {data_dir}")
    clips: dict[str, list[np.ndarray]] = {}
    for i, source in enumerate(sources[:n_sources]):
        partner = (i + 1) % len(sources)
        clips[f"{source.item.path.stem} real"] = source.frames
        # face_resynth needs autoencoders trained by a full build; the preview shows the rest.
        for recipe in (r for r in VIDEO_RECIPES if r != "face_resynth"):
            job = Job(key=f"preview-{recipe}-{i}", recipe=recipe, source=i, partner=partner, seed=seed * 1000 + i)
            clips[f"{source.item.path.stem} {recipe}"] = synthesize(job, sources)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(clips, out_png)
    return out_png
