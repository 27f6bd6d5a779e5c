"""The index document: the evidence both engines index, computed once in Python.

Phonetic keys and prefixes are computed here rather than by engine analysers, so tantivy
and Elasticsearch index identical terms and no Elasticsearch plugin is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from indexer.normalise import NormalisedName, normalise_name
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


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _tokens_keys(names: list[NormalisedName]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tokens: list[str] = []
    keys: list[str] = []
    for name in names:
        for token in name.tokens:
            tokens.append(token.text)
            keys.extend(token.keys())
    return _unique(tokens), _unique(keys)


def _prefixes(names: list[NormalisedName]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        for token in name.tokens:
            for source in (token.text, token.strict):
                out.extend(source[:n] for n in range(1, min(len(source), MAX_PREFIX) + 1))
    return _unique(out)


def build_document(record: MissingReport | FoundChild) -> IndexDocument:
    """Compute the index document of a record (pure; both engines call this).

    Example:
        >>> from indexer.records import parse_record
        >>> doc = build_document(parse_record({"kind": "found", "id": "F1", "name": "राकेश"}))
        >>> doc.name_tokens, "s:rakes" in doc.name_keys
        (('rakesh',), True)
    """
    own = normalise_name(record.name)
    aliases = [normalise_name(a) for a in record.aliases]
    parents = [normalise_name(record.father_name), normalise_name(record.mother_name)]
    name_tokens, name_keys = _tokens_keys([own, *aliases])
    parent_tokens, parent_keys = _tokens_keys(parents)
    age_min, age_max = estimated_age_range(record.age, record.age_is_estimate)
    texts = {f: getattr(record, f) for f in DESCRIPTION_FIELDS if getattr(record, f)}
    evidence: dict[str, list[str]] = {
        "name": own.texts(),
        "aliases": [t for a in aliases for t in a.texts()],
        "father_name": parents[0].texts(),
        "mother_name": parents[1].texts(),
    }
    evidence.update({f: [v] for f, v in texts.items()})
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
        name_tokens=name_tokens,
        name_keys=name_keys,
        name_prefixes=_prefixes([own, *aliases]),
        parent_tokens=parent_tokens,
        parent_keys=parent_keys,
        text=" ".join(texts.values()),
        evidence=evidence,
    )
