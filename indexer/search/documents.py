"""The index document: the evidence both engines index, computed once in Python.

Phonetic keys and prefixes are computed here rather than by engine analysers, so tantivy
and Elasticsearch index identical terms and no Elasticsearch plugin is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from indexer.normalise import normalise_name
from indexer.records import FoundChild, MissingReport

EPOCH = dt.date(1970, 1, 1)
MAX_PREFIX = 12
UNKNOWN_AGE_RANGE = (0.0, 30.0)

# Free-text fields that describe the child; searched as analysed text.
DESCRIPTION_FIELDS = ("marks", "clothing", "description", "hair", "complexion")


def date_to_days(value: dt.date) -> int:
    return (value - EPOCH).days


def estimated_age_range(age: float | None, is_estimate: bool) -> tuple[float, float]:
    """The ages a record is compatible with, for the age filter.

    A staff estimate of a child's age is often off by two years or more (more for
    teenagers), so an estimate widens into a range rather than being a point.
    """
    if age is None:
        return UNKNOWN_AGE_RANGE
    if not is_estimate:
        return (age, age)
    spread = max(2.0, 0.2 * age)
    return (max(0.0, age - spread), age + spread)


@dataclass(frozen=True)
class IndexDocument:
    """Everything a text engine needs for one record; engines map it onto their schema."""

    key: str
    id: str
    kind: str
    name: str
    sex: str
    age_min: float
    age_max: float
    date_days: int | None
    state: str
    district: str
    status: str
    name_tokens: tuple[str, ...]
    name_keys: tuple[str, ...]
    name_prefixes: tuple[str, ...]
    parent_tokens: tuple[str, ...]
    parent_keys: tuple[str, ...]
    text: str
    # per-field words for explaining a hit: {"name": [...], "aliases": [...], ...}
    evidence: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class _NameEvidence:
    """What one name string contributes to a document (cached: names repeat a lot)."""

    words: list[str]
    tokens: tuple[str, ...]
    keys: tuple[str, ...]
    prefixes: tuple[str, ...]


@lru_cache(maxsize=262144)
def _name_evidence(text: str) -> _NameEvidence:
    name = normalise_name(text)
    tokens: list[str] = []
    keys: list[str] = []
    prefixes: list[str] = []
    for token in name.tokens:
        tokens.append(token.text)
        keys.extend(token.keys)
        prefixes.extend(token.text[:n] for n in range(1, min(len(token.text), MAX_PREFIX) + 1))
        prefixes.extend(token.strict[:n] for n in range(1, min(len(token.strict), MAX_PREFIX) + 1))
    return _NameEvidence(name.texts(), tuple(tokens), tuple(keys), tuple(prefixes))


def _merge(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    if len(parts) == 1:
        return tuple(dict.fromkeys(parts[0]))
    return tuple(dict.fromkeys(x for part in parts for x in part))


def build_document(record: MissingReport | FoundChild) -> IndexDocument:
    """Compute the index document of a record (pure; both engines call this).

    Example:
        >>> from indexer.records import parse_record
        >>> doc = build_document(parse_record({"kind": "found", "id": "F1", "name": "राकेश"}))
        >>> doc.name_tokens, "s:rakes" in doc.name_keys
        (('rakesh',), True)
    """
    own = _name_evidence(record.name)
    aliases = [_name_evidence(a) for a in record.aliases]
    father, mother = _name_evidence(record.father_name), _name_evidence(record.mother_name)
    names = [own, *aliases]
    age_min, age_max = estimated_age_range(record.age, record.age_is_estimate)
    texts = {f: value for f in DESCRIPTION_FIELDS if (value := getattr(record, f))}
    evidence: dict[str, list[str]] = {
        "name": own.words,
        "aliases": [w for a in aliases for w in a.words],
        "father_name": father.words,
        "mother_name": mother.words,
        **{f: [v] for f, v in texts.items()},
    }
    return IndexDocument(
        key=record.key,
        id=record.id,
        kind=record.kind,
        name=record.name,
        sex=record.sex or "U",
        age_min=age_min,
        age_max=age_max,
        date_days=date_to_days(record.date) if record.date else None,
        state=record.place.state.strip().lower(),
        district=record.place.district.strip().lower(),
        status=record.status,
        name_tokens=_merge([n.tokens for n in names]),
        name_keys=_merge([n.keys for n in names]),
        name_prefixes=_merge([n.prefixes for n in names]),
        parent_tokens=_merge([father.tokens, mother.tokens]),
        parent_keys=_merge([father.keys, mother.keys]),
        text=" ".join(texts.values()),
        evidence=evidence,
    )
