"""Build the forgery model's training set: synthesized captures → rectified documents, with
per-cell forgery targets, split by portrait person and by template.

A plan can make a share of the portrait pastes, text edits and copy-moves on the photo of the
genuine card rather than on the design before print (:mod:`~training.documents.captured_edits`);
every such photo is exported again by the editor, and so is a share of every other sample, so
that a second JPEG is no cue of its own. The shipped model was trained without them (a share of
0.5 did not help it: see the README).

Each sample goes through the runtime's own rectification (``liveness.documents.intake``) from
its true corners, jittered by a few percent of the document size because the runtime's quad
finder is not exact either. Arrays are written once per split as ``.npy`` files so training
(and a resumed run) reads them back as memory maps.
"""

from __future__ import annotations

import json
import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from liveness.documents.intake import DOC_CANONICAL_SIZE, landscape_corners, rectify_document
from training.documents.captured_edits import CAPTURED_EDIT_SPECIES
from training.documents.portrait_swaps import resave
from training.models.doc_forgery import CLASSES, HEATMAP_STRIDE

CORNER_JITTER = 0.02  # fraction of the document diagonal
HEAT_MIN_COVER = 0.2  # a cell is a forged target when this much of it lies in the mask
_STREAM_AFTER, _STREAM_RESAVE = 47, 48
# What a split stored before these fields existed was built with.
_PLAN_DEFAULTS = {"captured_edit_share": 0.0, "resave_share": 0.0}


def plan_as_json(plan: object) -> dict:
    """A dataclass plan as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(plan.__dict__))


def stored_plan_is(stored: dict, plan: object, defaults: dict) -> bool:
    """Whether a split's stored plan (``meta.json``'s ``plan``) is the dataclass ``plan``, its
    display name aside; ``defaults`` stand for fields a split stored before they existed lacks."""
    built = {**defaults, **stored}
    wanted = plan_as_json(plan)
    return {k: v for k, v in built.items() if k != "name"} == {k: v for k, v in wanted.items() if k != "name"}


@dataclass(frozen=True)
class SplitPlan:
    """Which seeds, templates and portrait persons a split draws from."""

    name: str
    n_samples: int
    seed_offset: int
    templates: tuple[str, ...] | None  # template names (both sides); None: all
    portrait_subjects: tuple[str, ...] | None
    captured_edit_share: float = 0.0  # of portrait pastes, text edits and copy-moves: made on the photo
    resave_share: float = 0.0  # of the other samples: exported again like an edited photo


@dataclass
class DocumentSet:
    images: np.ndarray  # (N, H, W, 3) uint8 rectified documents
    heat: np.ndarray  # (N, h, w) uint8 cell targets
    labels: np.ndarray  # (N,) int64 class index in CLASSES
    templates: list[str]

    @classmethod
    def load(cls, folder: Path) -> DocumentSet:
        meta = json.loads((folder / "meta.json").read_text())
        return cls(
            images=np.load(folder / "images.npy", mmap_mode="r"),
            heat=np.load(folder / "heat.npy"),
            labels=np.load(folder / "labels.npy"),
            templates=list(meta["templates"]),
        )


def heat_target(mask: np.ndarray, size: tuple[int, int] = DOC_CANONICAL_SIZE) -> np.ndarray:
    """Cell targets of a flat-document mask on the rectified grid (stride ``HEATMAP_STRIDE``)."""
    w, h = size[0] // HEATMAP_STRIDE, size[1] // HEATMAP_STRIDE
    cover = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    return (cover >= HEAT_MIN_COVER).astype(np.uint8)


def _jitter(quad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    diag = float(np.linalg.norm(quad[2] - quad[0]))
    return (quad + rng.normal(0.0, CORNER_JITTER * diag / 2, quad.shape)).astype(np.float32)


_WORKER: dict[str, object] = {}


def _init_worker(factory_args: tuple, plan: SplitPlan) -> None:
    from training.documents.synth import DocumentSynthesizer

    cv2.setNumThreads(1)
    docs_dir, faces_dir, cache_dir = factory_args
    _WORKER["synth"] = DocumentSynthesizer(
        Path(docs_dir),
        Path(faces_dir),
        Path(cache_dir),
        portrait_subjects=plan.portrait_subjects,
        templates=plan.templates,
    )


def rectify_as_runtime(image: np.ndarray, quad: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rectify a capture the way the runtime does from these corners: the intake orders
    corners by geometry, not by the document's reading direction, so a document photographed
    upside down comes out upside down; its cell targets are turned the same way.

    ``quad`` lists the document's own TL, TR, BR, BL (a landscape document)."""
    runtime = landscape_corners(quad)
    # Which of the document's corners the runtime takes for its top-left.
    first = int(np.argmin(np.linalg.norm(np.asarray(quad, np.float32) - runtime[0], axis=1)))
    target = heat_target(mask)
    if first == 2:
        target = target[::-1, ::-1].copy()
    return rectify_document(image, runtime), target


def _make(job: tuple[int, str, bool, bool]) -> tuple[np.ndarray, np.ndarray, int, str]:
    seed, species, after_capture, resaved = job
    synth = _WORKER["synth"]
    sample = synth.sample(seed, species=species, after_capture=after_capture)  # type: ignore[attr-defined]
    image = resave(sample.image, np.random.default_rng([seed, _STREAM_RESAVE])) if resaved else sample.image
    rng = np.random.default_rng(seed + 7_919)
    rectified, target = rectify_as_runtime(image, _jitter(sample.quad, rng), sample.mask)
    return rectified, target, CLASSES.index(sample.species), f"{sample.template}/{sample.side}"


def build_split(
    plan: SplitPlan,
    out_dir: Path,
    *,
    docs_dir: Path,
    faces_dir: Path,
    cache_dir: Path,
    workers: int = 2,
) -> DocumentSet:
    """Synthesize ``plan.n_samples`` documents (classes balanced, genuine twice as often as
    each forgery species) into ``out_dir``; reuse the folder when it is already complete.

    Raises
    ------
    ValueError
        When ``out_dir`` holds a split built by another plan.
    """
    if (out_dir / "meta.json").exists():
        built = json.loads((out_dir / "meta.json").read_text()).get("plan", {})
        if not stored_plan_is(built, plan, _PLAN_DEFAULTS):
            raise ValueError(
                f"{out_dir} holds a split built by another plan ({built.get('n_samples')} samples, captured-edit "
                f"share {built.get('captured_edit_share', 0.0)}); delete it or choose another --out"
            )
        return DocumentSet.load(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = np.array([2.0] + [1.0] * (len(CLASSES) - 1))
    rng = np.random.default_rng(plan.seed_offset)
    species = rng.choice(len(CLASSES), size=plan.n_samples, p=weights / weights.sum())
    jobs = []
    for i, k in enumerate(species):
        seed = plan.seed_offset + i
        after = (
            CLASSES[k] in CAPTURED_EDIT_SPECIES
            and np.random.default_rng([seed, _STREAM_AFTER]).random() < plan.captured_edit_share
        )
        resaved = after or np.random.default_rng([seed, _STREAM_AFTER, 1]).random() < plan.resave_share
        jobs.append((seed, CLASSES[k], after, resaved))
    w, h = DOC_CANONICAL_SIZE
    images = np.lib.format.open_memmap(
        out_dir / "images.tmp.npy", mode="w+", dtype=np.uint8, shape=(len(jobs), h, w, 3)
    )
    heat = np.zeros((len(jobs), h // HEATMAP_STRIDE, w // HEATMAP_STRIDE), np.uint8)
    labels = np.zeros(len(jobs), np.int64)
    names: list[str] = []
    # spawn, not fork: the parent has rendered templates (resvg) and run ONNX Runtime, whose
    # thread pools do not survive a fork (the children hang).
    ctx = mp.get_context("spawn")
    init_args = ((str(docs_dir), str(faces_dir), str(cache_dir)), plan)
    with ctx.Pool(workers, initializer=_init_worker, initargs=init_args) as pool:
        results = pool.imap(_make, jobs, chunksize=4)
        for i, (img, target, label, name) in enumerate(tqdm(results, total=len(jobs), desc=f"docs {plan.name}")):
            images[i], heat[i], labels[i] = img, target, label
            names.append(name)
    images.flush()
    del images
    (out_dir / "images.tmp.npy").replace(out_dir / "images.npy")
    np.save(out_dir / "heat.npy", heat)
    np.save(out_dir / "labels.npy", labels)
    counts = {c: int((labels == i).sum()) for i, c in enumerate(CLASSES)}
    after = [bool(job[2]) for job in jobs]
    (out_dir / "meta.json").write_text(
        json.dumps({"templates": names, "counts": counts, "after_capture": after, "plan": plan.__dict__})
    )
    return DocumentSet.load(out_dir)
