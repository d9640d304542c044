"""The training catalog: labelled media of a data folder, grouped by person, split by person.

A folder with a LABELS.tsv (``path label species subject source note``) is all it needs.
Splits are by *person* (``subject`` with numbered takes merged), never by file or frame:
the same person's clips and photos all land on one side. Real attack samples (generators'
outputs, face swaps) never train the CNNs, and every person who appears in one is kept out of
CNN training; only the small video fusion sees them, under leave-one-generator-out
cross-validation (``training.real_fusion``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from liveness.scoring.labels import LabelRow, read_labels

Split = Literal["train", "val", "test"]
VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".avi"}
# Sources whose attack samples are meant for training (SOURCES.md: "training pool only").
TRAINABLE_ATTACK_SOURCES = {"LivenessDectectionForFaceSpoofingAttack"}


@dataclass(frozen=True)
class Item:
    path: Path
    label: str
    species: str
    subject: str
    source: str
    person: str
    split: Split

    @property
    def is_video(self) -> bool:
        return self.path.suffix.lower() in VIDEO_SUFFIXES

    @property
    def trainable(self) -> bool:
        """May this file be used to fit models? Bona fide of train persons, and attack
        samples only from sources meant for training."""
        if self.split != "train":
            return False
        return self.label == "bona_fide" or self.source in TRAINABLE_ATTACK_SOURCES


def person_of(subject: str) -> str:
    """Merge numbered takes of one person: ``dflc_target_ava_de_addario_2`` → ``ava_de_addario``.

    >>> person_of("dflc_target_ava_de_addario_2")
    'ava_de_addario'
    >>> person_of("elon_musk")
    'elon_musk'
    """
    name = re.sub(r"^dflc_target_", "", subject)
    return re.sub(r"_\d+$", "", name) if name != subject else name


def _bucket(person: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{person}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def load_catalog(
    labels_tsv: Path, *, val_fraction: float = 0.2, test_fraction: float = 0.25, seed: int = 0
) -> list[Item]:
    """Read LABELS.tsv and assign every row a person-level split.

    Persons seen in a non-trainable attack sample go to ``test``; the rest are hashed into
    train / val / test with the given fractions (deterministic per ``seed``).
    """
    rows: list[LabelRow] = read_labels(labels_tsv)
    dev_attack_persons = {
        person_of(r.subject or r.path.stem)
        for r in rows
        if r.label == "attack" and (r.source or "") not in TRAINABLE_ATTACK_SOURCES
    }
    items: list[Item] = []
    for r in rows:
        person = person_of(r.subject or r.path.stem)
        source = r.source or "unknown"
        if source in TRAINABLE_ATTACK_SOURCES:
            split: Split = "train"
        elif person in dev_attack_persons and person not in _dfl_persons(rows):
            split = "test"
        else:
            u = _bucket(person, seed)
            split = "test" if u < test_fraction else ("val" if u < test_fraction + val_fraction else "train")
        items.append(Item(r.path, r.label, r.species, r.subject or r.path.stem, source, person, split))
    return items


def _dfl_persons(rows: list[LabelRow]) -> set[str]:
    # DeepFaceLive pairs every swapped clip with its real target clip, so each person has
    # both; hashing them like everyone else lets part of them train (bona fide only) while
    # the held-out part gives face-swap figures on unseen persons.
    return {person_of(r.subject or "") for r in rows if (r.source or "") == "DeepFaceLive" and r.label == "attack"}


def summary(items: list[Item]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for it in items:
        key = f"{it.split}/{it.label}/{'video' if it.is_video else 'image'}"
        out.setdefault(key, {}).setdefault(it.species, 0)
        out[key][it.species] += 1
    return out
