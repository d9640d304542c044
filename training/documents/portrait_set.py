"""The portrait model's data: synthesized captures → the runtime's page and portrait crop.

Every sample is one synthesized phone capture, rectified from jittered corners exactly as the
runtime does it (:func:`liveness.documents.intake.rectify_document`, turned upright by the
portrait, then :func:`liveness.documents.portrait.portrait_page` and
:func:`~liveness.documents.portrait.crop_portrait`), so the model and the calibration see
what the runtime will see. A split stores:

- ``crops.npy`` (N, S, S, 3) uint8 portrait crops (zeros where no face was found) and
  ``has_portrait``;
- ``pages.npy`` (N, 288, 448, 3) uint8 forgery-model pages, for the joint calibration of the
  two models (only in splits built ``with_pages``);
- ``ghost.npy``: the ghost image's similarity to the portrait
  (:func:`liveness.documents.ghost.find_ghost`, NaN where none is found), the third input of
  that calibration (also only ``with_pages``);
- ``labels.npy``: 1 when the document is forged (any species), and ``variants`` in
  ``meta.json``: how (see :data:`VARIANTS`).

Training splits are twins: each genuine capture comes with the same capture of its forged
copy, so the only difference the model can learn is the forgery. The validation split draws
single documents of every species, because the thresholds are set on it for whole documents.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from liveness.documents.ghost import FacePresence, find_ghost
from liveness.documents.intake import DOC_CANONICAL_SIZE, rectify_document, upright_by_portrait
from liveness.documents.portrait import crop_portrait, locate_portrait, page_zoom, portrait_page
from training.documents.dataset import CORNER_JITTER, stored_plan_is
from training.documents.forge import portrait_swap
from training.documents.portrait_swaps import blend_captured_face, resave, swap_captured_face, swap_printed_face
from training.documents.render import RenderedDocument
from training.documents.synth import DocumentSynthesizer

# How a sample was made. The first is genuine; the next four swap the portrait; the rest are
# the forgery model's other species (validation only).
PORTRAIT_VARIANTS = ("none", "paste", "swap_printed", "swap_captured", "blend_captured")
OTHER_SPECIES = ("text_edit", "copy_move", "recapture", "photocopy")
# Validation of plans with photo edits: the page model's forgeries made on the photo of the card.
PHOTO_EDITS = {"paste_captured": "portrait_swap", "text_edit_captured": "text_edit", "copy_move_captured": "copy_move"}
VARIANTS = PORTRAIT_VARIANTS + OTHER_SPECIES + tuple(PHOTO_EDITS)
RESAVE_GENUINE = 0.5  # share of genuine captures exported through an editor, like the forgeries


@dataclass(frozen=True)
class PortraitPlan:
    name: str
    n_samples: int
    seed_offset: int
    templates: tuple[str, ...] | None
    portrait_subjects: tuple[str, ...] | None
    crop_size: int
    with_pages: bool  # store forgery-model pages and draw every document species
    photo_edits: bool = False  # with pages: also draw the page model's forgeries made on the photo


@dataclass
class PortraitSet:
    crops: np.ndarray
    has_portrait: np.ndarray  # (N,) bool
    labels: np.ndarray  # (N,) int64, 1 = forged
    variants: list[str]
    pages: np.ndarray | None
    ghost: np.ndarray | None = None  # (N,) ghost-image similarity, NaN where none; with pages only

    @classmethod
    def load(cls, folder: Path) -> PortraitSet:
        meta = json.loads((folder / "meta.json").read_text())
        pages, ghost = folder / "pages.npy", folder / "ghost.npy"
        return cls(
            crops=np.load(folder / "crops.npy", mmap_mode="r"),
            has_portrait=np.load(folder / "has_portrait.npy"),
            labels=np.load(folder / "labels.npy"),
            variants=list(meta["variants"]),
            pages=np.load(pages, mmap_mode="r") if pages.exists() else None,
            ghost=np.load(ghost) if ghost.exists() else None,
        )

    @classmethod
    def concat(cls, parts: list[PortraitSet]) -> PortraitSet:
        """Training shards as one set (in memory; pages are not kept: training has none)."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            crops=np.concatenate([np.asarray(p.crops) for p in parts]),
            has_portrait=np.concatenate([p.has_portrait for p in parts]),
            labels=np.concatenate([p.labels for p in parts]),
            variants=[v for p in parts for v in p.variants],
            pages=None,
        )


_WORKER: dict[str, object] = {}


def _init_worker(paths: tuple[str, str, str], plan: PortraitPlan) -> None:
    import cv2

    cv2.setNumThreads(1)
    docs_dir, faces_dir, cache_dir = paths
    _WORKER["synth"] = DocumentSynthesizer(
        Path(docs_dir), Path(faces_dir), Path(cache_dir), portrait_subjects=plan.portrait_subjects,
        templates=plan.templates,
    )
    _WORKER["plan"] = plan


# variant, crop, forgery-model page, ghost-image similarity (NaN: none found or not measured)
Item = tuple[str, "np.ndarray | None", "np.ndarray | None", float]


def _synth_and_plan() -> tuple[DocumentSynthesizer, PortraitPlan]:
    synth, plan = _WORKER["synth"], _WORKER["plan"]
    assert isinstance(synth, DocumentSynthesizer) and isinstance(plan, PortraitPlan)
    return synth, plan


def _flat_pair(seed: int, variant: str) -> tuple[RenderedDocument, np.ndarray] | None:
    """A genuine portrait document and its flat forged twin (the genuine page itself for the
    forgeries made after capture); None when the swap found no face."""
    synth, _ = _synth_and_plan()
    doc, subject = synth.portrait_document(seed)
    rng = np.random.default_rng([seed, 41])
    if variant == "paste":
        _, donor = synth.portraits.pick(rng, exclude=subject)
        return doc, portrait_swap(doc, donor, rng=rng).image
    if variant == "swap_printed":
        assert doc.photo_box is not None
        _, donor = synth.portraits.pick(rng, exclude=subject)
        swapped = swap_printed_face(doc.image, doc.photo_box, donor, rng)
        return None if swapped is None else (doc, swapped)
    return doc, doc.image


@dataclass(frozen=True)
class Pages:
    """A capture as the runtime sees it: the forgery model's page, the portrait page and that
    page's :func:`~liveness.documents.portrait.page_zoom`."""

    small: np.ndarray
    portrait: np.ndarray
    zoom: float


def _pages(image: np.ndarray, quad: np.ndarray, seed: int) -> Pages:
    """The pages of a capture, from corners jittered as the runtime's quad finder would miss
    them (the same jitter for a seed)."""
    rng = np.random.default_rng([seed, 43])
    diag = float(np.linalg.norm(quad[2] - quad[0]))
    corners = (quad + rng.normal(0.0, CORNER_JITTER * diag / 2, quad.shape)).astype(np.float32)
    page_small, turned = upright_by_portrait(rectify_document(image, corners))
    return Pages(page_small, portrait_page(image, corners, turned_half=turned), page_zoom(corners))


def _edit_captured(page: np.ndarray, variant: str, seed: int) -> np.ndarray | None:
    synth, _ = _synth_and_plan()
    rng = np.random.default_rng([seed, 42])
    if variant == "swap_captured":
        _, donor = synth.portraits.pick(rng)
        return swap_captured_face(page, donor, rng)
    if variant == "blend_captured":
        return blend_captured_face(page, rng)
    return page


def _finish(variant: str, page: np.ndarray, page_small: np.ndarray, zoom: float, resaved: bool, seed: int) -> Item:
    _, plan = _synth_and_plan()
    if resaved:
        page = resave(page, np.random.default_rng([seed, 44]))
        # the forgery model's page comes from the same edited export
        page_small = rectify_document(page, _page_corners(page), size=DOC_CANONICAL_SIZE)
    face = locate_portrait(page)
    crop = None if face is None else crop_portrait(page, face, plan.crop_size)
    if not plan.with_pages:
        return variant, crop, None, math.nan
    presence = _presence()
    ghost = None if face is None else find_ghost(
        page, face, presence, zoom=zoom, detection=presence.detection, proposals=presence.faces
    )
    return variant, crop, page_small, math.nan if ghost is None else ghost.similarity


def _presence() -> FacePresence:
    if "presence" not in _WORKER:
        _WORKER["presence"] = FacePresence()
    presence = _WORKER["presence"]
    assert isinstance(presence, FacePresence)
    return presence


def _pair(seed: int, variant: str) -> list[Item]:
    """Training: the genuine capture and its forged twin, the same photo of the same card but
    for the forgery, exported alike. The model can only tell them apart by the forgery, not
    by the person, the template or the capture."""
    synth, _ = _synth_and_plan()
    made = _flat_pair(seed, variant)
    if made is None:
        return []
    doc, forged_flat = made
    genuine = _pages(*synth.capture(doc.image, doc.shape, seed), seed)
    forged = _pages(*synth.capture(forged_flat, doc.shape, seed), seed)
    edited = _edit_captured(forged.portrait, variant, seed)
    if edited is None:
        return []
    resaved = variant.endswith("_captured") or np.random.default_rng([seed, 45]).random() < RESAVE_GENUINE
    return [
        _finish("none", genuine.portrait, genuine.small, genuine.zoom, resaved, seed),
        _finish(variant, edited, forged.small, forged.zoom, resaved, seed),
    ]


def _single(seed: int, variant: str) -> list[Item]:
    """Validation: one document as an attempt brings it, genuine of any side or forged."""
    synth, _ = _synth_and_plan()
    if variant == "none" or variant in OTHER_SPECIES or variant in PHOTO_EDITS:
        species, after = PHOTO_EDITS.get(variant, variant), variant in PHOTO_EDITS
        sample = synth.sample(seed, species, after_capture=after)  # genuine of every side: backs have no portrait
        pages = _pages(sample.image, sample.quad, seed)
        resaved = after or (variant == "none" and np.random.default_rng([seed, 45]).random() < RESAVE_GENUINE)
        return [_finish(variant, pages.portrait, pages.small, pages.zoom, resaved, seed)]
    made = _flat_pair(seed, variant)
    if made is None:
        return []
    doc, forged_flat = made
    pages = _pages(*synth.capture(forged_flat, doc.shape, seed), seed)
    edited = _edit_captured(pages.portrait, variant, seed)
    if edited is None:
        return []
    return [_finish(variant, edited, pages.small, pages.zoom, variant.endswith("_captured"), seed)]


def _make(job: tuple[int, str]) -> list[Item]:
    seed, variant = job
    _, plan = _synth_and_plan()
    return _single(seed, variant) if plan.with_pages else _pair(seed, variant)


def _page_corners(page: np.ndarray) -> np.ndarray:
    h, w = page.shape[:2]
    return np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)


def _forged_variants(plan: PortraitPlan) -> tuple[str, ...]:
    """The forgeries a split draws from: portrait ones for training twins, every one for
    validation documents."""
    if not plan.with_pages:
        return PORTRAIT_VARIANTS[1:]
    return PORTRAIT_VARIANTS[1:] + OTHER_SPECIES + (tuple(PHOTO_EDITS) if plan.photo_edits else ())


def _same_plan(meta: dict, plan: PortraitPlan) -> bool:
    """Whether a stored split is this plan's (its display name aside) and drew from the same
    forgeries (a split stored before that was recorded drew from those it counted)."""
    drawn = meta.get("forged") or [v for v in VARIANTS if v != "none" and meta.get("counts", {}).get(v)]
    # a split stored before photo edits existed drew none
    return stored_plan_is(meta.get("plan", {}), plan, {"photo_edits": False}) and (
        set(drawn) == set(_forged_variants(plan))
    )


def build_portrait_split(
    plan: PortraitPlan, out_dir: Path, *, docs_dir: Path, faces_dir: Path, cache_dir: Path, workers: int = 2
) -> PortraitSet:
    """Synthesize ``plan.n_samples`` crops into ``out_dir`` (reused when complete).

    Training splits are genuine/forged twins (half genuine), the forgeries spread over the
    portrait variants; ``with_pages`` splits are single documents, half genuine (any side),
    the rest spread over every forgery. Attempts whose face or landmarks cannot be found are
    dropped, and so is a forged portrait the runtime would not find.
    """
    meta = out_dir / "meta.json"
    if meta.exists():
        stored = json.loads(meta.read_text())
        if _same_plan(stored, plan):
            return PortraitSet.load(out_dir)
        built = stored.get("plan", {})
        raise ValueError(
            f"{out_dir} holds a split built by another plan ({built.get('n_samples')} samples from seed "
            f"{built.get('seed_offset')}, forgeries {stored.get('forged') or sorted(stored.get('counts', {}))}); "
            "delete it or choose another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(plan.seed_offset)
    forged = _forged_variants(plan)
    if plan.with_pages:
        draws = ["none" if rng.random() < 0.5 else forged[int(rng.integers(len(forged)))]
                 for _ in range(plan.n_samples)]
    else:
        draws = [forged[int(rng.integers(len(forged)))] for _ in range(plan.n_samples // 2)]
    jobs = [(plan.seed_offset + i, v) for i, v in enumerate(draws)]
    s = plan.crop_size
    crops: list[np.ndarray] = []
    pages: list[np.ndarray] = []
    has, labels, variants, ghosts = [], [], [], []
    ctx = mp.get_context("spawn")  # ONNX Runtime and resvg state do not survive a fork
    init = ((str(docs_dir), str(faces_dir), str(cache_dir)), plan)
    with ctx.Pool(workers, initializer=_init_worker, initargs=init) as pool:
        for items in tqdm(pool.imap(_make, jobs, chunksize=4), total=len(jobs), desc=f"portraits {plan.name}"):
            if any(crop is None and variant in PORTRAIT_VARIANTS[1:] for variant, crop, _, _ in items):
                continue  # a swap the runtime would not find cannot be scored as one (nor its twin)
            for variant, crop, page, ghost in items:
                crops.append(np.zeros((s, s, 3), np.uint8) if crop is None else crop)
                has.append(crop is not None)
                ghosts.append(ghost)
                if plan.with_pages:
                    assert page is not None
                    pages.append(page)
                labels.append(int(variant != "none"))
                variants.append(variant)
    np.save(out_dir / "crops.npy", np.stack(crops))
    np.save(out_dir / "has_portrait.npy", np.array(has, bool))
    np.save(out_dir / "labels.npy", np.array(labels, np.int64))
    if plan.with_pages:
        np.save(out_dir / "pages.npy", np.stack(pages))
        np.save(out_dir / "ghost.npy", np.array(ghosts, np.float64))
    counts = {v: variants.count(v) for v in VARIANTS}
    (out_dir / "meta.json").write_text(
        json.dumps({"variants": variants, "counts": counts, "forged": list(forged), "plan": plan.__dict__})
    )
    return PortraitSet.load(out_dir)
