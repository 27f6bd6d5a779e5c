"""PFIF 1.4 (People Finder Interchange Format): our records as person records, status changes as notes.

The field map is in the README ("Interchange"): PFIF elements carry what they can (name,
aliases, sex, age, description, the place as home_*, the unit as author_name), a note per record
carries its status and a note per confirmed review pair links the two children; every other
field goes into ``<tc:field name="...">`` elements of the ``urn:trackchild:pfif-extension:1``
namespace, which PFIF readers ignore and our import reads back, so nothing is lost.

Untrusted XML is parsed with defusedxml: a DTD, entity declarations (billion laughs) and
external entities are refused before anything is expanded or fetched.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PFIF_NS = "http://zesty.ca/pfif/1.4"
EXT_NS = "urn:trackchild:pfif-extension:1"
DEFAULT_DOMAIN = "trackchild.in"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "pfif-1.4.xsd"
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024

_P = f"{{{PFIF_NS}}}"
_T = f"{{{EXT_NS}}}"
ET.register_namespace("pfif", PFIF_NS)
ET.register_namespace("tc", EXT_NS)

# PFIF person elements in the order the specification gives them
PERSON_FIELDS = (
    "person_record_id", "entry_date", "expiry_date", "author_name", "author_email", "author_phone", "source_name",
    "source_date", "source_url", "full_name", "given_name", "family_name", "alternate_names", "description", "sex",
    "date_of_birth", "age", "home_street", "home_neighborhood", "home_city", "home_state", "home_postal_code",
    "home_country", "photo_url", "profile_urls",
)  # fmt: skip
NOTE_FIELDS = (
    "note_record_id", "person_record_id", "linked_person_record_id", "entry_date", "author_name", "author_email",
    "author_phone", "source_date", "author_made_contact", "status", "email_of_found_person", "phone_of_found_person",
    "last_known_location", "text", "photo_url",
)  # fmt: skip

SEX_TO_PFIF = {"M": "male", "F": "female", "X": "other"}
SEX_FROM_PFIF = {v: k for k, v in SEX_TO_PFIF.items()}
STATUS_TO_PFIF = {
    "open": "believed_missing",
    "traced": "believed_alive",
    "closed": "",  # closed without a trace: PFIF has no word for it; the note's text says it
    "in_care": "believed_alive",
    "restored": "believed_alive",
    "transferred": "believed_alive",
}
# our fields that PFIF elements carry (everything else goes to the extension)
_MAPPED = {"kind", "id", "name", "aliases", "description", "sex", "status", "place.address", "place.city", "place.state"}
_AUTHOR_FIELD = {"missing": "police_station", "found": "cci_name"}
_STATUS_TEXT = re.compile(r"^TrackChild status: (\w+)")


class PfifError(ValueError):
    """A PFIF document that cannot be read at all (hostile, not XML, not PFIF)."""


class HostileXml(PfifError):
    """A DTD, an entity declaration or an external reference: refused, never expanded."""


def utc_text(when: dt.datetime | dt.date | None) -> str:
    """``yyyy-mm-ddThh:mm:ssZ`` (PFIF's only time format)."""
    if when is None:
        return ""
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def person_record_id(kind: str, record_id: str, *, domain: str = DEFAULT_DOMAIN) -> str:
    return f"{domain}/{kind}.{record_id}"


@dataclass(frozen=True)
class PfifNote:
    """One PFIF note; ``our_status`` is the TrackChild status it carries (our own status notes)."""

    note_record_id: str
    person_record_id: str
    author_name: str
    source_date: str
    text: str
    entry_date: str = ""
    linked_person_record_id: str = ""
    status: str = ""
    author_made_contact: str = ""
    last_known_location: str = ""
    our_status: str = ""
    other: dict[str, str] = field(default_factory=dict)  # further PFIF note elements read from a file


def status_note(*, kind: str, record_id: str, status: str, when: dt.datetime, domain: str = DEFAULT_DOMAIN) -> PfifNote:
    """The note that carries a record's current status."""
    return PfifNote(
        note_record_id=f"{domain}/status.{kind}.{record_id}",
        person_record_id=person_record_id(kind, record_id, domain=domain),
        author_name="TrackChild",
        entry_date=utc_text(when),
        source_date=utc_text(when),
        status=STATUS_TO_PFIF.get(status, ""),
        text=f"TrackChild status: {status}",
        our_status=status,
    )


def confirmed_match_note(
    *, kind: str, record_id: str, other_kind: str, other_id: str | None, pair_pk: int, when: dt.datetime, domain: str = DEFAULT_DOMAIN
) -> PfifNote:
    """A review decision that this child is the other register's child. ``other_id`` is None
    when the exporting user may not see the other record: the link is then left out."""
    other_words = "found child" if other_kind == "found" else "missing report"
    return PfifNote(
        note_record_id=f"{domain}/review.{pair_pk}.{kind}",
        person_record_id=person_record_id(kind, record_id, domain=domain),
        linked_person_record_id=person_record_id(other_kind, other_id, domain=domain) if other_id else "",
        author_name="TrackChild review",
        entry_date=utc_text(when),
        source_date=utc_text(when),
        status="believed_alive",
        text=f"TrackChild review: match confirmed (pair {pair_pk}); this child is the {other_words} linked here.",
    )


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, inner in value.items():
            out.extend(_flatten(inner, f"{prefix}.{key}" if prefix else key))
        return out
    return [(prefix, value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sub(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, _P + tag).text = text


def _note_element(parent: ET.Element, note: PfifNote, *, nested: bool, extensions: bool) -> None:
    element = ET.SubElement(parent, _P + "note")
    values = {
        "note_record_id": note.note_record_id,
        "person_record_id": "" if nested else note.person_record_id,
        "linked_person_record_id": note.linked_person_record_id,
        "entry_date": note.entry_date,
        "author_name": note.author_name,
        "source_date": note.source_date,
        "author_made_contact": note.author_made_contact,
        "status": note.status,
        "last_known_location": note.last_known_location,
        "text": note.text,
    }
    required = {"note_record_id", "author_name", "source_date", "text"}
    for name in NOTE_FIELDS:
        if values.get(name) or name in required:
            _sub(element, name, values.get(name, ""))
    if extensions and note.our_status:
        ET.SubElement(element, _T + "field", {"name": "status"}).text = note.our_status


def record_to_person(
    record: dict, *, updated_at: dt.datetime, notes: list[PfifNote], domain: str = DEFAULT_DOMAIN, extensions: bool = True
) -> ET.Element:
    """One of our records (``model_dump(mode="json")``) as a PFIF ``person`` element with its notes."""
    kind, place = record["kind"], record.get("place") or {}
    age = record.get("age")
    values = {
        "person_record_id": person_record_id(kind, record["id"], domain=domain),
        "entry_date": utc_text(updated_at),
        "author_name": record.get(_AUTHOR_FIELD[kind], ""),
        "source_name": "TrackChild",
        "source_date": utc_text(updated_at),
        "full_name": record.get("name", ""),
        "alternate_names": "\n".join(record.get("aliases") or []),
        "description": record.get("description", ""),
        "sex": SEX_TO_PFIF.get(record.get("sex") or "", ""),
        "age": str(round(age)) if age is not None else "",
        "home_street": place.get("address", ""),
        "home_city": place.get("city", ""),
        "home_state": place.get("state", ""),
        "home_country": "IN",
    }
    person = ET.Element(_P + "person")
    for name in PERSON_FIELDS:
        if values.get(name) or name in ("person_record_id", "source_date", "full_name"):
            _sub(person, name, values.get(name, ""))
    for note in notes:
        _note_element(person, note, nested=True, extensions=extensions)
    if extensions:
        carried = _MAPPED | {_AUTHOR_FIELD[kind]}
        if age is not None and float(age).is_integer():
            carried = carried | {"age"}
        for name, value in _flatten(record):
            if name in carried or value is None or value == "" or value == []:
                continue
            for item in value if isinstance(value, list) else [value]:
                ET.SubElement(person, _T + "field", {"name": name}).text = _text(item)
    return person


def document(persons: list[ET.Element]) -> ET.Element:
    root = ET.Element(_P + "pfif")
    root.extend(persons)
    return root


def to_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@cache
def schema():  # type: ignore[no-untyped-def]
    """The PFIF 1.4 XSD (``schemas/pfif-1.4.xsd``, local: nothing is fetched)."""
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def schema_errors(root: ET.Element) -> list[str]:
    """Every way ``root`` breaks the PFIF 1.4 schema, each naming the element's path."""
    return [f"{error.path}: {error.reason}" for error in schema().iter_errors(root)]


# ---- reading ---------------------------------------------------------------------------------


@dataclass
class PfifPerson:
    """A person record read from a file, mapped to one of our records (``data``, for ingest)."""

    position: int  # 1-based, the n-th person in the file
    pfif_id: str
    data: dict[str, Any]
    notes: list[PfifNote] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class PfifDocument:
    persons: list[PfifPerson]
    notes: int  # notes read, nested and top-level
    schema_errors: list[str]


def parse(data: bytes) -> ET.Element:
    """Parse untrusted XML safely: a DTD, entities and external references are refused.

    Raises:
        HostileXml: the document declares a DTD or entities, or references an external one.
        PfifError: not well-formed XML, too large, or not a PFIF 1.4 document.
    """
    import defusedxml.ElementTree as safe
    from defusedxml import DefusedXmlException

    if len(data) > MAX_DOCUMENT_BYTES:
        raise PfifError(f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes")
    try:
        root = safe.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise HostileXml(f"refused: the document declares a DTD or entities or references external ones ({exc}); "
                         "PFIF needs none: export it without a DOCTYPE") from exc  # fmt: skip
    except ET.ParseError as exc:
        raise PfifError(f"not well-formed XML: {exc}") from exc
    if root.tag != _P + "pfif":
        raise PfifError(f"not a PFIF 1.4 document: the root element is {root.tag!r}, expected {{{PFIF_NS}}}pfif")
    return root


def _child_text(element: ET.Element, name: str) -> str:
    child = element.find(_P + name)
    return (child.text or "").strip() if child is not None else ""


def _read_note(element: ET.Element, parent_id: str) -> PfifNote:
    values = {name: _child_text(element, name) for name in NOTE_FIELDS}
    ours = ""
    for ext in element.findall(_T + "field"):
        if ext.get("name") == "status":
            ours = (ext.text or "").strip()
    named = {"note_record_id", "person_record_id", "linked_person_record_id", "entry_date", "author_name", "source_date",
             "author_made_contact", "status", "last_known_location", "text"}  # fmt: skip
    return PfifNote(
        note_record_id=values["note_record_id"],
        person_record_id=values["person_record_id"] or parent_id,
        linked_person_record_id=values["linked_person_record_id"],
        entry_date=values["entry_date"],
        author_name=values["author_name"],
        source_date=values["source_date"],
        author_made_contact=values["author_made_contact"],
        status=values["status"],
        last_known_location=values["last_known_location"],
        text=values["text"],
        our_status=ours,
        other={k: v for k, v in values.items() if k not in named and v},
    )


def _unflatten(pairs: list[tuple[str, str]], lists: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        target = out
        parts = name.split(".")
        for part in parts[:-1]:
            nxt = target.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            target = nxt
        else:
            if name in lists:
                target.setdefault(parts[-1], []).append(value)
            else:
                target[parts[-1]] = value
    return out


_LIST_FIELDS = {"aliases", "languages", "photos"}


def _our_id(pfif_id: str, *, domain: str, default_kind: str) -> tuple[str, str, bool]:
    """(kind, id, ours): our own ids map back exactly; a foreign id keeps its text, ``/`` as ``~``."""
    prefix = f"{domain}/"
    if pfif_id.startswith(prefix):
        kind, _, record_id = pfif_id[len(prefix) :].partition(".")
        if kind in ("missing", "found") and record_id:
            return kind, record_id, True
    return default_kind, re.sub(r"\s+", "_", pfif_id.replace("/", "~")), False


def person_to_record(
    element: ET.Element, *, position: int, domain: str = DEFAULT_DOMAIN, default_kind: str = "missing", top_notes: list[PfifNote] = ()
) -> PfifPerson:
    """One PFIF person as one of our records (a dict for the normal ingest path).

    Our own exports map back field by field; a foreign record's PFIF fields that have no place
    in our record are kept as lines of its description (never dropped), with a warning.
    """
    values = {name: _child_text(element, name) for name in PERSON_FIELDS}
    pfif_id = values["person_record_id"]
    kind, record_id, ours = _our_id(pfif_id, domain=domain, default_kind=default_kind)
    warnings: list[str] = []
    pairs = [(ext.get("name") or "", (ext.text or "").strip()) for ext in element.findall(_T + "field")] if ours else []
    data: dict[str, Any] = _unflatten([(n, v) for n, v in pairs if n and n not in ("kind", "id")], _LIST_FIELDS)
    data |= {"kind": kind, "id": record_id}
    full_name = values["full_name"] or " ".join(v for v in (values["given_name"], values["family_name"]) if v)
    if full_name:
        data["name"] = full_name
    if values["alternate_names"]:
        data["aliases"] = [a.strip() for a in values["alternate_names"].splitlines() if a.strip()]
    if values["description"]:
        data["description"] = values["description"]
    if values["sex"]:
        data["sex"] = SEX_FROM_PFIF.get(values["sex"], values["sex"])
    if values["age"] and "age" not in data:
        data["age"] = values["age"]  # a range (8-10) is read as its middle, an estimate
    place = data.setdefault("place", {})
    for ours_name, pfif_name in (("address", "home_street"), ("city", "home_city"), ("state", "home_state")):
        if values[pfif_name]:
            place[ours_name] = values[pfif_name]
    if not place:
        data.pop("place")
    leftovers = ["home_neighborhood", "home_postal_code", "date_of_birth", "photo_url", "profile_urls", "author_email", "author_phone",
                 "source_name", "source_url", "expiry_date"]  # fmt: skip
    if ours:
        if values["author_name"]:
            data[_AUTHOR_FIELD[kind]] = values["author_name"]
    else:
        leftovers = ["author_name", *leftovers]
    if values["home_country"] and values["home_country"] != "IN":
        leftovers.append("home_country")
    kept = [f"[PFIF {name}] {values[name]}" for name in leftovers if values[name] and not (ours and name == "source_name")]
    if kept:
        data["description"] = "\n".join([data.get("description", ""), *kept]).strip()
        warnings.append(f"fields with no place in our record kept in the description: {', '.join(k.split(']')[0][6:] for k in kept)}")
    notes = [_read_note(n, pfif_id) for n in element.findall(_P + "note")] + [n for n in top_notes if n.person_record_id == pfif_id]
    statuses = [n for n in notes if n.our_status and ours and _STATUS_TEXT.match(n.text)]
    if statuses:
        data["status"] = max(statuses, key=lambda n: n.source_date).our_status
    foreign = [n for n in notes if n.status and not n.our_status and not n.note_record_id.startswith(f"{domain}/review.")]
    if foreign:
        latest = max(foreign, key=lambda n: n.source_date)
        warnings.append(
            f"{len(foreign)} note(s) from other sources carry a status (latest {latest.status!r}, note {latest.note_record_id}); "
            "not applied: in TrackChild a case closes through a review decision"
        )
    return PfifPerson(position=position, pfif_id=pfif_id, data=data, notes=notes, warnings=warnings)


def read_document(data: bytes, *, domain: str = DEFAULT_DOMAIN, default_kind: str = "missing") -> PfifDocument:
    """Parse (safely), validate against the PFIF 1.4 schema and map every person.

    Schema errors are returned, not raised: the caller decides (the import refuses the file
    with ``--strict``; by default each person goes through the normal ingest, which clears a
    bad field with a warning and keeps the child).
    """
    root = parse(data)
    errors = schema_errors(root)
    top_notes = [_read_note(n, "") for n in root.findall(_P + "note")]
    persons = [
        person_to_record(element, position=i, domain=domain, default_kind=default_kind, top_notes=top_notes)
        for i, element in enumerate(root.findall(_P + "person"), start=1)
    ]
    nested = sum(len(element.findall(_P + "note")) for element in root.findall(_P + "person"))
    return PfifDocument(persons=persons, notes=nested + len(top_notes), schema_errors=errors)
