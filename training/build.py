"""Build the training set: real clips and photos → synthesized attacks → model inputs.

For every real clip of a train/val person we make bona fide variants and attacks
(animated photo, replay, print, face swap, self-blend), push each through a simulated
capture (resize, colour, a real H.264 round trip) and then through the *runtime's* own
sampling, face tracking and cropping (``liveness.inputs.build_inputs``). Each sample is one
``.npz`` in the cache folder, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from liveness.config import SamplingConfig
from liveness.errors import LivenessError
from liveness.faces import track_face
from liveness.inputs import build_inputs
from liveness.media import load_media
from liveness.models.manifest import InputSpec
from liveness.types import Frames
from training.catalog import Item
from training.models.clip_net import CLIP_NET_CFG
from training.models.frame_cnn import CLASSES, FRAME_CNN_CFG

FRAME_SPEC = InputSpec.from_dict(FRAME_CNN_CFG["input"])
CLIP_SPEC = InputSpec.from_dict(CLIP_NET_CFG["input"])
SOURCE_FPS = 25.0
# Synthesize 4 s at 25 fps: what the runtime samples from a real clip (32 frames, every 3rd).
SOURCE_SAMPLING = SamplingConfig(max_frames=100, target_fps=SOURCE_FPS)
RUNTIME_SAMPLING = SamplingConfig()


@dataclass(frozen=True)
class RealSource:
    """A real clip (or photo) with its per-frame landmarks, the raw material of synthesis."""

    item: Item
    frames: list[np.ndarray]
    landmarks: np.ndarray  # (T, 468, 3)


@dataclass(frozen=True)
class Job:
    """One sample to make: ``recipe`` on ``source`` (+ a partner for drivers / swaps)."""

    key: str
    recipe: str
    source: int
    partner: int
    seed: int


def load_source(item: Item) -> RealSource | None:
    try:
        frames = load_media(item.path, sampling=SOURCE_SAMPLING)
        track = track_face(frames)
    except LivenessError:
        return None
    images = [frames.images[int(i)] for i in track.frame_indices]
    if item.is_video and len(images) < 24:
        return None
    return RealSource(item=item, frames=images, landmarks=track.landmarks.astype(np.float32))


def runtime_frames(images: list[np.ndarray], *, fps: float, kind: str, source: str) -> Frames:
    """What ``load_media`` would hand the pipeline for these decoded frames."""
    if kind == "image":
        return Frames(images=images[:1], timestamps=np.zeros(1), kind="image", source=source, n_decoded=1)
    keep = RUNTIME_SAMPLING.select(len(images), fps)
    return Frames(
        images=[images[i] for i in keep],
        timestamps=np.asarray(keep, np.float64) / fps,
        kind="video",
        source=source,
        fps=fps,
        n_decoded=len(images),
        duration_s=len(images) / fps,
    )


def make_sample(
    images: list[np.ndarray], *, kind: str, label: str, species: str, item: Item, recipe: str
) -> dict | None:
    frames = runtime_frames(images, fps=SOURCE_FPS, kind=kind, source=recipe)
    try:
        track = track_face(frames)
    except LivenessError:
        return None
    inputs = build_inputs(frames, track, frame_spec=FRAME_SPEC, clip_spec=CLIP_SPEC)
    return {
        "frame_crops": inputs.frame_crops,
        "clip_crops": inputs.clip_crops,
        "motion": inputs.motion,
        "label": np.int64(CLASSES.index(species if label == "attack" else "bona_fide")),
        "species": species,
        "recipe": recipe,
        "person": item.person,
        "split": item.split,
        "source": item.source,
        "kind": kind,
    }


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "big")


# ---- recipes -------------------------------------------------------------------------------


def synthesize(job: Job, sources: list[RealSource]) -> list[np.ndarray]:
    """Frames (25 fps) of one synthetic or re-captured real sample."""
    from training.generator_sim import resynthesize_faces
    from training.synth.animated import animate_photo
    from training.synth.capture import simulate_capture
    from training.synth.faceswap import face_swap, self_blend
    from training.synth.printed import print_attack
    from training.synth.replay import replay_attack

    rng = np.random.default_rng(job.seed)
    src, partner = sources[job.source], sources[job.partner]
    autoencoders = _WORKER_AUTOENCODERS
    still_idx = int(rng.integers(len(src.frames)))
    if job.recipe == "bona_fide":
        frames = src.frames
    elif job.recipe == "animated_photo":
        driver = partner.landmarks[:, :, :2] if len(partner.frames) > 1 else None
        frames, warped = animate_photo(
            src.frames[still_idx],
            src.landmarks[still_idx, :, :2],
            driver,
            rng=rng,
            background=str(rng.choice(["static", "jitter", "drag"])),
            n_frames=len(src.frames) if driver is None else None,
        )
        # Most generators repaint the face with a decoder: simulate that texture too.
        if autoencoders and rng.random() < 0.6:
            model = autoencoders[int(rng.integers(len(autoencoders)))]
            frames = resynthesize_faces(list(frames), np.asarray(warped)[:, :, :2], model, rng)
    elif job.recipe == "replay":
        frames = replay_attack(src.frames, rng=rng)
    elif job.recipe == "print":
        frames = print_attack(src.frames[still_idx], rng=rng, n_frames=max(len(src.frames), 72))
    elif job.recipe == "face_swap":
        frames = face_swap(src.frames, src.landmarks[:, :, :2], partner.frames[0], partner.landmarks[0, :, :2], rng=rng)
    elif job.recipe == "face_resynth":
        if not autoencoders:
            raise ValueError("face_resynth needs the trained autoencoders")
        model = autoencoders[int(rng.integers(len(autoencoders)))]
        frames = resynthesize_faces(src.frames, src.landmarks[:, :, :2], model, rng)
    elif job.recipe == "self_blend":
        frames = self_blend(src.frames, src.landmarks[:, :, :2], rng=rng)
    else:
        raise ValueError(f"unknown recipe {job.recipe!r}")
    return simulate_capture(list(frames), rng=rng)


RECIPE_SPECIES = {
    "bona_fide": ("bona_fide", "none"),
    "animated_photo": ("attack", "animated_photo"),
    "replay": ("attack", "replay"),
    "print": ("attack", "print"),
    "face_swap": ("attack", "face_swap"),
    "self_blend": ("attack", "face_swap"),
    "face_resynth": ("attack", "face_swap"),
}

# Samples per real clip; photos are used as stills for animated and print attacks too.
VIDEO_RECIPES = {
    "bona_fide": 3,
    "animated_photo": 3,
    "replay": 1,
    "print": 1,
    "face_swap": 1,
    "self_blend": 1,
    "face_resynth": 1,
}
PHOTO_RECIPES = {"bona_fide": 1, "animated_photo": 1, "replay": 1, "print": 1}


def plan_jobs(sources: list[RealSource], *, scale: float = 1.0, seed: int = 0) -> list[Job]:
    """Jobs for every source; partners (drivers, swap donors) come from the same split but
    another person, so no sample mixes train and held-out persons."""
    rng = np.random.default_rng(seed)
    by_split: dict[str, list[int]] = {}
    videos_by_split: dict[str, list[int]] = {}
    for i, s in enumerate(sources):
        by_split.setdefault(s.item.split, []).append(i)
        if s.item.is_video:
            videos_by_split.setdefault(s.item.split, []).append(i)
    jobs: list[Job] = []
    for i, s in enumerate(sources):
        if s.item.label != "bona_fide":
            continue
        recipes = VIDEO_RECIPES if s.item.is_video else PHOTO_RECIPES
        for recipe, count in recipes.items():
            n = int(np.floor(count * scale + rng.random()))
            for k in range(n):
                pool = (
                    videos_by_split.get(s.item.split, []) if recipe in ("animated_photo",) else by_split[s.item.split]
                )
                others = [j for j in pool if sources[j].item.person != s.item.person] or [i]
                partner = int(rng.choice(others))
                key = f"{recipe}-{s.item.path.stem}-{k}"
                jobs.append(Job(key=key, recipe=recipe, source=i, partner=partner, seed=_seed(seed, key)))
    return jobs


_WORKER_SOURCES: list[RealSource] = []
_WORKER_AUTOENCODERS: list = []


def _init_worker(autoencoder_paths: list[str]) -> None:
    """Runs in each forked worker: fresh ONNX sessions (thread pools do not survive fork) and
    the autoencoders on ONNX Runtime (torch is never used after a fork)."""
    global _WORKER_AUTOENCODERS
    from liveness.faces import clear_model_cache
    from training.generator_sim import OnnxAutoencoder

    clear_model_cache()
    _WORKER_AUTOENCODERS = [OnnxAutoencoder(Path(p)) for p in autoencoder_paths]


def _train_autoencoders_job(crops: np.ndarray, path: str, minutes: float, seed: int) -> list[str]:
    import torch

    from training.generator_sim import export_autoencoders, train_autoencoders

    torch.set_num_threads(2)
    states = train_autoencoders(crops, minutes=minutes, seed=seed)
    torch.save(states, path)
    return [str(p) for p in export_autoencoders(states, Path(path).parent)]


def prepare_autoencoders(sources: list[RealSource], out_dir: Path, *, minutes: float, seed: int) -> list[str]:
    """Train the generator-texture autoencoders on training persons' face crops (cached).

    Trained in a spawned process so this process never starts torch's OpenMP threads before
    it forks the synthesis workers.
    """
    import multiprocessing

    from training.generator_sim import crop_square, face_square

    path = out_dir / "autoencoders.pt"
    onnx_paths = [str(out_dir / f"autoencoder_{kind}.onnx") for kind in ("transpose", "resize")]
    if path.exists() and all(Path(p).exists() for p in onnx_paths):
        return onnx_paths
    crops = [
        crop_square(frame, *face_square(lm))[0]
        for s in sources
        if s.item.split == "train"
        for frame, lm in zip(s.frames[::6], s.landmarks[::6], strict=True)
    ]
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_train_autoencoders_job, np.stack(crops), str(path), minutes, seed).result()


def _run_job(job: Job, out_dir: str) -> str | None:
    sources = _WORKER_SOURCES
    target = Path(out_dir) / f"{job.key}.npz"
    if target.exists():
        return str(target)
    src = sources[job.source]
    frames = synthesize(job, sources)
    label, species = RECIPE_SPECIES[job.recipe]
    kind = "video" if src.item.is_video or job.recipe in ("animated_photo", "print") else "image"
    if kind == "image":
        frames = frames[:1]
    sample = make_sample(frames, kind=kind, label=label, species=species, item=src.item, recipe=job.recipe)
    if sample is None:
        return None
    tmp = target.with_suffix(".tmp.npz")
    np.savez(tmp, **sample)
    tmp.replace(target)
    return str(target)


def real_image_samples(items: list[Item], out_dir: Path) -> Iterator[Path]:
    """Real photos (and attack photos meant for training) as single-image samples."""
    for item in tqdm(items, desc="real images", unit="img"):
        target = out_dir / f"real-{item.source}-{item.path.stem}.npz"
        if not target.exists():
            try:
                frames = load_media(item.path)
            except LivenessError:
                continue
            sample = make_sample(
                frames.images[:1], kind="image", label=item.label, species=item.species, item=item, recipe="real"
            )
            if sample is None:
                continue
            np.savez(target, **sample)
        yield target


def build(
    items: list[Item],
    out_dir: Path,
    *,
    scale: float = 1.0,
    workers: int = 2,
    seed: int = 0,
    autoencoder_minutes: float = 5.0,
) -> list[Path]:
    """Make every sample of the train and val splits; returns the written .npz paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    usable = [it for it in items if it.split in ("train", "val")]
    paths = list(
        real_image_samples(
            [
                it
                for it in usable
                if (not it.is_video and it.trainable)
                or (not it.is_video and it.split == "val" and it.label == "bona_fide")
            ],
            out_dir,
        )
    )
    sources = []
    for item in tqdm([it for it in usable if it.label == "bona_fide"], desc="real sources", unit="file"):
        source = load_source(item)
        if source is not None:
            sources.append(source)
    jobs = plan_jobs(sources, scale=scale, seed=seed)
    autoencoder_paths = prepare_autoencoders(sources, out_dir, minutes=autoencoder_minutes, seed=seed)
    # Forked workers inherit the sources without pickling gigabytes of frames.
    global _WORKER_SOURCES
    _WORKER_SOURCES = sources
    context = multiprocessing.get_context("fork")
    # Collect, then freeze, this process's garbage before forking: a child that collects an
    # inherited PyAV frame frees its scaler's thread pool, whose threads it does not have,
    # and hangs for ever.
    gc.collect()
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(autoencoder_paths,)
        ) as pool:
            futures = [pool.submit(_run_job, job, str(out_dir)) for job in jobs]
            for future in tqdm(as_completed(futures), total=len(futures), desc="synthesize", unit="clip"):
                result = future.result()
                if result:
                    paths.append(Path(result))
    finally:
        gc.unfreeze()
    return paths
