"""ID-document synthesis (training.documents) on a tiny template made here, plus one run on the
real DocXPand templates when ../shared/data is present."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from liveness.documents import parse_mrz
from liveness.errors import DocumentError
from tests.document_fixtures import GENERATOR, make_template_pool
from tests.face_fixtures import portrait
from training.documents import (
    DOC_SPECIES,
    DocumentSynthesizer,
    capture_document,
    generate_values,
    load_template_side,
    make_mrz,
    render_document,
    scan_document,
    write_document_contact_sheet,
)
from training.documents.captured_edits import CAPTURED_EDIT_SPECIES

REPO = Path(__file__).resolve().parents[2]
SHARED_DOCS = REPO.parent / "shared" / "data" / "docs"
SHARED_FACES = REPO.parent / "shared" / "data" / "faces"


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_template_pool(tmp_path_factory.mktemp("docpool"))


@pytest.fixture(scope="module")
def synth(pool: dict[str, Path]) -> DocumentSynthesizer:
    return DocumentSynthesizer(pool["docs"], pool["faces"], pool["cache"])


def test_template_side_is_measured_and_cached(pool: dict[str, Path], synth: DocumentSynthesizer) -> None:
    side = synth.sides[0]
    assert (side.template, side.side) == ("test_card", "front")
    assert side.size == (303, 480)
    keys = {(s.key, s.line) for s in side.slots}
    assert keys == {
        ("family_name", 0),
        ("given_name", 0),
        ("birth_date", 0),
        ("document_number", 0),
        ("mrz", 1),
        ("mrz", 2),
        ("mrz", 3),
    }
    px = 480 / 242.65
    surname = next(s for s in side.slots if s.key == "family_name")
    assert surname.origin[0] == pytest.approx(82 * px, abs=3)
    assert surname.origin[1] == pytest.approx(34 * px, abs=3)  # the baseline
    assert surname.size == pytest.approx(7 * px, rel=0.12)
    assert surname.color[0] < 60 and surname.advance == pytest.approx((1.0, 0.0))
    assert side.photo is not None
    x0, y0, x1, y1 = side.photo.box
    assert (x0, y0) == pytest.approx((10 * px, 24 * px), abs=2)
    assert (x1, y1) == pytest.approx((72 * px, 104 * px), abs=2)
    # The security line over the photo stays printed: low gain where it crosses.
    assert side.photo.gain.min() < 150 and side.photo.gain.max() > 240
    assert side.shape[0, 0] < 128 and side.shape[150, 240] == 255  # rounded corner
    again = load_template_side(pool["docs"], "test_card", "front", pool["cache"] / "templates")
    assert np.array_equal(again.base, side.base) and again.slots == side.slots


def test_sample_is_deterministic_per_seed(synth: DocumentSynthesizer) -> None:
    for species in ("text_edit", None):
        a, b = synth.sample(3, species), synth.sample(3, species)
        assert a.species == b.species
        for name in ("image", "quad", "document", "mask"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(synth.sample(4, "none").document, synth.sample(5, "none").document)


@pytest.mark.parametrize("species", DOC_SPECIES)
def test_mask_matches_species(synth: DocumentSynthesizer, species: str) -> None:
    s = synth.sample(11, species)
    assert s.species == species and s.mask.dtype == np.uint8 and s.mask.shape == s.document.shape[:2]
    assert s.image.dtype == np.uint8 and s.image.ndim == 3 and s.quad.shape == (4, 2)
    fraction = s.mask.mean()
    if species == "none":
        assert fraction == 0
    elif species in ("recapture", "photocopy"):
        assert fraction == 1
    else:
        assert s.mask.sum() >= 30 and fraction < 0.4
    if species == "portrait_swap":
        x0, y0, x1, y1 = synth.sides[0].photo.box
        ys, xs = np.nonzero(s.mask)
        pad = 0.1 * (x1 - x0)
        assert xs.min() >= x0 - pad and xs.max() <= x1 + pad and ys.min() >= y0 - pad and ys.max() <= y1 + pad


@pytest.mark.parametrize("species", ["portrait_swap", "text_edit", "copy_move"])
def test_local_forgery_changes_pixels_only_inside_its_mask(synth: DocumentSynthesizer, species: str) -> None:
    for seed in (21, 22):
        s = synth.sample(seed, species)
        genuine, _ = synth.render(seed, synth.sides[0])
        changed = np.abs(s.document.astype(np.int16) - genuine.image).max(axis=2) > 10
        grown = cv2.dilate(s.mask, np.ones((5, 5), np.uint8)) > 0
        assert changed[grown].mean() > 0.05  # the forgery is visible
        assert changed[~grown].mean() < 0.002  # and nowhere else


def test_genuine_document_is_the_render_and_specimen_is_marked(synth: DocumentSynthesizer) -> None:
    s = synth.sample(7, "none")
    genuine, _ = synth.render(7, synth.sides[0])
    assert np.array_equal(s.document, genuine.image)
    side = synth.sides[0]
    face = portrait()
    marked = render_document(side, genuine.values, face, rng=np.random.default_rng(1))
    plain = render_document(side, genuine.values, face, rng=np.random.default_rng(1), specimen=False)
    diff = np.abs(marked.image.astype(np.int16) - plain.image).max(axis=2) > 8
    assert diff.mean() > 0.02
    ys, xs = np.nonzero(diff)
    assert np.ptp(xs) > 0.5 * side.size[1] and np.ptp(ys) > 0.4 * side.size[0]  # a diagonal band
    assert {f.text for f in genuine.fields if f.slot.key == "family_name"} == {genuine.values["family_name"]}


def _rectify(image: np.ndarray, quad: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad.astype(np.float32), dst), (w, h))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = cv2.GaussianBlur(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.5).ravel()
    b = cv2.GaussianBlur(cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.5).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_quad_lies_in_the_image_and_maps_the_document(synth: DocumentSynthesizer) -> None:
    for seed in range(30, 36):
        s = synth.sample(seed, "none")
        h, w = s.image.shape[:2]
        assert (s.quad >= 0).all() and (s.quad[:, 0] <= w).all() and (s.quad[:, 1] <= h).all()
        size = (160, 101)
        flat = cv2.resize(s.document, size, interpolation=cv2.INTER_AREA)
        right = _corr(_rectify(s.image, s.quad, size), flat)
        turned = _corr(_rectify(s.image, np.roll(s.quad, 2, axis=0), size), flat)  # upside down
        assert right > 0.45 and right > turned + 0.2, (seed, right, turned)


def test_capture_keeps_the_document_covering_a_share_of_the_frame() -> None:
    doc = np.full((300, 480, 3), 90, np.uint8)
    shares = []
    for seed in range(12):
        image, quad = capture_document(doc, rng=np.random.default_rng(seed))
        shares.append(cv2.contourArea(quad) / (image.shape[0] * image.shape[1]))
    assert min(shares) > 0.15 and max(shares) < 1.0 and max(shares) - min(shares) > 0.3


def test_scan_lays_the_document_on_a_whole_a4_page(synth: DocumentSynthesizer) -> None:
    ratios, shares = [], []
    for seed in range(40, 48):
        doc, _ = synth.render(seed)
        image, quad = synth.scan(doc.image, doc.shape, seed)
        again, same_quad = synth.scan(doc.image, doc.shape, seed)
        assert np.array_equal(image, again) and np.array_equal(quad, same_quad)  # deterministic per seed
        h, w = image.shape[:2]
        ratios.append(max(h, w) / min(h, w))
        shares.append(cv2.contourArea(quad) / (h * w))
        assert (quad >= 0).all() and (quad[:, 0] <= w).all() and (quad[:, 1] <= h).all()
        size = (160, 101)
        flat = cv2.resize(doc.image, size, interpolation=cv2.INTER_AREA)
        right = _corr(_rectify(image, quad, size), flat)
        turned = _corr(_rectify(image, np.roll(quad, 2, axis=0), size), flat)
        assert right > 0.6 and right > turned + 0.2, (seed, right, turned)
    np.testing.assert_allclose(ratios, 297 / 210, atol=0.01)
    # an ID-1 card covers 7.4 % of an A4 page, a TD3 data page 17.6 %
    assert min(shares) > 0.06 and max(shares) < 0.19


def test_scan_lays_the_other_side_beside_the_document() -> None:
    front = np.full((270, 428, 3), (200, 60, 60), np.uint8)
    back = np.full((270, 428, 3), (60, 60, 200), np.uint8)
    for seed in range(6):
        image, quad = scan_document(front, rng=np.random.default_rng(seed), beside=(back, None))
        single, _ = scan_document(front, rng=np.random.default_rng(seed))
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(quad).astype(np.int32)], 1)
        inner = cv2.erode(mask, np.ones((9, 9), np.uint8)).astype(bool)
        red = image[..., 0].astype(int) - image[..., 2]
        assert (red[inner] > 80).mean() > 0.95  # the quad is the front's
        blue = (image[..., 2].astype(int) - image[..., 0] > 80) & ~mask.astype(bool)
        assert blue.sum() > 0.9 * (inner.sum())  # the back lies outside it, whole
        assert (single[..., 2].astype(int) - single[..., 0] > 80).sum() == 0


def test_scan_rejects_bad_documents() -> None:
    with pytest.raises(DocumentError):
        scan_document(np.zeros((10, 10), np.uint8), rng=np.random.default_rng(0))
    with pytest.raises(DocumentError):
        scan_document(np.zeros((10, 16, 3), np.uint8), rng=np.random.default_rng(0), shape=np.zeros((4, 4), np.uint8))


def test_values_carry_a_valid_mrz() -> None:
    values = generate_values(GENERATOR, seed=5)
    result = parse_mrz(values["mrz"].split("\n"), today=date(2025, 6, 1))
    assert result.valid, result.details
    assert result.surname.replace("<", " ").strip() in values["family_name"].upper().replace("-", " ")
    for layout in ("td1", "td2"):  # 11-character numbers continue in the optional data
        lines = make_mrz(
            layout,
            document_code="ID",
            state="UTO",
            surname="Ørsted",
            given_names="Anne-Sophie",
            number="AB12345C678",
            nationality="UTO",
            birth=date(1990, 2, 28),
            sex="X",
            expiry=date(2030, 1, 1),
        )
        parsed = parse_mrz(lines, today=date(2025, 6, 1))
        assert parsed.valid and parsed.document_number == "AB12345C678", (layout, parsed.details)


def test_bad_arguments_raise_typed_errors(synth: DocumentSynthesizer, tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as err:
        synth.sample(1, "deepfake")
    assert err.value.code == "DOC_SYNTH_BAD_ARGUMENT"
    with pytest.raises(DocumentError):
        synth.sample(-1)
    with pytest.raises(DocumentError):
        capture_document(np.zeros((10, 10), np.uint8), rng=np.random.default_rng(0))
    with pytest.raises(DocumentError):
        DocumentSynthesizer(tmp_path / "nothing", tmp_path, tmp_path / "cache")


def test_contact_sheet_is_written(synth: DocumentSynthesizer, tmp_path: Path) -> None:
    out = write_document_contact_sheet(tmp_path / "sheet.png", synth, n_per_species=1, seed=0)
    with Image.open(out) as sheet:
        assert sheet.format == "PNG" and sheet.height > (len(DOC_SPECIES) + len(CAPTURED_EDIT_SPECIES)) * 400


@pytest.mark.data
@pytest.mark.skipif(not (SHARED_DOCS / "templates").is_dir(), reason="../shared/data is not here")
def test_real_template_samples() -> None:
    # runs/docs is the shared cache of training runs: built once (~15 s here), instant later.
    synth = DocumentSynthesizer(SHARED_DOCS, SHARED_FACES, REPO / "runs" / "docs", templates=["id_card_td1_a"])
    assert [s.name for s in synth.sides] == ["id_card_td1_a/back"]
    assert {s.key for s in synth.sides[0].slots} >= {"mrz", "address", "date_issued", "authority"}
    for species in DOC_SPECIES[2:]:  # the back has no portrait
        s = synth.sample(0, species)
        assert s.document.shape[1] == 960 and (s.mask.max() == 1)
    values = generate_values(synth.sides[0].generator, seed=0)
    assert parse_mrz(values["mrz"].split("\n"), today=date(2025, 6, 1)).valid


_VALUES = """
import json, sys
from training.documents.values import generate_values
gen = {"width": 506, "height": 319, "context": {"locale": "it_IT", "name_locale": {"it_IT": 1.0}},
       "sides": {"front": {"fields": [{"name": "birth_place", "type": "text"}]}}}
print(json.dumps([generate_values(gen, seed=s)["birth_place"] for s in range(5)]))
"""


def test_a_seed_gives_the_same_identity_in_every_process() -> None:
    # Python salts string hashes per process; Faker's it_IT city list is built from a set.
    runs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _VALUES], cwd=REPO, env=env, capture_output=True, text=True,
                             check=True)
        runs.append(json.loads(out.stdout))
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 1 and all(runs[0])
