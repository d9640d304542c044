"""How the pipeline calls a model on a batch: directly, or through a batcher.

The scorer never calls ``session.run`` itself; it hands batches to a ``ModelRunner`` so a
service can merge crops from concurrent requests into one call (dynamic micro-batching)
without the pipeline knowing.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from liveness.models.manifest import LoadedModel


class ModelRunner(Protocol):
    def run(self, model: LoadedModel, batch: np.ndarray) -> np.ndarray:
        """Run ``model`` on ``batch`` (first axis = items) and return its first output."""
        ...


class DirectRunner:
    """Runs each batch at once in the calling thread."""

    def run(self, model: LoadedModel, batch: np.ndarray) -> np.ndarray:
        return model.run(batch)[0]
