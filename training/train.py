"""Train frame_cnn and clip_net on the built samples, then fit the fusion on held-out persons.

Everything runs on CPU with progress bars; a run folder keeps checkpoints, the fitted
fusion, validation predictions and a log, so ``liveness export`` can ship it.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from liveness.inputs import clip_windows
from liveness.motion import FEATURE_NAMES
from liveness.scoring.fusion import softmax, spoof_logit
from training.fusion_fit import fit_fusion
from training.models.frame_cnn import CLASSES
from training.models.registry import create_model, default_cfg


@dataclass
class TrainConfig:
    frame_epochs: int = 14
    clip_epochs: int = 30
    batch_frames: int = 64
    batch_clips: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    fourier_weight: float = 0.5
    threads: int = 2
    seed: int = 0
    max_minutes: float = 60.0
    notes: dict = field(default_factory=dict)


@dataclass
class SampleSet:
    """All built samples in memory, one row per sample."""

    frame_crops: list[np.ndarray]
    clip_crops: list[np.ndarray]
    motion: list[np.ndarray]
    labels: np.ndarray
    species: list[str]
    split: list[str]
    kind: list[str]
    recipe: list[str]
    person: list[str]

    @classmethod
    def load(cls, paths: list[Path]) -> SampleSet:
        cols: dict[str, list] = {
            k: []
            for k in ("frame_crops", "clip_crops", "motion", "labels", "species", "split", "kind", "recipe", "person")
        }
        for p in tqdm(sorted(paths), desc="load samples", unit="file"):
            with np.load(p, allow_pickle=False) as z:
                cols["frame_crops"].append(z["frame_crops"])
                cols["clip_crops"].append(z["clip_crops"])
                cols["motion"].append(z["motion"])
                cols["labels"].append(int(z["label"]))
                for k in ("species", "split", "kind", "recipe", "person"):
                    cols[k].append(str(z[k]))
        labels = np.asarray(cols.pop("labels"), np.int64)
        return cls(labels=labels, **cols)

    def index(self, *, split: str, kind: str | None = None) -> np.ndarray:
        return np.array(
            [i for i in range(len(self.labels)) if self.split[i] == split and (kind is None or self.kind[i] == kind)],
            np.int64,
        )


def normalize_images(batch_uint8: np.ndarray, mean: float = 0.5, std: float = 0.25) -> torch.Tensor:
    x = torch.from_numpy(batch_uint8).float().div_(255.0)
    x = (x - mean) / std
    return x.movedim(-1, -3).contiguous()


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Photometric and small geometric jitter, the same for every frame of a clip.

    x: (N, ..., C, H, W) normalized; the leading axis is the sample.
    """
    n = x.shape[0]
    shape = (n,) + (1,) * (x.dim() - 1)
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.view(shape), x.flip(-1), x)
    gain = 1 + 0.25 * (torch.rand(shape, generator=gen) - 0.5)
    bias = 0.3 * (torch.rand(shape, generator=gen) - 0.5)
    x = x * gain + bias
    shift = torch.randint(-4, 5, (2,), generator=gen)
    return torch.roll(x, shifts=(int(shift[0]), int(shift[1])), dims=(-2, -1))


def _fourier_target(crops_uint8: np.ndarray, size: int = 16) -> torch.Tensor:
    grey = crops_uint8.astype(np.float32).mean(-1)
    spec = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(grey), axes=(-2, -1))))
    h = spec.shape[-1]
    spec = spec.reshape(len(spec), size, h // size, size, h // size).mean((2, 4))
    spec = (spec - spec.mean((1, 2), keepdims=True)) / (spec.std((1, 2), keepdims=True) + 1e-6)
    return torch.from_numpy(spec[:, None].astype(np.float32))


def class_weights(labels: np.ndarray, n_classes: int = len(CLASSES)) -> torch.Tensor:
    """Square-rooted inverse class frequencies: rare species count more, not overwhelmingly."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n_classes, 0.0)
    return torch.tensor(np.sqrt(w), dtype=torch.float32)


BatchLoss = Callable[[torch.nn.Module, np.ndarray], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def fit_model(
    name: str,
    n_items: int,
    batch_loss: BatchLoss,
    *,
    epochs: int,
    batch_size: int,
    cfg: TrainConfig,
    seed: int,
    log: list[dict],
    init_state: dict[str, torch.Tensor] | None = None,
    evaluate: Callable[[torch.nn.Module], dict[str, float]] | None = None,
) -> torch.nn.Module:
    """One training loop for every model: AdamW + one-cycle LR, a progress bar, a log line
    per epoch. ``batch_loss(model, item_indices) -> (loss, logits, labels)``; ``init_state``
    starts from those weights instead of random ones; ``evaluate(model)`` (in eval mode)
    adds validation figures to each epoch's log line."""
    model = create_model(name)
    if init_state is not None:
        model.load_state_dict(init_state)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = epochs * int(np.ceil(n_items / batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.15)
    rng = np.random.default_rng(seed)
    bar = tqdm(total=steps, desc=name, unit="batch")
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(n_items)
        total, correct, loss_sum = 0, 0, 0.0
        for start in range(0, n_items, batch_size):
            idx = order[start : start + batch_size]
            loss, logits, y = batch_loss(model, idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            total += len(idx)
            correct += int((logits.argmax(1) == y).sum())
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{loss_sum / total:.3f}", acc=f"{correct / total:.3f}")
        entry = {"model": name, "epoch": epoch, "loss": loss_sum / total, "acc": correct / total}
        if evaluate is not None:
            entry["val"] = evaluate(model.eval())
            tqdm.write(f"{name} epoch {epoch}: {json.dumps(entry['val'])}")
        log.append(entry)
    bar.close()
    return model.eval()


def train_frame_model(data: SampleSet, cfg: TrainConfig, log: list[dict]) -> torch.nn.Module:
    train_idx = data.index(split="train")
    crops = np.concatenate([data.frame_crops[i] for i in train_idx])
    labels = np.concatenate([np.full(len(data.frame_crops[i]), data.labels[i]) for i in train_idx])
    weights = class_weights(labels)
    gen = torch.Generator().manual_seed(cfg.seed)

    def batch_loss(model: torch.nn.Module, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = _augment(normalize_images(crops[idx]), gen)
        y = torch.from_numpy(labels[idx])
        logits, fourier = model.forward_train(x)
        loss = F.cross_entropy(logits, y, weight=weights, label_smoothing=0.05)
        loss = loss + cfg.fourier_weight * F.mse_loss(fourier, _fourier_target(crops[idx]))
        return loss, logits, y

    return fit_model(
        "frame_cnn",
        len(crops),
        batch_loss,
        epochs=cfg.frame_epochs,
        batch_size=cfg.batch_frames,
        cfg=cfg,
        seed=cfg.seed,
        log=log,
    )


def _clip_batch(data: SampleSet, idx: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    out = []
    for i in idx:
        crops = data.clip_crops[i]
        windows = clip_windows(len(crops), length, max_windows=4)
        out.append(crops[windows[int(rng.integers(len(windows)))]])
    return np.stack(out)


def train_clip_model(data: SampleSet, cfg: TrainConfig, log: list[dict]) -> torch.nn.Module:
    length = int(default_cfg("clip_net")["input"]["frames"])
    train_idx = data.index(split="train", kind="video")
    train_idx = train_idx[[len(data.clip_crops[i]) >= 3 for i in train_idx]]
    labels = data.labels[train_idx]
    weights = class_weights(labels)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    window_rng = np.random.default_rng(cfg.seed + 2)

    def batch_loss(model: torch.nn.Module, pick: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = _augment(normalize_images(_clip_batch(data, train_idx[pick], length, window_rng)), gen)
        y = torch.from_numpy(labels[pick])
        logits = model(x)
        return F.cross_entropy(logits, y, weight=weights, label_smoothing=0.05), logits, y

    return fit_model(
        "clip_net",
        len(train_idx),
        batch_loss,
        epochs=cfg.clip_epochs,
        batch_size=cfg.batch_clips,
        cfg=cfg,
        seed=cfg.seed + 1,
        log=log,
    )


@torch.no_grad()
def predict(
    frame_model: torch.nn.Module, clip_model: torch.nn.Module, data: SampleSet, idx: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-sample features the fusion sees, computed the way the runtime computes them."""
    length = int(default_cfg("clip_net")["input"]["frames"])
    frame_logit, clip_logit = [], []
    for i in tqdm(idx, desc="predict", unit="sample", leave=False):
        fp = softmax(frame_model(normalize_images(data.frame_crops[i])).numpy())
        frame_logit.append(float(spoof_logit(fp).mean()))
        crops = data.clip_crops[i]
        if len(crops) >= 3:
            clips = np.stack([crops[w] for w in clip_windows(len(crops), length)])
            cp = softmax(clip_model(normalize_images(clips)).numpy())
            clip_logit.append(float(spoof_logit(cp).mean()))
        else:
            clip_logit.append(0.0)
    out = {"frame_spoof_logit": np.asarray(frame_logit), "clip_spoof_logit": np.asarray(clip_logit)}
    motion = np.stack(
        [data.motion[i] if len(data.motion[i]) else np.zeros(len(FEATURE_NAMES), np.float32) for i in idx]
    )
    for j, name in enumerate(FEATURE_NAMES):
        out[name] = motion[:, j]
    return out


def _epoch_log(run_dir: Path) -> list[dict]:
    path = run_dir / "epochs.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _train_or_resume(name: str, run_dir: Path, fit: Callable[[list[dict]], torch.nn.Module]) -> torch.nn.Module:
    """Train ``name`` unless the run folder already holds its checkpoint (an interrupted run
    resumes after its last finished model); epoch lines go to ``epochs.jsonl`` as they come."""
    checkpoint = run_dir / f"{name}.pt"
    if checkpoint.exists():
        model = create_model(name)
        model.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
        return model.eval()
    log: list[dict] = []
    model = fit(log)
    with (run_dir / "epochs.jsonl").open("a") as handle:
        handle.writelines(json.dumps(entry) + "\n" for entry in log)
    torch.save(model.state_dict(), checkpoint)
    return model


def train(sample_paths: list[Path], run_dir: Path, cfg: TrainConfig) -> dict:
    """Train both models and the fusion; write checkpoints and ``fusion.json`` to ``run_dir``."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    run_dir.mkdir(parents=True, exist_ok=True)
    data = SampleSet.load(sample_paths)
    t0 = time.time()
    previous_log = run_dir / "train_log.json"
    resumed = all((run_dir / f"{name}.pt").exists() for name in ("frame_cnn", "clip_net")) and previous_log.exists()
    frame_model = _train_or_resume("frame_cnn", run_dir, lambda log: train_frame_model(data, cfg, log))
    clip_model = _train_or_resume("clip_net", run_dir, lambda log: train_clip_model(data, cfg, log))

    fusion = {}
    val_video = data.index(split="val", kind="video")
    val_image = data.index(split="val", kind="image")
    feats = predict(frame_model, clip_model, data, val_video)
    y = (data.labels[val_video] > 0).astype(np.int64)
    fusion["video"] = fit_fusion(feats, y, l2=2.0).to_dict()
    feats_img = predict(frame_model, clip_model, data, val_image)
    y_img = (data.labels[val_image] > 0).astype(np.int64)
    fusion["image"] = fit_fusion({"frame_spoof_logit": feats_img["frame_spoof_logit"]}, y_img).to_dict()
    (run_dir / "fusion.json").write_text(json.dumps(fusion, indent=2))
    np.savez(
        run_dir / "val_features.npz",
        y=y,
        species=np.array([data.species[i] for i in val_video]),
        recipe=np.array([data.recipe[i] for i in val_video]),
        **feats,
    )
    counts = Counter(f"{data.split[i]}/{data.kind[i]}/{CLASSES[data.labels[i]]}" for i in range(len(data.labels)))
    samples = dict(sorted(counts.items()))
    if resumed:
        # The models were trained on the sample set of the first run; a sample made since
        # (one that failed to build then) never reached them.
        samples = json.loads(previous_log.read_text()).get("samples", samples)
    summary = {
        "config": cfg.__dict__,
        "log": _epoch_log(run_dir),
        "minutes": (time.time() - t0) / 60,
        "samples": samples,
        "val": {"video": len(val_video), "image": len(val_image)},
    }
    (run_dir / "train_log.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary
