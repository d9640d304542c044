"""Model registry: a builder per name; the name is the manifest key end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

ModelBuilder = Callable[..., nn.Module]
_REGISTRY: dict[str, ModelBuilder] = {}
_DEFAULT_CFGS: dict[str, dict[str, Any]] = {}


def register_model(name: str, *, default_cfg: dict[str, Any]) -> Callable[[ModelBuilder], ModelBuilder]:
    """Record ``builder`` under ``name`` with its input spec (``default_cfg['input']``)."""

    def wrap(builder: ModelBuilder) -> ModelBuilder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = builder
        _DEFAULT_CFGS[name] = default_cfg
        return builder

    return wrap


def list_models() -> list[str]:
    _import_architectures()
    return sorted(_REGISTRY)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    _import_architectures()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**kwargs)


def default_cfg(name: str) -> dict[str, Any]:
    _import_architectures()
    if name not in _DEFAULT_CFGS:
        raise ValueError(f"unknown model {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    return dict(_DEFAULT_CFGS[name])


def _import_architectures() -> None:
    # Importing the architecture modules runs their @register_model decorators.
    from training.models import clip_net, doc_forgery, doc_locator, doc_portrait, frame_cnn  # noqa: F401
