"""``POST /v1/attempts``, ``/v1/liveness`` and ``/v1/documents``: one answer shape for all."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from serve.api.deps import ApiKeyDep, ProcessorDep, SettingsDep
from serve.api.schemas import AttemptAnswer, problem_responses
from serve.attempts import Outcome, Submission
from serve.core.config import Settings
from serve.core.errors import VALIDATION_ERROR, ProblemError

router = APIRouter(prefix="/v1", tags=["attempts"])

ATTEMPT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

VideoPart = Annotated[
    UploadFile | None,
    File(description="A selfie video (MP4/MOV/WebM/AVI). Give exactly one of video, frames, image."),
]
FramesPart = Annotated[
    list[UploadFile] | None,
    File(description="Selfie frames as images, in order (repeat the field)."),
]
ImagePart = Annotated[UploadFile | None, File(description="One selfie image (JPEG/PNG/WebP/BMP).")]
IdFrontPart = Annotated[
    UploadFile | None,
    File(description="Front of the ID document (image; a scanned page holding both sides may be sent as both)."),
]
IdBackPart = Annotated[
    UploadFile | None,
    File(description="Back of the ID document (image; may be the same scanned page as the front)."),
]
AttemptIdPart = Annotated[
    str | None,
    Form(
        pattern=ATTEMPT_ID_PATTERN,
        description="Idempotency key: the same id with the same files returns the stored "
        "answer and is never scored twice.",
    ),
]
MetadataPart = Annotated[
    str | None, Form(description="A JSON object, stored as sent in the audit log.")
]

_SCORING_PROBLEMS = problem_responses(400, 401, 409, 413, 415, 422, 500, 503)


def _validation(detail: str, loc: list[str]) -> ProblemError:
    return ProblemError(
        VALIDATION_ERROR, detail,
        extra={"errors": [{"loc": loc, "msg": detail, "type": "value_error"}]},
    )


async def _refuse_id_images(request: Request) -> None:
    """ID images sent to the selfie-only endpoint would be dropped unchecked and the answer
    read as if they had passed: refuse them and say where they go."""
    form = await request.form()  # already parsed for the declared fields: no second read
    for field in ("id_front", "id_back"):
        if field in form:
            raise _validation(
                f"/v1/liveness scores the selfie only; send {field} to /v1/attempts (with the selfie) "
                "or /v1/documents",
                ["body", field],
            )


def _check_metadata(metadata: str | None, settings: Settings) -> None:
    if metadata is None:
        return
    if len(metadata.encode()) > settings.max_metadata_bytes:
        raise _validation(
            f"metadata exceeds {settings.max_metadata_bytes} bytes", ["body", "metadata"]
        )
    try:
        parsed: Any = json.loads(metadata)
    except ValueError:
        raise _validation("metadata is not valid JSON", ["body", "metadata"]) from None
    if not isinstance(parsed, dict):
        raise _validation("metadata must be a JSON object", ["body", "metadata"])


def _face_submission(
    endpoint: str,
    settings: Settings,
    video: UploadFile | None,
    frames: list[UploadFile] | None,
    image: UploadFile | None,
) -> Submission:
    given = [name for name, part in (("video", video), ("frames", frames), ("image", image)) if part]
    if len(given) != 1:
        found = ", ".join(given) or "none"
        raise _validation(
            f"send exactly one of video, frames or image (found: {found})", ["body"]
        )
    if frames and len(frames) > settings.max_frames:
        raise _validation(
            f"at most {settings.max_frames} frames per attempt (got {len(frames)})",
            ["body", "frames"],
        )
    parts = [video] if video else frames if frames else [image]
    return Submission(
        endpoint=endpoint, face_field=given[0], face_files=[p.file for p in parts if p]
    )


def _respond(request: Request, outcome: Outcome) -> JSONResponse:
    request.scope.setdefault("state", {})["decision"] = outcome.body.get("decision")
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, headers=headers)


@router.post(
    "/attempts",
    response_model=AttemptAnswer,
    responses=_SCORING_PROBLEMS,
    summary="Score a KYC attempt: selfie media plus optional ID images",
)
async def create_attempt(
    request: Request,
    processor: ProcessorDep,
    settings: SettingsDep,
    api_key_id: ApiKeyDep,
    video: VideoPart = None,
    frames: FramesPart = None,
    image: ImagePart = None,
    id_front: IdFrontPart = None,
    id_back: IdBackPart = None,
    attempt_id: AttemptIdPart = None,
    metadata: MetadataPart = None,
) -> JSONResponse:
    """Decide whether the selfie is a live person and, when ID images come with it, whether
    they look forged; the stricter decision wins and ``documents`` holds the per-image details.

    When the deployed weights have no document model, ID images are only hashed into the
    audit log and the answer carries the reason ``ID_NOT_CHECKED``.
    """
    _check_metadata(metadata, settings)
    submission = _face_submission("/v1/attempts", settings, video, frames, image)
    submission.id_files = [(n, p.file) for n, p in (("id_front", id_front), ("id_back", id_back)) if p]
    submission.attempt_id, submission.metadata = attempt_id, metadata
    return _respond(request, await processor.process(submission, api_key_id=api_key_id))


@router.post(
    "/liveness",
    response_model=AttemptAnswer,
    responses=_SCORING_PROBLEMS,
    summary="Score selfie media only (face liveness)",
)
async def create_liveness(
    request: Request,
    processor: ProcessorDep,
    settings: SettingsDep,
    api_key_id: ApiKeyDep,
    video: VideoPart = None,
    frames: FramesPart = None,
    image: ImagePart = None,
    attempt_id: AttemptIdPart = None,
    metadata: MetadataPart = None,
) -> JSONResponse:
    """Decide whether the selfie is a live person (no ID document)."""
    _check_metadata(metadata, settings)
    await _refuse_id_images(request)
    submission = _face_submission("/v1/liveness", settings, video, frames, image)
    submission.attempt_id, submission.metadata = attempt_id, metadata
    return _respond(request, await processor.process(submission, api_key_id=api_key_id))


@router.post(
    "/documents",
    response_model=AttemptAnswer,
    responses=problem_responses(400, 401, 409, 413, 415, 422, 500, 501, 503),
    summary="Check ID document images for forgery (501 when the weights have no document model)",
)
async def create_document_check(
    request: Request,
    processor: ProcessorDep,
    settings: SettingsDep,
    api_key_id: ApiKeyDep,
    id_front: Annotated[
        UploadFile,
        File(description="Front of the ID document (image; a scanned page holding both sides may be sent as both)."),
    ],
    id_back: IdBackPart = None,
    attempt_id: AttemptIdPart = None,
    metadata: MetadataPart = None,
) -> JSONResponse:
    """Check ID document images: forgery score and species, forged regions, capture quality
    and (with OCR) MRZ / ID-number rules. Unreadable images give reason codes, not errors."""
    _check_metadata(metadata, settings)
    submission = Submission(
        endpoint="/v1/documents",
        id_files=[(n, p.file) for n, p in (("id_front", id_front), ("id_back", id_back)) if p],
        attempt_id=attempt_id,
        metadata=metadata,
    )
    return _respond(request, await processor.process(submission, api_key_id=api_key_id))
