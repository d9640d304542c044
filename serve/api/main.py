"""The API's routers, in one place; ``serve.main.create_app`` mounts them."""

from fastapi import APIRouter

from serve.api.routes import attempts, health, problems

api_router = APIRouter()
api_router.include_router(attempts.router)
api_router.include_router(health.router)
api_router.include_router(problems.router)
