"""The locator's training and validation sets, synthesized in shards and cached on disk."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["LocatorSet", "build_locator_set"]

SHARD = 250  # samples per cached file: a crash loses at most one shard of work


@dataclass
class LocatorSet:
    """``images`` (N, S, S, 3) uint8 stretched captures; ``masks`` (N, S, S) uint8 quad masks (0..255)."""

    images: np.ndarray
    masks: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


_worker_synth = None


def _init_worker(docs_dir: Path, faces_dir: Path, cache_dir: Path, templates: tuple[str, ...]) -> None:
    global _worker_synth
    from training.documents.locator_data import LocatorSynthesizer
    from training.documents.synth import DocumentSynthesizer

    synthesizer = DocumentSynthesizer(docs_dir, faces_dir, cache_dir, templates=templates)
    photos = sorted((faces_dir / "images").glob("*.jpg")) if (faces_dir / "images").is_dir() else []
    _worker_synth = LocatorSynthesizer(synthesizer, photos)


def _make_shard(task: tuple[int, int, Path]) -> Path:
    start, stop, path = task
    assert _worker_synth is not None
    pairs = [_worker_synth.sample(seed) for seed in range(start, stop)]
    images = np.stack([image for image, _ in pairs])
    masks = np.stack([np.round(mask * 255).astype(np.uint8) for _, mask in pairs])
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, images=images, masks=masks)
    partial.replace(path)  # whole shards only: an interrupted build resumes where it stopped
    return path


def build_locator_set(
    docs_dir: Path,
    faces_dir: Path,
    cache_dir: Path,
    seeds: range,
    templates: tuple[str, ...],
    *,
    name: str,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> LocatorSet:
    """Synthesize (or load from ``cache_dir/locator_<name>``) the locator samples of ``seeds``
    on the documents of ``templates`` (training and validation use different designs).

    Shards already on disk are reused, so a build interrupted half-way resumes. ``progress``
    is called with (shards done, shards in all).
    """
    out_dir = cache_dir / f"locator_{name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = []
    for start in range(seeds.start, seeds.stop, SHARD):
        stop = min(start + SHARD, seeds.stop)
        tasks.append((start, stop, out_dir / f"shard_{start}_{stop}.npz"))
    todo = [task for task in tasks if not task[2].is_file()]
    done = len(tasks) - len(todo)
    if progress:
        progress(done, len(tasks))
    if todo:
        init_args = (docs_dir, faces_dir, cache_dir, templates)
        _init_worker(*init_args)  # builds the template and portrait caches once, before workers share them
        if workers > 1:
            with multiprocessing.get_context("spawn").Pool(workers, _init_worker, init_args) as pool:
                for _ in pool.imap_unordered(_make_shard, todo):
                    done += 1
                    if progress:
                        progress(done, len(tasks))
        else:
            for task in todo:
                _make_shard(task)
                done += 1
                if progress:
                    progress(done, len(tasks))
    shards = [np.load(task[2]) for task in tasks]
    return LocatorSet(np.concatenate([s["images"] for s in shards]), np.concatenate([s["masks"] for s in shards]))
