"""Reading ``LABELS.tsv``: which file is bona fide or which attack species.

The file is tab-separated with a header line. ``path``, ``label`` and ``species`` are
required; ``subject`` and ``source`` are read when present and every other column (``note``,
``doc_type``, ...) is kept in ``LabelRow.extra``::

    path                label      species  subject  source  note
    videos/v0001.mp4    bona_fide  none     s01      phone   ...
    videos/v0101.mp4    attack     replay   s01      phone   ...

Paths are relative to the folder holding the TSV. Any malformed line raises
:class:`LabelsError` naming the file and line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from liveness.errors import LivenessError

__all__ = ["LABELS", "REQUIRED_COLUMNS", "LabelRow", "LabelsError", "read_labels"]

LABELS = ("bona_fide", "attack")
REQUIRED_COLUMNS = ("path", "label", "species")
BONA_FIDE_SPECIES = "none"
UNKNOWN_SPECIES = "unknown"
_KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "subject", "source")


class LabelsError(LivenessError):
    """A labels file is missing or malformed; the message names the file and line."""

    code = "LABELS_INVALID"


@dataclass(frozen=True)
class LabelRow:
    """One labelled attempt.

    ``species`` is ``"none"`` for bona fide rows and the attack species otherwise
    (``"unknown"`` when the file leaves it empty). ``line`` is the 1-based line number in the
    TSV, for error messages.
    """

    path: Path
    label: str
    species: str
    subject: str | None = None
    source: str | None = None
    extra: dict[str, str] = field(default_factory=dict, hash=False)
    line: int = field(default=0, compare=False)

    @property
    def is_attack(self) -> bool:
        return self.label == "attack"

    @property
    def y_true(self) -> int:
        """1 for an attack, 0 for bona fide: the metrics' convention."""
        return int(self.is_attack)


def read_labels(path: str | Path) -> list[LabelRow]:
    """Read a ``LABELS.tsv`` file.

    Parameters
    ----------
    path : str or Path
        The TSV file. Row paths are resolved relative to its folder (absolute ones are kept).

    Returns
    -------
    list of LabelRow
        In file order; blank lines are skipped.

    Raises
    ------
    LabelsError
        ``code="LABELS_MISSING"`` when the file cannot be read; ``code="LABELS_INVALID"`` for
        a missing header or required column, a line with more fields than the header or too
        few to reach the required columns, an
        empty path, a label other than ``bona_fide``/``attack``, a bona fide row with an
        attack species (or an attack with species ``none``), or a path listed twice.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "LABELS.tsv").write_text(
    ...     "path\\tlabel\\tspecies\\tsubject\\tnote\\n"
    ...     "a.mp4\\tbona_fide\\tnone\\ts1\\tselfie\\n"
    ...     "b.mp4\\tattack\\t\\ts1\\t\\n"
    ... )
    >>> rows = read_labels(folder / "LABELS.tsv")
    >>> [(r.path.name, r.label, r.species, r.subject) for r in rows]
    [('a.mp4', 'bona_fide', 'none', 's1'), ('b.mp4', 'attack', 'unknown', 's1')]
    >>> rows[0].extra, rows[1].y_true
    ({'note': 'selfie'}, 1)
    >>> rows[0].path == (folder / "a.mp4").resolve()
    True
    """
    tsv = Path(path)
    try:
        text = tsv.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"cannot read labels file {tsv}: {exc}", code="LABELS_MISSING") from exc
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise LabelsError(f"{tsv}:1: missing header line (needs {', '.join(REQUIRED_COLUMNS)})")
    header = [name.strip().lower() for name in lines[0].split("\t")]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise LabelsError(
            f"{tsv}:1: header lacks required column(s) {', '.join(missing)} "
            f"(found {', '.join(header)}); is the file tab-separated?"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated or "" in header:
        raise LabelsError(f"{tsv}:1: empty or repeated column name(s) {duplicated or ['']}")

    needed = 1 + max(header.index(name) for name in REQUIRED_COLUMNS)
    base = tsv.resolve().parent
    rows: list[LabelRow] = []
    first_line_of: dict[Path, int] = {}
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        # Editors drop trailing empty fields, so a short line is fine if it reaches every
        # required column; a long one means a stray tab.
        if not needed <= len(fields) <= len(header):
            raise LabelsError(
                f"{tsv}:{number}: {len(fields)} tab-separated field(s), the header has "
                f"{len(header)} (required columns need at least {needed})"
            )
        fields += [""] * (len(header) - len(fields))
        record = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        row = _parse_row(record, base, f"{tsv}:{number}", number)
        if row.path in first_line_of:
            raise LabelsError(
                f"{tsv}:{number}: {record['path']} is already listed on line "
                f"{first_line_of[row.path]}"
            )
        first_line_of[row.path] = number
        rows.append(row)
    return rows


def _parse_row(record: dict[str, str], base: Path, where: str, number: int) -> LabelRow:
    if not record["path"]:
        raise LabelsError(f"{where}: empty path")
    label = record["label"].lower()
    if label not in LABELS:
        raise LabelsError(f"{where}: label must be bona_fide or attack, got {record['label']!r}")
    species = record["species"].lower()
    if label == "bona_fide":
        if species not in ("", BONA_FIDE_SPECIES):
            raise LabelsError(f"{where}: bona fide row has attack species {record['species']!r}")
        species = BONA_FIDE_SPECIES
    elif species == BONA_FIDE_SPECIES:
        raise LabelsError(f"{where}: attack row has species 'none'")
    elif not species:
        species = UNKNOWN_SPECIES
    return LabelRow(
        path=(base / record["path"]).resolve(),
        label=label,
        species=species,
        subject=record.get("subject") or None,
        source=record.get("source") or None,
        extra={name: value for name, value in record.items() if name not in _KNOWN_COLUMNS},
        line=number,
    )
