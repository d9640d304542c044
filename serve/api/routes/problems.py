"""``GET /problems/{slug}``: the documentation behind each problem ``type`` URI."""

from __future__ import annotations

from fastapi import APIRouter

from serve.api.schemas import ProblemTypeDoc, problem_responses
from serve.core.errors import PROBLEM_TYPES, ProblemError, ProblemType

router = APIRouter(prefix="/problems", tags=["problems"])

NOT_FOUND = ProblemType("", 404, "Not Found", "Not Found")


def _doc(problem: ProblemType) -> ProblemTypeDoc:
    return ProblemTypeDoc(
        type=problem.uri, title=problem.title, status=problem.status,
        description=problem.description,
    )


@router.get("", summary="Every problem type this service answers with")
async def list_problem_types() -> list[ProblemTypeDoc]:
    return [_doc(p) for p in PROBLEM_TYPES.values()]


@router.get("/{slug}", responses=problem_responses(404), summary="One problem type")
async def get_problem_type(slug: str) -> ProblemTypeDoc:
    problem = PROBLEM_TYPES.get(slug)
    if problem is None:
        raise ProblemError(NOT_FOUND, f"no problem type {slug!r}")
    return _doc(problem)
