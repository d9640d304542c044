"""The attempt scorer: media → frames → face track → model inputs → scores → decision.

One ``Scorer`` is built per process (models opened once); ``score`` is thread-safe because
ONNX Runtime sessions are, and all per-attempt state lives on the stack.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from liveness.config import MediaLimits, SamplingConfig
from liveness.documents.forgery import FORGERY_MODEL
from liveness.documents.scorer import DocumentScorer, documents_attempt
from liveness.errors import FaceError, ModelError
from liveness.faces import FaceDetector, FaceLandmarker, track_face
from liveness.inputs import FRAME_CROPS_PER_ATTEMPT, build_inputs, clip_windows
from liveness.media import load_media
from liveness.models.manifest import WEIGHTS_DIR, LoadedModel, load_model, read_manifest
from liveness.models.runner import DirectRunner, ModelRunner
from liveness.motion import FEATURE_NAMES
from liveness.result import LOW_QUALITY, MULTIPLE_FACES, AttemptResult
from liveness.scoring.fusion import (
    CLASSES,
    LogisticFusion,
    SpeciesNamer,
    attack_reason,
    sigmoid,
    softmax,
    spoof_logit,
)
from liveness.skin_color import SKIN_COLOR_NAMES
from liveness.texture import TEXTURE_DYNAMICS_NAMES, TEXTURE_NAMES
from liveness.types import FaceTrack, Frames

MediaSource = str | Path | bytes | Sequence[str | Path | bytes]
FRAME_MODEL = "frame_cnn"
CLIP_MODEL = "clip_net"
FRAME_SPOOF_LOGIT = "frame_spoof_logit"
CLIP_SPOOF_LOGIT = "clip_spoof_logit"


class Scorer:
    """Scores attempts with the models listed in the manifest.

    Parameters
    ----------
    weights_dir : folder with ``manifest.json`` (default: the shipped ``weights/``).
    runner : how batches reach the models (a service passes its micro-batcher).
    device : "cpu", "cuda" or None (auto: CUDA when available).
    """

    def __init__(
        self,
        *,
        weights_dir: Path | None = None,
        runner: ModelRunner | None = None,
        device: str | None = None,
        limits: MediaLimits | None = None,
        sampling: SamplingConfig | None = None,
        threads: int | None = None,
        document_ocr: bool | None = None,
    ) -> None:
        self.weights_dir = weights_dir or WEIGHTS_DIR
        self.runner: ModelRunner = runner or DirectRunner()
        self.limits = limits or MediaLimits()
        self.sampling = sampling or SamplingConfig()
        manifest = read_manifest(self.weights_dir)
        if "fusion" not in manifest:
            raise ModelError(f"the manifest in {self.weights_dir} has no trained fusion; run `liveness export`")
        self.video_fusion = LogisticFusion.from_dict(manifest["fusion"]["video"])
        self.image_fusion = LogisticFusion.from_dict(manifest["fusion"]["image"])
        # Names the attack of a flagged video; older manifests have none (the CNNs name it).
        namer = manifest["fusion"].get("video_species")
        self.video_species = SpeciesNamer.from_dict(namer) if namer is not None else None
        fitted = [self.video_fusion, self.image_fusion, *([self.video_species] if self.video_species else [])]
        for fit in fitted:
            unknown = sorted(set(fit.features) - set(FUSION_INPUTS))
            if unknown:
                # A missing value would silently count as 0 and shift every score.
                raise ModelError(f"the fusion in {self.weights_dir} needs inputs this runtime does not make: {unknown}")
        # The motion features cost ~30 ms on a 720p attempt; skip them when no fusion reads them.
        self._fusion_uses_motion = any(set(FEATURE_NAMES) & set(fit.features) for fit in fitted)
        self.frame_model: LoadedModel = load_model(
            FRAME_MODEL, weights_dir=self.weights_dir, device=device, threads=threads
        )
        self.clip_model: LoadedModel = load_model(
            CLIP_MODEL, weights_dir=self.weights_dir, device=device, threads=threads
        )
        self.detector = FaceDetector(weights_dir=self.weights_dir)
        self.landmarker = FaceLandmarker(weights_dir=self.weights_dir)
        # One entry per kind; the detector has two variants (short range, full range fallback).
        versions: dict[str, list[str]] = {}
        for entry in manifest["models"].values():
            if entry.get("kind") in ("face_detector", "face_landmarks"):
                versions.setdefault(entry["kind"], []).append(str(entry.get("version", "0")))
        self._face_versions = {kind: "+".join(sorted(v)) for kind, v in versions.items()}
        # The ID-document checks, when the manifest ships their model.
        self.documents: DocumentScorer | None = None
        if FORGERY_MODEL in manifest["models"]:
            self.documents = DocumentScorer(
                weights_dir=self.weights_dir, device=device, threads=threads, limits=self.limits, ocr=document_ocr
            )

    @property
    def model_versions(self) -> dict[str, str]:
        return {m.name: m.version for m in (self.frame_model, self.clip_model)} | self._face_versions

    @property
    def provider(self) -> str:
        return self.frame_model.provider

    def warmup(self) -> None:
        """Run every model once so the first request does not pay session start-up."""
        spec_f, spec_c = self.frame_model.spec, self.clip_model.spec
        self.runner.run(self.frame_model, np.zeros((1, 3, *spec_f.size), np.float32))
        self.runner.run(self.clip_model, np.zeros((1, spec_c.frames, 3, *spec_c.size), np.float32))
        blank = np.zeros((256, 256, 3), np.uint8)
        self.detector.detect(blank)
        if self.documents is not None:
            w, h = self.documents.model.input_size
            self.documents.model.predict(np.zeros((1, h, w, 3), np.uint8))

    def score_documents(self, id_front: bytes | None, id_back: bytes | None) -> AttemptResult:
        """Check an attempt's ID images (either may be None); bad images give reasons."""
        if self.documents is None:
            raise ModelError(
                f"the manifest in {self.weights_dir} has no {FORGERY_MODEL!r} model", code="DOCUMENTS_NOT_AVAILABLE"
            )
        results = {
            side: self.documents.score(data, name=side, side=side)
            for side, data in (("front", id_front), ("back", id_back))
            if data is not None
        }
        return documents_attempt(results, media="documents")

    def score(self, media: MediaSource, *, name: str = "") -> AttemptResult:
        """Score one attempt: a video, a folder or list of frames, or an image.

        Unreadable media raise ``MediaError``; an attempt where no face is found returns a
        failure to acquire (``spoof_score`` None, decision "reject", reason NO_FACE).
        """
        t0 = time.perf_counter()
        frames = self._load(media)
        timings = {"decode": (time.perf_counter() - t0) * 1000}
        label = name or (str(media) if isinstance(media, (str, Path)) else frames.source)
        return self.score_frames(frames, name=label, timings=timings)

    def _attack_reason(self, values: dict[str, float], class_probs: np.ndarray, *, video: bool) -> str:
        """A flagged attempt's attack: the species namer for videos when the manifest has one,
        else the CNNs' most likely attack class."""
        if video and self.video_species is not None:
            return self.video_species.reason(values)
        return attack_reason(class_probs)

    def score_frames(self, frames: Frames, *, name: str = "", timings: dict[str, float] | None = None) -> AttemptResult:
        timings = dict(timings or {})
        t = time.perf_counter()
        try:
            track = track_face(frames, detector=self.detector, landmarker=self.landmarker)
        except FaceError as exc:
            timings["face"] = (time.perf_counter() - t) * 1000
            return AttemptResult(
                media=name,
                decision="reject",
                spoof_score=None,
                reasons=[exc.code],
                model_versions=self.model_versions,
                timings_ms=timings,
                error=exc.message,
            )
        timings["face"] = (time.perf_counter() - t) * 1000

        values, class_probs = self._feature_values(frames, track, timings, motion=self._fusion_uses_motion)
        video = CLIP_SPOOF_LOGIT in values
        fusion = self.video_fusion if video else self.image_fusion
        spoof_score = fusion.score(values)
        decision = fusion.decide(spoof_score)
        reasons = [self._attack_reason(values, class_probs, video=video)] if decision != "pass" else []
        if MULTIPLE_FACES in track.reasons or track.max_faces_seen > 1:
            reasons.append(MULTIPLE_FACES)
            decision = "review" if decision == "pass" else decision
        if LOW_QUALITY in track.reasons:
            reasons.append(LOW_QUALITY)
            decision = "review" if decision == "pass" else decision
        scores = {"frame_cnn": sigmoid(values[FRAME_SPOOF_LOGIT])}
        if video:
            scores["clip_net"] = sigmoid(values[CLIP_SPOOF_LOGIT])
        timings["total"] = sum(timings.values())
        return AttemptResult(
            media=name,
            decision=decision,
            spoof_score=spoof_score,
            scores=scores,
            reasons=reasons,
            model_versions=self.model_versions,
            timings_ms=timings,
        )

    def _feature_values(
        self, frames: Frames, track: FaceTrack, timings: dict[str, float], *, motion: bool
    ) -> tuple[dict[str, float], np.ndarray]:
        """Every value a fusion may use (model log-odds, class probabilities, texture and, with
        ``motion``, motion features), and the mean class probabilities that name the attack
        species. Clip values are present only for videos with at least 3 tracked frames."""
        t = time.perf_counter()
        inputs = build_inputs(
            frames, track, frame_spec=self.frame_model.spec, clip_spec=self.clip_model.spec, motion=motion
        )
        timings["crops"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        frame_probs = softmax(self.runner.run(self.frame_model, self.frame_model.spec.normalize(inputs.frame_crops)))
        timings[FRAME_MODEL] = (time.perf_counter() - t) * 1000
        values: dict[str, float] = {FRAME_SPOOF_LOGIT: float(spoof_logit(frame_probs).mean())}
        values.update(class_probability_values("frame", frame_probs))
        values.update(zip(TEXTURE_NAMES, map(float, inputs.texture), strict=True))
        class_probs = frame_probs.mean(axis=0)
        if frames.kind != "image" and len(inputs.clip_crops) >= 3:
            t = time.perf_counter()
            windows = clip_windows(len(inputs.clip_crops), self.clip_model.spec.frames)
            clips = np.stack([self.clip_model.spec.normalize(inputs.clip_crops[w]) for w in windows])
            clip_probs = softmax(self.runner.run(self.clip_model, clips))
            timings[CLIP_MODEL] = (time.perf_counter() - t) * 1000
            values[CLIP_SPOOF_LOGIT] = float(spoof_logit(clip_probs).mean())
            values.update(class_probability_values("clip", clip_probs))
            values.update(zip(SKIN_COLOR_NAMES, map(float, inputs.skin_color), strict=True))
            values.update(zip(TEXTURE_DYNAMICS_NAMES, map(float, inputs.texture_dynamics), strict=True))
            if motion:
                values.update(zip(FEATURE_NAMES, map(float, inputs.motion), strict=True))
            class_probs = 0.5 * class_probs + 0.5 * clip_probs.mean(axis=0)
        return values, class_probs

    def attempt_features(self, media: MediaSource) -> dict[str, float] | None:
        """The fusion's input values for one attempt (None when no face is tracked); what
        ``training/`` fits a fusion on, computed exactly as ``score`` computes them."""
        frames = self._load(media)
        try:
            track = track_face(frames, detector=self.detector, landmarker=self.landmarker)
        except FaceError:
            return None
        return self._feature_values(frames, track, {}, motion=True)[0]

    def _load(self, media: MediaSource) -> Frames:
        return load_media(
            media if not isinstance(media, Sequence) or isinstance(media, (str, bytes)) else list(media),
            limits=self.limits,
            sampling=self.sampling,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "models": self.model_versions,
            "frame_crops_per_attempt": FRAME_CROPS_PER_ATTEMPT,
        }


def class_probability_names(model: str) -> tuple[str, ...]:
    return tuple(f"{model}_p_{name}" for name in CLASSES)


def class_probability_values(model: str, probs: np.ndarray) -> dict[str, float]:
    """Mean class probabilities of one model as fusion values, e.g. ``clip_p_animated_photo``."""
    return dict(zip(class_probability_names(model), map(float, probs.mean(axis=0)), strict=True))


# Every value ``Scorer`` computes for a fusion (what a manifest's fusion may list).
FUSION_INPUTS: tuple[str, ...] = (
    FRAME_SPOOF_LOGIT,
    CLIP_SPOOF_LOGIT,
    *class_probability_names("frame"),
    *class_probability_names("clip"),
    *FEATURE_NAMES,
    *TEXTURE_NAMES,
    *TEXTURE_DYNAMICS_NAMES,
    *SKIN_COLOR_NAMES,
)
