"""What fusion sees of a child: the record, pre-normalised once, plus its face vectors."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from indexer import FoundChild, MissingReport, NormalisedName, normalise_name

_WORD = re.compile(r"[a-z]+")
# How CCI staff and police write the same description differently.
_SYNONYMS = {"lt": "left", "rt": "right", "til": "mole", "birth": "birthmark", "forhead": "forehead", "tshirt": "shirt", "t": ""}
_STOP = frozenset(["a", "an", "and", "on", "of", "in", "the", "with", "near", "above", "below", "his", "her"])


def description_words(text: str) -> frozenset[str]:
    words = (_SYNONYMS.get(w, w) for w in _WORD.findall(text.lower()))
    return frozenset(w.rstrip("s") for w in words if w and w not in _STOP)


@dataclass(frozen=True)
class FaceVector:
    vector: np.ndarray
    quality: float
    low_quality: bool


@dataclass(frozen=True)
class ChildView:
    """A record ready for comparison (built once per record, reused for every pair)."""

    key: str
    kind: str
    id: str
    record: MissingReport | FoundChild
    names: tuple[NormalisedName, ...]
    parents: tuple[NormalisedName, ...]
    parent_roles: frozenset[str]  # "father", "mother": whose names ``parents`` holds
    marks: frozenset[str]
    clothing: frozenset[str]
    languages: frozenset[str]
    faces: tuple[FaceVector, ...]

    @classmethod
    def of(cls, record: MissingReport | FoundChild, faces: tuple[FaceVector, ...] = ()) -> ChildView:
        names = tuple(n for n in (normalise_name(x) for x in record.names()) if n.tokens)
        named = {role: normalise_name(getattr(record, f"{role}_name")) for role in ("father", "mother")}
        parents = tuple(n for n in named.values() if n.tokens)
        return cls(
            key=record.key,
            kind=record.kind,
            id=record.id,
            record=record,
            names=names,
            parents=parents,
            parent_roles=frozenset(role for role, n in named.items() if n.tokens),
            marks=description_words(record.marks),
            clothing=description_words(record.clothing),
            languages=frozenset(x.strip().lower() for x in record.languages if x.strip()),
            faces=faces,
        )


@dataclass(frozen=True)
class Pair:
    """A candidate pair, always oriented missing report → found child."""

    missing: ChildView
    found: ChildView

    @classmethod
    def of(cls, a: ChildView, b: ChildView) -> Pair:
        if a.kind == b.kind:
            raise ValueError(f"a pair joins a missing report and a found child, not two {a.kind} records")
        return cls(a, b) if a.kind == "missing" else cls(b, a)

    @classmethod
    def same_side(cls, a: ChildView, b: ChildView) -> Pair:
        """Two records of one register (a possible duplicate), the earlier in the report's
        place: the later record is then read like a later sighting of the same child."""
        if a.kind != b.kind:
            raise ValueError("a duplicate pair joins two records of the same register")
        da, db = a.record.date, b.record.date
        earlier_first = da is None or (db is not None and da <= db)
        return cls(a, b) if earlier_first else cls(b, a)
