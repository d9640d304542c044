"""DocXPand ID templates rendered once into fillable layers, cached on disk.

A template side (``<docs>/templates/docxpand/<tpl>/{front,back}.svgz``) is rendered with resvg
a few times, never per sample (one render takes seconds):

- ``base``: every ``*_field`` text emptied, the portrait (``photo_image``) and its ghost
  (``ghost_image``) replaced by black, composited over white; ``shape`` is the card's alpha
  (rounded corners);
- one render with the portrait white and one with the ghost white: their difference to
  ``base`` is the *gain* of that image slot, so any portrait ``p`` in [0, 1] composites as
  ``base + gain * p``. This is exact for normal and multiply blending, so the security
  overlays printed on top of the portrait (guilloches, rosettes) and the slot's clip shape
  stay as the designer made them;
- per text field a cheap render of only that field (the rest of the drawing pruned) with a
  marker string ``HHHHHHHHHH``: its ink box gives the baseline origin, the font size (cap
  height), the tracking (letter-spacing), the colour and the text direction (some fields
  are rotated or mirrored) of a :class:`TextSlot`.

The font of each field comes from the SVG's CSS (``font-family``, ``font-weight``), resolved
by :class:`~training.documents.fonts.FontBook`. Sides without an SVG in the pool
(``id_card_td1_a`` front, ``pp_td3_c``; their SVGs were over 4 MiB upstream) are skipped.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from liveness.errors import DocumentError
from training.documents.fonts import FontBook, FontSpec, load_font, matplotlib_font_dir

__all__ = [
    "CACHE_VERSION",
    "DOC_SYNTH_BAD_ARGUMENT",
    "DOC_TEMPLATE_INVALID",
    "ImageSlot",
    "TemplateSide",
    "TextSlot",
    "build_template_cache",
    "list_template_sides",
    "load_template_side",
    "template_fonts",
]

DOC_TEMPLATE_INVALID = "DOC_TEMPLATE_INVALID"
DOC_SYNTH_BAD_ARGUMENT = "DOC_SYNTH_BAD_ARGUMENT"
CACHE_VERSION = 1
SIDES = ("front", "back")
MARKER = "HHHHHHHHHH"  # flat top and bottom on the baseline: cap height and advance in one
ID1_WIDTH = 960  # render width of an ID-1 card (docxpand's 1011 px at 300 dpi, scaled)
_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_FIELD_ID = re.compile(r"^(?P<key>.+?)_field(?:_(?P<line>\d+))?$")
_PHOTO_IDS = ("photo_image",)
_GHOST_IDS = ("ghost_image",)
_URL_REF = re.compile(r"url\(\s*['\"]?#([^)'\"]+)")
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class TextSlot:
    """Where and how a field's text is printed, in pixels of the rendered side.

    ``origin`` is the start of the baseline; ``advance`` is the unit vector along the text and
    ``down`` the unit vector from baseline towards the descenders (both (1, 0)/(0, 1) for
    ordinary text; rotated or mirrored fields differ). ``size`` is the font size and
    ``tracking`` the extra advance per character, both in px. ``max_length`` is the room along
    ``advance`` before the text would run into another field, the portrait or the edge.
    ``key`` is the value's name (``family_name``) and ``line`` the 1-based line of a field
    printed over several elements (``address_field_2``), 0 for a one-element field.
    """

    element_id: str
    key: str
    line: int
    origin: tuple[float, float]
    advance: tuple[float, float]
    down: tuple[float, float]
    size: float
    tracking: float
    color: tuple[int, int, int]
    opacity: float
    font: FontSpec
    max_length: float
    marker_box: tuple[int, int, int, int]


@dataclass
class ImageSlot:
    """A portrait-like image slot: ``box`` (x0, y0, x1, y1) and the (h, w, 3) uint8 gain inside it."""

    box: tuple[int, int, int, int]
    gain: np.ndarray


@dataclass
class TemplateSide:
    """One rendered template side, ready to fill (see the module docstring)."""

    template: str
    side: str
    base: np.ndarray
    shape: np.ndarray
    slots: tuple[TextSlot, ...]
    photo: ImageSlot | None
    ghost: ImageSlot | None
    generator: dict = field(default_factory=dict)
    fonts: tuple[str, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) in px."""
        return self.base.shape[0], self.base.shape[1]

    @property
    def name(self) -> str:
        return f"{self.template}/{self.side}"


def _templates_root(docs_dir: Path) -> Path:
    return Path(docs_dir) / "templates" / "docxpand"


def list_template_sides(docs_dir: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The (template, side) pairs that have an SVG, and notes on the ones skipped.

    Examples
    --------
    >>> list_template_sides(Path("/nonexistent"))
    ([], ['no templates folder at /nonexistent/templates/docxpand'])
    """
    root = _templates_root(docs_dir)
    if not root.is_dir():
        return [], [f"no templates folder at {root}"]
    sides, skipped = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        generator = _read_generator(folder)
        names = list(generator.get("sides", {})) or list(SIDES)
        for side in names:
            if (folder / f"{side}.svgz").is_file() or (folder / f"{side}.svg").is_file():
                sides.append((folder.name, side))
            else:
                skipped.append(f"{folder.name}/{side}: no SVG in the pool")
    return sides, skipped


def template_fonts(docs_dir: Path) -> FontBook:
    """The font book of the pool: ``<docs>/fonts`` plus matplotlib's DejaVu."""
    return FontBook([Path(docs_dir) / "fonts"])


def _read_generator(folder: Path) -> dict:
    path = folder / "generator.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocumentError(f"unreadable {path}: {exc}", code=DOC_TEMPLATE_INVALID) from exc


def _read_svg(folder: Path, side: str) -> bytes:
    for name, opener in ((f"{side}.svgz", gzip.open), (f"{side}.svg", open)):
        path = folder / name
        if path.is_file():
            try:
                with opener(path, "rb") as handle:
                    return handle.read()
            except OSError as exc:
                raise DocumentError(f"unreadable {path}: {exc}", code=DOC_TEMPLATE_INVALID) from exc
    raise DocumentError(f"{folder.name}/{side}: no SVG", code=DOC_TEMPLATE_INVALID)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------- geometry and CSS


def _parse_transform(text: str | None) -> np.ndarray:
    """An SVG transform attribute as a 3x3 matrix."""
    out = np.eye(3)
    for name, args in _TRANSFORM.findall(text or ""):
        v = [float(a) for a in re.split(r"[\s,]+", args.strip()) if a]
        m = np.eye(3)
        if name == "matrix" and len(v) == 6:
            m[:2] = [[v[0], v[2], v[4]], [v[1], v[3], v[5]]]
        elif name == "translate":
            m[0, 2], m[1, 2] = v[0], v[1] if len(v) > 1 else 0.0
        elif name == "scale":
            m[0, 0], m[1, 1] = v[0], v[1] if len(v) > 1 else v[0]
        elif name == "rotate":
            a = math.radians(v[0])
            r = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
            if len(v) == 3:
                t, tb = np.eye(3), np.eye(3)
                t[:2, 2], tb[:2, 2] = v[1:], [-v[1], -v[2]]
                r = t @ r @ tb
            m = r
        elif name == "skewX":
            m[0, 1] = math.tan(math.radians(v[0]))
        elif name == "skewY":
            m[1, 0] = math.tan(math.radians(v[0]))
        out = out @ m
    return out


def _css_rules(root: ET.Element) -> dict[str, dict[str, str]]:
    """Class selector -> declarations, from every <style> (later rules win)."""
    rules: dict[str, dict[str, str]] = {}
    for el in root.iter():
        if _local(el.tag) != "style" or not el.text:
            continue
        text = re.sub(r"/\*.*?\*/", "", el.text, flags=re.S)
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
            decls = _declarations(body)
            for selector in selectors.split(","):
                selector = selector.strip()
                if re.fullmatch(r"\.[\w-]+", selector):
                    rules.setdefault(selector[1:], {}).update(decls)
    return rules


def _declarations(body: str) -> dict[str, str]:
    out = {}
    for decl in body.split(";"):
        if ":" in decl:
            name, value = decl.split(":", 1)
            out[name.strip().lower()] = value.strip()
    return out


def _property(chain: Sequence[ET.Element], name: str, rules: dict[str, dict[str, str]]) -> str | None:
    """An inherited CSS property: the first element of ``chain`` (innermost first) that sets it."""
    for el in chain:
        inline = _declarations(el.get("style", ""))
        if name in inline:
            return inline[name]
        value = None
        for cls in el.get("class", "").split():
            value = rules.get(cls, {}).get(name, value)
        if value is not None:
            return value
        if el.get(name) is not None:
            return el.get(name)
    return None


def _families(value: str | None) -> list[str]:
    return [f.strip().strip("'\"") for f in (value or "").split(",") if f.strip()]


# ---------------------------------------------------------------- SVG editing


def _register_namespaces(raw: bytes) -> None:
    for _event, (prefix, uri) in ET.iterparse(io.BytesIO(raw), events=["start-ns"]):
        with contextlib.suppress(ValueError):  # reserved prefixes (ns0-style) stay ElementTree's
            ET.register_namespace(prefix, uri)


def _set_text(el: ET.Element, text: str) -> None:
    """Put ``text`` into the first <tspan> of a <text> (keeping its position and style)."""
    tspans = [c for c in el if _local(c.tag) == "tspan"]
    if not tspans:
        for child in list(el):
            el.remove(child)
        el.text = text
        return
    for other in tspans[1:]:
        el.remove(other)
    el.text = None
    node = tspans[0]
    # Descend through wrapper tspans to the one that carries the glyphs' style.
    while not (node.text or "").strip():
        inner = [c for c in node if _local(c.tag) == "tspan"]
        if not inner:
            break
        for child in list(node):
            if child is not inner[0]:
                node.remove(child)
        node.text = None
        node = inner[0]
    for child in list(node):
        node.remove(child)
    node.text = text


def _solid_png(value: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (value, value, value)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _fill_image(el: ET.Element, value: int) -> None:
    el.set(f"{{{_XLINK}}}href", _solid_png(value))
    el.attrib.pop("href", None)
    el.set("preserveAspectRatio", "none")


def _prune(root: ET.Element, keep: Sequence[ET.Element], rules: dict[str, dict[str, str]]) -> ET.Element:
    """A small copy of ``root``: the branches that lead to ``keep``, plus what they reference.

    Only the CSS rules of the classes in use and the definitions referenced (``url(#id)``,
    ``href="#id"``, recursively) are kept: resvg's cost grows with the stylesheet and the
    definitions, so a probe of one text field renders in milliseconds instead of seconds.
    """
    parents = {c: p for p in root.iter() for c in p}
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    needed: set[ET.Element] = set()
    for el in keep:
        while el is not None and el not in needed:
            needed.add(el)
            el = parents.get(el)
    keep_set = set(keep)

    def copy(el: ET.Element) -> ET.Element:
        new = ET.Element(el.tag, dict(el.attrib))
        new.text, new.tail = el.text, el.tail
        for child in el:
            if child in keep_set:
                new.append(_deepcopy(child))
            elif child in needed:
                new.append(copy(child))
        return new

    pruned = copy(root)
    classes: set[str] = set()
    refs: list[str] = []
    defs: list[ET.Element] = []
    seen: set[str] = set()

    def scan(el: ET.Element) -> None:
        for node in el.iter():
            classes.update(node.get("class", "").split())
            for value in node.attrib.values():
                refs.extend(_refs(value))
            for cls in node.get("class", "").split():
                refs.extend(r for v in rules.get(cls, {}).values() for r in _refs(v))

    scan(pruned)
    while refs:
        ref = refs.pop().lstrip("#")
        if ref in seen or ref not in by_id:
            continue
        seen.add(ref)
        target = _deepcopy(by_id[ref])
        defs.append(target)
        scan(target)
    style = ET.Element(f"{{{_SVG}}}style")
    style.text = "\n".join(
        f".{cls} {{ {'; '.join(f'{k}: {v}' for k, v in rules[cls].items())} }}"
        for cls in sorted(classes)
        if cls in rules
    )
    holder = ET.Element(f"{{{_SVG}}}defs")
    holder.extend(defs)
    pruned.insert(0, holder)
    pruned.insert(0, style)
    return pruned


def _refs(value: str) -> list[str]:
    """Ids referenced by an attribute or CSS value (``url(#id)`` or ``#id``)."""
    return _URL_REF.findall(value) + ([value[1:]] if value.startswith("#") else [])


def _deepcopy(el: ET.Element) -> ET.Element:
    new = ET.Element(el.tag, dict(el.attrib))
    new.text, new.tail = el.text, el.tail
    new.extend(_deepcopy(c) for c in el)
    return new


# ---------------------------------------------------------------- rendering


def _font_dirs(docs_dir: Path) -> list[str]:
    return [str(Path(docs_dir) / "fonts"), str(matplotlib_font_dir())]


def _render(svg: str, font_dirs: list[str], width: int) -> np.ndarray:
    """RGBA uint8 render of an SVG string at ``width`` px."""
    import resvg_py

    try:
        png = resvg_py.svg_to_bytes(
            svg_string=svg,
            font_dirs=font_dirs,
            width=width,
            font_family="DejaVu Sans",
            sans_serif_family="DejaVu Sans",
            skip_system_fonts=True,
        )
    except ValueError as exc:
        raise DocumentError(f"resvg could not render the template: {exc}", code=DOC_TEMPLATE_INVALID) from exc
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA"))


def _over_white(rgba: np.ndarray) -> np.ndarray:
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    return np.round(rgba[..., :3].astype(np.float32) * a + 255.0 * (1.0 - a)).astype(np.uint8)


def _box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _serialize(root: ET.Element, book: FontBook) -> str:
    """The SVG text with every font-family list replaced by a family the fonts folder has.

    resvg matches family names exactly and drops text whose family it cannot find; the
    templates name PostScript names (``Bellefair-Regular``) and absent fonts (Gill Sans).
    """
    svg = ET.tostring(root, encoding="unicode")
    cache: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        value = match.group(2)
        if value not in cache:
            cache[value] = "'" + book.family_name(_families(value.replace("&quot;", '"').replace("&apos;", "'"))) + "'"
        quoted = cache[value].replace("'", "") if match.group(1).startswith("font-family=") else cache[value]
        return match.group(1) + quoted

    svg = re.sub(r"(font-family\s*:\s*)([^;}\"<>]+)", swap, svg)
    return re.sub(r'(font-family=")([^"]+)', swap, svg)


def _render_width(generator: dict, viewbox: tuple[float, float]) -> int:
    gen_w = float(generator.get("width") or 0)
    if gen_w <= 0:
        gen_w = 1011.0 * viewbox[0] / 242.65 if viewbox[0] > 0 else 1011.0
    return round(ID1_WIDTH * gen_w / 1011.0)


def _viewbox(root: ET.Element) -> tuple[float, float]:
    parts = [float(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if v]
    if len(parts) == 4:
        return parts[2], parts[3]
    try:
        return float(root.get("width", "0").rstrip("px")), float(root.get("height", "0").rstrip("px"))
    except ValueError:
        return 0.0, 0.0


@dataclass(frozen=True)
class _Field:
    element: ET.Element
    element_id: str
    key: str
    line: int


def _fields(root: ET.Element) -> list[_Field]:
    out, counts = [], {}
    for el in root.iter():
        ident = el.get("id", "")
        match = _FIELD_ID.match(ident)
        if not match or _local(el.tag) != "text":
            continue
        counts[ident] = counts.get(ident, 0) + 1
        element_id = ident if counts[ident] == 1 else f"{ident}#{counts[ident]}"
        line = int(match.group("line")) if match.group("line") else 0
        out.append(_Field(el, element_id, match.group("key"), line))
    return out


def _images(root: ET.Element, ids: Sequence[str]) -> list[ET.Element]:
    return [el for el in root.iter() if _local(el.tag) == "image" and el.get("id") in ids]


def _measure_slot(
    f: _Field,
    probe: np.ndarray,
    chain: Sequence[ET.Element],
    matrix: np.ndarray,
    rules: dict[str, dict[str, str]],
    book: FontBook,
) -> TextSlot | None:
    alpha = probe[..., 3]
    box = _box(alpha > 127)
    if box is None:
        return None
    weight_text = (_property(chain, "font-weight", rules) or "").strip().lower()
    weight = (
        int(weight_text) if weight_text.isdigit() else {"bold": 700, "bolder": 700, "lighter": 300}.get(weight_text)
    )
    italic = (_property(chain, "font-style", rules) or "").strip().lower() in ("italic", "oblique")
    spec = book.resolve(_families(_property(chain, "font-family", rules)), weight=weight, italic=italic)
    adv = matrix[:2, 0] / (np.linalg.norm(matrix[:2, 0]) or 1.0)
    down = matrix[:2, 1] / (np.linalg.norm(matrix[:2, 1]) or 1.0)
    along_x = abs(adv[0]) >= abs(adv[1])
    along = (box[2] - box[0]) if along_x else (box[3] - box[1])
    across = (box[3] - box[1]) if along_x else (box[2] - box[0])
    ref = load_font(spec, 100.0)
    h_left, h_top, h_right, h_bottom = ref.getbbox("H", anchor="ls")
    cap_ratio = max(h_bottom - h_top, 1) / 100.0
    size = across / cap_ratio
    font = load_font(spec, size)
    h_left, h_top, h_right, h_bottom = font.getbbox("H", anchor="ls")
    h_adv = font.getlength("H")
    n = len(MARKER)
    pil_along = (n - 1) * h_adv + (h_right - h_left)
    tracking = float(np.clip((along - pil_along) / (n - 1), -0.15 * size, 0.8 * size))
    # The marker's ink box in the text frame (u along, v down from the baseline), mapped to px.
    corners = np.array(
        [[h_left, h_top], [h_left + along, h_top], [h_left, h_bottom], [h_left + along, h_bottom]], np.float64
    )
    mapped = corners[:, :1] * adv[None] + corners[:, 1:] * down[None]
    origin = np.array([box[0], box[1]], np.float64) - mapped.min(0)
    weights = alpha.astype(np.float32) / 255.0
    ink = weights > 0.5
    color = tuple(round(float(np.average(probe[..., c][ink], weights=weights[ink]))) for c in range(3))
    opacity = float(np.clip(np.percentile(alpha[ink], 90) / 255.0, 0.05, 1.0))
    return TextSlot(
        element_id=f.element_id,
        key=f.key,
        line=f.line,
        origin=(float(origin[0]), float(origin[1])),
        advance=(float(adv[0]), float(adv[1])),
        down=(float(down[0]), float(down[1])),
        size=float(size),
        tracking=tracking,
        color=color,  # type: ignore[arg-type]
        opacity=opacity,
        font=spec,
        max_length=0.0,
        marker_box=box,
    )


def _with_room(
    slots: list[TextSlot], obstacles: list[tuple[int, int, int, int]], width: int, height: int
) -> list[TextSlot]:
    """Fill in ``max_length``: free run along the text up to the next obstacle or the edge."""
    out = []
    for slot in slots:
        x0, y0, x1, y1 = slot.marker_box
        ax, ay = slot.advance
        others = [s.marker_box for s in slots if s is not slot] + obstacles
        margin = 0.02 * width
        if abs(ax) >= abs(ay):
            band = [b for b in others if b[1] < y1 and b[3] > y0]
            if ax > 0:
                limit = min([b[0] for b in band if b[0] > x0 + 2] + [width - margin]) - x0
            else:
                limit = x1 - max([b[2] for b in band if b[2] < x1 - 2] + [margin])
        else:
            band = [b for b in others if b[0] < x1 and b[2] > x0]
            if ay > 0:
                limit = min([b[1] for b in band if b[1] > y0 + 2] + [height - margin]) - y0
            else:
                limit = y1 - max([b[3] for b in band if b[3] < y1 - 2] + [margin])
        limit = max(limit - 0.4 * slot.size, 3 * slot.size)
        out.append(replace(slot, max_length=float(limit)))
    return out


def _build_side(docs_dir: Path, template: str, side: str, book: FontBook) -> TemplateSide:
    folder = _templates_root(docs_dir) / template
    raw = _read_svg(folder, side)
    generator = _read_generator(folder)
    _register_namespaces(raw)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise DocumentError(f"{template}/{side}: not an SVG: {exc}", code=DOC_TEMPLATE_INVALID) from exc
    width = _render_width(generator, _viewbox(root))
    vb_w, _vb_h = _viewbox(root)
    user_to_px = width / vb_w if vb_w > 0 else 1.0
    font_dirs = _font_dirs(docs_dir)
    rules = _css_rules(root)
    parents = {c: p for p in root.iter() for c in p}
    fields = _fields(root)
    photos, ghosts = _images(root, _PHOTO_IDS), _images(root, _GHOST_IDS)
    # Full renders: fields empty; portrait and ghost black, then each white in turn.
    for f in fields:
        _set_text(f.element, "")
    for el in photos + ghosts:
        _fill_image(el, 0)
    base_rgba = _render(_serialize(root, book), font_dirs, width)
    base = _over_white(base_rgba)
    shape = base_rgba[..., 3].copy()
    slots_images: dict[str, ImageSlot | None] = {"photo": None, "ghost": None}
    for name, elements in (("photo", photos), ("ghost", ghosts)):
        if not elements:
            continue
        for el in elements:
            _fill_image(el, 255)
        lit = _over_white(_render(_serialize(root, book), font_dirs, width))
        for el in elements:
            _fill_image(el, 0)
        gain = np.clip(lit.astype(np.int16) - base.astype(np.int16), 0, 255).astype(np.uint8)
        box = _box(gain.max(2) > 8)
        if box is not None:
            slots_images[name] = ImageSlot(box, gain[box[1] : box[3], box[0] : box[2]].copy())
    # Probes: only the fields, one at a time, showing the marker.
    pruned = _prune(root, [f.element for f in fields], rules)
    pruned_fields = _fields(pruned)
    pruned_parents = {c: p for p in pruned.iter() for c in p}
    slots: list[TextSlot] = []
    for f, pf in zip(fields, pruned_fields, strict=True):
        for other in pruned_fields:
            _set_text(other.element, MARKER if other is pf else "")
        probe = _render(_serialize(pruned, book), font_dirs, width)
        chain = _chain(f.element, parents)
        matrix = _matrix(pf.element, pruned_parents)
        matrix[:2] *= user_to_px
        slot = _measure_slot(f, probe, chain, matrix, rules, book)
        if slot is not None:
            slots.append(slot)
    h, w = base.shape[:2]
    obstacles = [s.box for s in slots_images.values() if s is not None]
    slots = _with_room(slots, obstacles, w, h)
    fonts_txt = folder / "FONTS.txt"
    fonts = tuple(
        line.strip() for line in (fonts_txt.read_text().splitlines() if fonts_txt.is_file() else []) if line.strip()
    )
    return TemplateSide(
        template, side, base, shape, tuple(slots), slots_images["photo"], slots_images["ghost"], generator, fonts
    )


def _chain(el: ET.Element, parents: dict[ET.Element, ET.Element]) -> list[ET.Element]:
    """``el``'s first tspan (if any), ``el`` and its ancestors, innermost first."""
    chain: list[ET.Element] = []
    first = next((c for c in el.iter() if _local(c.tag) == "tspan" and c is not el), None)
    if first is not None:
        chain.append(first)
    node: ET.Element | None = el
    while node is not None:
        chain.append(node)
        node = parents.get(node)
    return chain


def _matrix(el: ET.Element, parents: dict[ET.Element, ET.Element]) -> np.ndarray:
    """The user-space transform of ``el`` (its own and its ancestors' transforms)."""
    m = np.eye(3)
    node: ET.Element | None = el
    while node is not None:
        m = _parse_transform(node.get("transform")) @ m
        node = parents.get(node)
    return m


# ---------------------------------------------------------------- cache


def _cache_paths(cache_dir: Path, template: str, side: str) -> tuple[Path, Path]:
    stem = Path(cache_dir) / f"{template}__{side}__v{CACHE_VERSION}"
    return stem.with_suffix(".npz"), stem.with_suffix(".json")


def _save(side: TemplateSide, cache_dir: Path) -> None:
    npz, meta = _cache_paths(cache_dir, side.template, side.side)
    npz.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"base": side.base, "shape": side.shape}
    info: dict = {
        "template": side.template,
        "side": side.side,
        "generator": side.generator,
        "fonts": list(side.fonts),
        "slots": [{**asdict(s), "font": asdict(s.font)} for s in side.slots],
    }
    for name in ("photo", "ghost"):
        slot = getattr(side, name)
        if slot is not None:
            arrays[f"{name}_gain"] = slot.gain
            info[f"{name}_box"] = list(slot.box)
    tmp = npz.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(npz)
    meta.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")


def _load(cache_dir: Path, template: str, side: str, book: FontBook) -> TemplateSide | None:
    npz, meta = _cache_paths(cache_dir, template, side)
    if not (npz.is_file() and meta.is_file()):
        return None
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        arrays = np.load(npz)
        slots = []
        for s in info["slots"]:
            font = FontSpec(**s["font"])
            if not Path(font.path).is_file():  # cache made on another machine: resolve again
                return None
            slots.append(
                TextSlot(
                    **{
                        **s,
                        "font": font,
                        "origin": tuple(s["origin"]),
                        "advance": tuple(s["advance"]),
                        "down": tuple(s["down"]),
                        "color": tuple(s["color"]),
                        "marker_box": tuple(s["marker_box"]),
                    }
                )
            )
        images = {}
        for name in ("photo", "ghost"):
            images[name] = (
                ImageSlot(tuple(info[f"{name}_box"]), arrays[f"{name}_gain"]) if f"{name}_box" in info else None
            )
        return TemplateSide(
            template,
            side,
            arrays["base"],
            arrays["shape"],
            tuple(slots),
            images["photo"],
            images["ghost"],
            info.get("generator", {}),
            tuple(info.get("fonts", [])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_template_side(
    docs_dir: Path, template: str, side: str, cache_dir: Path, *, book: FontBook | None = None
) -> TemplateSide:
    """A template side from the cache, rendering and caching it first if needed.

    Parameters
    ----------
    docs_dir : Path
        The document pool (holds ``templates/docxpand`` and ``fonts``).
    template, side : str
        E.g. ``"id_card_td1_b"``, ``"front"``.
    cache_dir : Path
        Where the renders are kept (``<template>__<side>__v<N>.npz`` + ``.json``).
    book : FontBook, optional
        Font index; built from ``docs_dir`` when omitted.

    Raises
    ------
    DocumentError
        ``code="DOC_TEMPLATE_INVALID"`` when the side has no readable SVG.
    """
    book = book or template_fonts(docs_dir)
    cached = _load(cache_dir, template, side, book)
    if cached is not None:
        return cached
    built = _build_side(docs_dir, template, side, book)
    _save(built, cache_dir)
    return built


def build_template_cache(
    docs_dir: Path, cache_dir: Path, *, templates: Sequence[str] | None = None, log: bool = False
) -> list[TemplateSide]:
    """Load (rendering where needed) every template side that has an SVG.

    Returns the sides in a stable order; ``templates`` restricts to those template names.
    """
    sides, skipped = list_template_sides(docs_dir)
    if log:
        for note in skipped:
            print(f"skip {note}")
    book = template_fonts(docs_dir)
    out = []
    for template, side in sides:
        if templates is not None and template not in templates:
            continue
        start = time.perf_counter()
        out.append(load_template_side(docs_dir, template, side, cache_dir, book=book))
        if log:
            print(f"{template}/{side}: {time.perf_counter() - start:.1f} s, {len(out[-1].slots)} text slots")
    return out


def iter_slots(side: TemplateSide, key: str) -> Iterator[TextSlot]:
    """The slots of one value key, in line order."""
    yield from sorted((s for s in side.slots if s.key == key), key=lambda s: (s.line, s.element_id))
