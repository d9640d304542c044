"""The labelled sets a benchmark run scores.

- Any ``LABELS.tsv`` given with ``--labels`` (scored whole).
- By default the shared dev data, ``../shared/data/faces/LABELS.tsv``, when it is there:
  whole for ``make bench``, and for ``make bench-quick`` a fixed, stratified subset of its
  held-out persons (the persons training never sees): every real animated-photo and
  face-swap video, as many bona fide videos, the few image attacks and as many bona fide
  images. Held-out persons come from the training catalog's split (pure Python, no torch).
- Otherwise a small set made here with the project's own generators (``tests/face_fixtures``
  for a moving public-domain portrait, ``training.synth`` for the attacks; needs the
  ``train`` extra). It keeps the suite running on a fresh clone, but every file shows one
  person, so its figures say little about real data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from benchmarks.common import REPO_ROOT, BenchmarkError, display_path
from liveness.scoring.labels import LabelRow, read_labels

SHARED_LABELS = REPO_ROOT.parent / "shared" / "data" / "faces" / "LABELS.tsv"
VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".avi"}
QUICK_VIDEO_SPECIES = ("animated_photo", "face_swap")
QUICK_MAX_ROWS = 160
GENERATED_SPECIES = ("replay", "print", "animated_photo", "face_swap")


@dataclass(frozen=True)
class LabelledSet:
    """Rows to score under one name; ``held_out`` lists the rows' paths of unseen persons
    (empty when the split is unknown)."""

    name: str
    rows: tuple[LabelRow, ...]
    origin: str
    held_out: frozenset[str] = frozenset()


def is_video(row: LabelRow) -> bool:
    return row.path.suffix.lower() in VIDEO_SUFFIXES


def _stable_key(row: LabelRow) -> str:
    return hashlib.sha256(row.path.name.encode()).hexdigest()


def held_out_paths(labels: Path) -> frozenset[str] | None:
    """Paths of the rows whose person is in the training catalog's test split, or None when
    the catalog is not importable (``training`` not on the path)."""
    try:
        from training.catalog import load_catalog
    except ModuleNotFoundError:
        return None
    return frozenset(str(item.path) for item in load_catalog(labels) if item.split == "test")


def load_set(labels: Path, *, name: str | None = None) -> LabelledSet:
    """Every row of ``labels``; the held-out persons are marked when the split is known."""
    rows = tuple(read_labels(labels))
    if not rows:
        raise BenchmarkError(f"{labels} lists no files", code="LABELS_EMPTY")
    held = held_out_paths(labels) or frozenset()
    return LabelledSet(name=name or labels.parent.name, rows=rows, origin=display_path(labels), held_out=held)


def quick_subset(
    rows: Sequence[LabelRow], held_out: frozenset[str], *, max_rows: int = QUICK_MAX_ROWS
) -> list[LabelRow]:
    """The fixed, stratified quick subset of the held-out rows (all rows when none are marked).

    Every animated-photo and face-swap video, then as many bona fide videos, every image
    attack and as many bona fide images; each group in a fixed hash order, the bona fide
    groups cut first when the total would exceed ``max_rows``.

    Examples
    --------
    >>> mk = lambda p, label, species: LabelRow(Path(p), label, species)
    >>> rows = [mk("a.mp4", "attack", "face_swap"), mk("b.mp4", "bona_fide", "none"),
    ...         mk("c.mp4", "bona_fide", "none"), mk("d.jpg", "attack", "print"),
    ...         mk("e.jpg", "bona_fide", "none"), mk("f.mp4", "attack", "replay")]
    >>> sorted(r.path.name for r in quick_subset(rows, frozenset()))
    ['a.mp4', 'c.mp4', 'd.jpg', 'e.jpg']
    """
    pool = [r for r in rows if not held_out or str(r.path) in held_out]
    pool.sort(key=_stable_key)
    video_attacks = [r for r in pool if is_video(r) and r.is_attack and r.species in QUICK_VIDEO_SPECIES]
    video_bona = [r for r in pool if is_video(r) and not r.is_attack]
    image_attacks = [r for r in pool if not is_video(r) and r.is_attack]
    image_bona = [r for r in pool if not is_video(r) and not r.is_attack]
    video_attacks = video_attacks[:max_rows]
    image_attacks = image_attacks[: max(0, max_rows - len(video_attacks))]
    room = max(0, max_rows - len(video_attacks) - len(image_attacks))
    n_video_bona = min(len(video_bona), len(video_attacks), room)
    n_image_bona = min(len(image_bona), len(image_attacks), room - n_video_bona)
    chosen = {*video_attacks, *image_attacks, *video_bona[:n_video_bona], *image_bona[:n_image_bona]}
    return [r for r in rows if r in chosen]


def default_sets(*, quick: bool) -> list[LabelledSet]:
    """The shared data (whole, or its quick subset) when present, else nothing."""
    if not SHARED_LABELS.is_file():
        return []
    full = load_set(SHARED_LABELS, name="faces")
    if not quick:
        return [full]
    rows = quick_subset(full.rows, full.held_out)
    return [LabelledSet(name="faces-quick", rows=tuple(rows), origin=f"{display_path(SHARED_LABELS)} (quick subset)",
                        held_out=full.held_out)]


# --------------------------------------------------------------------------- generated set


def write_video(frames: Sequence[np.ndarray], path: Path, *, fps: int = 25) -> Path:
    """H.264 (yuv420p, CRF 12) that is the same every time: x264's default presets gave
    different frames from run to run here (even on one thread); the ultrafast one does not."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(fps, 1), options={"threads": "1", "preset": "ultrafast", "crf": "12"}
        )
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _write_tsv(folder: Path, entries: list[tuple[str, str, str, str]]) -> Path:
    lines = ["path\tlabel\tspecies\tsubject\tsource"]
    lines += [f"{path}\t{label}\t{species}\tportrait\t{source}" for path, label, species, source in entries]
    tsv = folder / "LABELS.tsv"
    tsv.write_text("\n".join(lines) + "\n")
    return tsv


def generated_set(
    folder: Path,
    *,
    per_species: int = 2,
    bona_fide: int = 4,
    n_frames: int = 48,
    species: Sequence[str] = GENERATED_SPECIES,
    name: str = "generated",
) -> LabelledSet:
    """Make a small labelled set in ``folder`` with the project's generators; deterministic.

    Bona fide clips are the moving portrait (``tests.face_fixtures``) with different seeds,
    zooms and mirroring; attacks are ``training.synth`` run on them. Needs the ``train``
    extra (scipy); raises ``BenchmarkError`` (code ``TRAIN_EXTRA_MISSING``) without it.
    """
    try:
        from training.synth.animated import animate_photo
        from training.synth.faceswap import face_swap
        from training.synth.printed import print_attack
        from training.synth.replay import replay_attack
    except ModuleNotFoundError as exc:
        raise BenchmarkError(
            f"the generated set needs the train extra ({exc.name} missing): pip install -e .[train]",
            code="TRAIN_EXTRA_MISSING",
        ) from exc
    from liveness.faces import track_face
    from liveness.types import Frames
    from tests.face_fixtures import moving_portrait_frames

    folder.mkdir(parents=True, exist_ok=True)
    unknown = sorted(set(species) - set(GENERATED_SPECIES))
    if unknown:
        raise BenchmarkError(f"cannot generate species {unknown}; known: {GENERATED_SPECIES}")

    def live_clip(seed: int) -> list[np.ndarray]:
        frames = moving_portrait_frames(n_frames, size=(360, 320), seed=seed)
        return [np.ascontiguousarray(f[:, ::-1]) for f in frames] if seed % 2 else frames

    def landmarks(frames: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
        track = track_face(Frames(images=frames, timestamps=np.arange(len(frames)) / 25.0, kind="video", source="gen"))
        kept = [frames[int(i)] for i in track.frame_indices]
        return kept, track.landmarks[:, :, :2].astype(np.float32)

    entries: list[tuple[str, str, str, str]] = []
    for k in range(bona_fide):
        path = f"bona_fide_{k}.mp4"
        write_video(live_clip(100 + k), folder / path)
        entries.append((path, "bona_fide", "none", "moving_portrait"))

    makers: dict[str, Callable[[int], list[np.ndarray]]] = {
        "replay": lambda seed: replay_attack(live_clip(seed), rng=seed),
        "print": lambda seed: print_attack(live_clip(seed)[0], rng=seed, n_frames=n_frames),
    }

    def animated(seed: int) -> list[np.ndarray]:
        kept, points = landmarks(live_clip(seed)[:3])
        frames, _ = animate_photo(kept[0], points[0], rng=seed, n_frames=n_frames)
        return list(frames)

    def swapped(seed: int) -> list[np.ndarray]:
        target, target_points = landmarks(live_clip(seed))
        # The source face: the portrait of another take, mirrored and recoloured, so the
        # pasted face differs from the one it covers.
        source = live_clip(seed + 1)[0]
        source = np.clip(source.astype(np.int16) + np.array([18, -6, -14], np.int16), 0, 255).astype(np.uint8)
        kept, source_points = landmarks([source] * 3)
        return face_swap(target, target_points, kept[0], source_points[0], rng=seed)

    makers["animated_photo"] = animated
    makers["face_swap"] = swapped
    for name_ in species:
        for k in range(per_species):
            seed = 200 + 10 * GENERATED_SPECIES.index(name_) + k
            path = f"{name_}_{k}.mp4"
            write_video(makers[name_](seed), folder / path)
            entries.append((path, "attack", name_, f"training.synth.{name_}"))
    tsv = _write_tsv(folder, entries)
    return LabelledSet(name=name, rows=tuple(read_labels(tsv)), origin=f"generated in {display_path(folder)}")
