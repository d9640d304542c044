"""Every registered architecture: forward shapes, ONNX export parity, registry errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from liveness.models.manifest import InputSpec
from liveness.models.runtime import create_session
from training.export import PARITY_ATOL, example_input, export_onnx
from training.models.registry import create_model, default_cfg, list_models

REPO = Path(__file__).resolve().parents[2]


def _logits(out: torch.Tensor | tuple[torch.Tensor, ...]) -> torch.Tensor:
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", list_models())
def test_forward_gives_class_logits(name: str) -> None:
    model = create_model(name).eval()
    cfg = default_cfg(name)
    with torch.no_grad():
        out = model(example_input(name, batch=3))
    if "output_stride" in cfg:  # a dense map (the document locator): one logit per cell
        h, w = cfg["input"]["size"]
        assert _logits(out).shape == (3, len(cfg["classes"]), h // cfg["output_stride"], w // cfg["output_stride"])
    else:
        assert _logits(out).shape == (3, len(cfg["classes"]))
    assert all(torch.isfinite(t).all() for t in (out if isinstance(out, tuple) else (out,)))


def test_doc_forgery_heatmap_has_the_stride_of_its_cfg() -> None:
    cfg = default_cfg("doc_forgery")
    h, w = cfg["input"]["size"]
    with torch.no_grad():
        _, heat = create_model("doc_forgery").eval()(example_input("doc_forgery", batch=2))
    assert heat.shape == (2, 1, h // cfg["heatmap_stride"], w // cfg["heatmap_stride"])


@pytest.mark.parametrize("name", list_models())
def test_onnx_export_matches_torch(name: str, tmp_path) -> None:
    model = create_model(name, width=8)
    # Batch-norm statistics from real forward passes, so activations do not vanish and
    # parity is checked on more than the output biases.
    for module in model.modules():
        if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            module.momentum = None  # cumulative average: running stats = the batches' stats
            module.reset_running_stats()
    model.train()
    with torch.no_grad():
        for seed in range(3):
            x = example_input(name, batch=8, seed=seed)
            x[: len(x) // 2] += torch.linspace(-2, 2, len(x) // 2).view(-1, *([1] * (x.dim() - 1)))
            model(x)
    model.eval()
    path = tmp_path / f"{name}.onnx"
    gap = export_onnx(model, name, path)
    assert gap <= PARITY_ATOL
    session = create_session(path, threads=1, device="cpu")
    x = example_input(name, batch=4, seed=7)
    x[0] = -2.0  # flat dark vs flat bright: random inputs average out to the same pooled features
    x[1] = 2.0
    got = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        expected = _logits(model(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=PARITY_ATOL)
    # Different inputs give different outputs: the exported graph is not constant.
    assert np.abs(got[0] - got[1]).max() > 1e-4
    # Nothing of the checkout's paths is kept: the same weights give the same file anywhere.
    assert str(REPO).encode() not in path.read_bytes() and b"stack_trace" not in path.read_bytes()


@pytest.mark.parametrize("name", list_models())
def test_input_spec_round_trips(name: str) -> None:
    spec = InputSpec.from_dict(default_cfg(name)["input"])
    assert InputSpec.from_dict(spec.to_dict()) == spec
    crops = np.zeros((2, *spec.size, 3), np.uint8)
    x = spec.normalize(crops)
    assert x.shape == (2, 3, *spec.size)


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="frame_cnn"):
        create_model("resnet9000")
