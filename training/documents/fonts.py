"""Fonts of the document templates: CSS font-family names resolved to font files for PIL.

The SVG templates name fonts the CSS way (``SpaceGrotesk-Medium, 'Space Grotesk'``,
``OpenSansRoman-CondensedSemiBold``, ``OCRB``); :class:`FontBook` indexes the font files of the
given folders by family and style and resolves such a list to a file plus the weight/width of
a variable font. Fonts it does not have (Gill Sans, Arial) fall back to an open sans: Cabin,
as the pool's README suggests for Gill Sans, else DejaVu Sans from matplotlib.

:meth:`FontBook.similar` lists near-miss fonts for a forger's re-typed field: the same family
at another weight, or another font of the same kind (sans, serif, script, monospace).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import ImageFont

__all__ = ["FontBook", "FontFace", "FontSpec", "load_font", "matplotlib_font_dir"]

WEIGHTS = {
    "thin": 100,
    "hairline": 100,
    "extralight": 200,
    "ultralight": 200,
    "light": 300,
    "regular": 400,
    "normal": 400,
    "book": 400,
    "roman": 400,
    "medium": 500,
    "semibold": 600,
    "demibold": 600,
    "bold": 700,
    "extrabold": 800,
    "ultrabold": 800,
    "black": 900,
    "heavy": 900,
}
# Kinds decide which fonts a forger could plausibly mistake for each other.
SCRIPT = ("allura", "comforterbrush", "homemadeapple", "kristi", "msmadi")
DISPLAY = ("codystar", "fuzzybubbles")
MONO = ("ocrb", "dejavusansmono")
SERIF = ("bellefair", "dejavuserif")
# Aliases for fonts the templates name but the pool does not ship (proprietary or system fonts).
SUBSTITUTES = {"gillsans": "cabin", "arial": "dejavusans", "helvetica": "dejavusans", "ocrb10bt": "ocrb"}
_FONT_SUFFIXES = (".ttf", ".otf")


def matplotlib_font_dir() -> Path:
    """matplotlib's bundled TrueType folder (DejaVu), present wherever matplotlib is."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class FontSpec:
    """A font file plus the variation of a variable font (None = the file's default)."""

    path: str
    weight: float | None = None
    width: float | None = None


@dataclass(frozen=True)
class FontFace:
    """One font file as indexed: normalized family and style, kind, variation axes."""

    path: str
    family: str
    style: str
    kind: str
    axes: tuple[tuple[str, float, float], ...]
    family_name: str = ""  # as the font names itself (what resvg matches)

    @property
    def italic(self) -> bool:
        return "italic" in self.style or "oblique" in self.style

    @property
    def weight(self) -> int:
        style = self.style.replace("italic", "").replace("oblique", "") or "regular"
        return WEIGHTS.get(style, 700 if "bold" in style else 400)

    def axis(self, name: str) -> tuple[float, float] | None:
        for axis_name, low, high in self.axes:
            if axis_name == name:
                return low, high
        return None


def _kind(family: str) -> str:
    for kind, names in (("script", SCRIPT), ("display", DISPLAY), ("mono", MONO), ("serif", SERIF)):
        if any(family.startswith(n) for n in names):
            return kind
    return "sans"


@lru_cache(maxsize=512)
def load_font(spec: FontSpec, size: float) -> ImageFont.FreeTypeFont:
    """A PIL font at ``size`` px (rounded to 1/4 px for the cache), variation applied."""
    font = ImageFont.truetype(spec.path, max(1.0, round(size * 4) / 4))
    if spec.weight is not None or spec.width is not None:
        try:
            axes = font.get_variation_axes()
        except OSError:  # not a variable font
            return font
        values = []
        for axis in axes:
            name = axis["name"].decode() if isinstance(axis["name"], bytes) else str(axis["name"])
            value = axis["default"]
            if name.lower() == "weight" and spec.weight is not None:
                value = spec.weight
            elif name.lower() == "width" and spec.width is not None:
                value = spec.width
            values.append(min(max(value, axis["minimum"]), axis["maximum"]))
        font.set_variation_by_axes(values)
    return font


class FontBook:
    """The font files of some folders, indexed by family and style.

    Parameters
    ----------
    font_dirs : sequence of Path
        Folders searched recursively for ``.ttf``/``.otf`` files; matplotlib's DejaVu folder is
        always added as the fallback.

    Examples
    --------
    >>> book = FontBook([])
    >>> Path(book.resolve(["DejaVu Sans"]).path).name
    'DejaVuSans.ttf'
    """

    def __init__(self, font_dirs: Sequence[Path]) -> None:
        faces: list[FontFace] = []
        seen: set[str] = set()
        for folder in [*font_dirs, matplotlib_font_dir()]:
            folder = Path(folder)
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() not in _FONT_SUFFIXES or path.name in seen:
                    continue
                face = _index_face(path)
                if face is not None:
                    seen.add(path.name)
                    faces.append(face)
        self.faces = tuple(faces)

    def _family(self, family: str) -> list[FontFace]:
        return [f for f in self.faces if f.family == family]

    def resolve(self, families: Sequence[str], *, weight: int | None = None, italic: bool = False) -> FontSpec:
        """The best file for a CSS font-family list (first family found wins).

        A name like ``SpaceGrotesk-Medium`` is read as family ``Space Grotesk``, style
        ``Medium``; ``weight`` (CSS 100-900) overrides the style's weight.
        """
        for name in families:
            key = _norm(name)
            key = SUBSTITUTES.get(key, key)
            # Longest family that prefixes the name: "spacegroteskmedium" -> "spacegrotesk".
            matches = sorted({f.family for f in self.faces if key.startswith(f.family)}, key=len, reverse=True)
            if not matches:
                continue
            family = matches[0]
            rest = key[len(family) :].replace("roman", "")
            style_weight = next((w for n, w in sorted(WEIGHTS.items(), key=lambda kv: -len(kv[0])) if n in rest), None)
            wanted = weight or style_weight or 400
            condensed = "condensed" in rest
            return self._pick(self._family(family), wanted, italic or "italic" in rest, condensed)
        fallback = self._family("cabin") or self._family("dejavusans")
        return self._pick(fallback, weight or 400, italic, False)

    def _pick(self, faces: list[FontFace], weight: int, italic: bool, condensed: bool) -> FontSpec:
        def cost(face: FontFace) -> float:
            w_range = face.axis("weight")
            w_cost = 0.0 if w_range and w_range[0] <= weight <= w_range[1] else abs(face.weight - weight)
            # OCR-B: the plain face, not the outline/inverted/sharp variants.
            odd = face.style not in ("regular", "italic", "") and not w_range and face.kind == "mono"
            return w_cost + 1000 * (face.italic != italic) + 2000 * odd

        face = min(faces, key=cost)
        w_range, d_range = face.axis("weight"), face.axis("width")
        return FontSpec(
            face.path,
            weight=float(weight) if w_range else None,
            width=(75.0 if condensed else 100.0) if d_range else None,
        )

    def family_name(self, families: Sequence[str]) -> str:
        """The real family name of what :meth:`resolve` picks (for renderers that match by name)."""
        spec = self.resolve(families)
        face = next((f for f in self.faces if f.path == spec.path), None)
        return face.family_name if face else "DejaVu Sans"

    def kind(self, spec: FontSpec) -> str:
        """``"sans"``, ``"serif"``, ``"script"``, ``"display"`` or ``"mono"``."""
        face = next((f for f in self.faces if f.path == spec.path), None)
        return face.kind if face else "sans"

    def similar(self, spec: FontSpec) -> list[FontSpec]:
        """Near-miss fonts for ``spec``: its family at other weights, then fonts of its kind."""
        face = next((f for f in self.faces if f.path == spec.path), None)
        if face is None:
            return []
        out: list[FontSpec] = []
        w_range = face.axis("weight")
        if w_range:
            base = spec.weight or 400.0
            for delta in (-200, -100, 100, 200):
                if w_range[0] <= base + delta <= w_range[1]:
                    out.append(FontSpec(spec.path, weight=base + delta, width=spec.width))
        weight = spec.weight or face.weight
        for other in self.faces:
            if other.path == spec.path or other.kind != face.kind or other.italic != face.italic:
                continue
            if "display" in other.family or (face.kind == "mono" and other.style not in ("regular", "")):
                continue
            ow = other.axis("weight")
            if ow:
                out.append(FontSpec(other.path, weight=float(min(max(weight, ow[0]), ow[1]))))
            elif abs(other.weight - weight) <= 200:
                out.append(FontSpec(other.path))
        return out


def _index_face(path: Path) -> FontFace | None:
    try:
        font = ImageFont.truetype(str(path), 20)
    except OSError:
        return None
    family, style = font.getname()
    if family is None:
        return None
    axes: list[tuple[str, float, float]] = []
    try:
        for axis in font.get_variation_axes():
            name = axis["name"].decode() if isinstance(axis["name"], bytes) else str(axis["name"])
            axes.append((name.lower(), float(axis["minimum"]), float(axis["maximum"])))
    except OSError:
        pass
    fam = _norm(family)
    # Variable fonts report their default instance ("Thin", "Light"); the file is the family.
    style_norm = _norm(style or "regular")
    if axes:
        style_norm = "italic" if "italic" in style_norm or "italic" in path.name.lower() else "regular"
    return FontFace(str(path), fam, style_norm, _kind(fam), tuple(axes), family)
