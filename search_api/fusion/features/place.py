"""Geography. Scale: great-circle distance in km between where the child went missing and
where they were found; same district/state when coordinates are absent. Children travel
by train: being found far away at a major railway junction is common, so that level is
penalised less than being found far away anywhere else."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from indexer import Place, locate_place
from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair

# Major railway junctions where runaway and trafficked children are most often found.
RAILWAY_HUBS = {
    "new delhi": (28.6430, 77.2194),
    "mumbai": (18.9402, 72.8356),
    "howrah": (22.5839, 88.3424),
    "chennai": (13.0827, 80.2750),
    "bengaluru": (12.9784, 77.5697),
    "hyderabad": (17.4337, 78.5016),
    "lucknow": (26.8313, 80.9210),
    "kanpur": (26.4545, 80.3506),
    "patna": (25.6036, 85.1370),
    "bhopal": (23.2669, 77.4128),
    "nagpur": (21.1522, 79.0880),
    "ahmedabad": (23.0263, 72.6009),
    "jaipur": (26.9196, 75.7878),
    "guwahati": (26.1822, 91.7509),
    "bhubaneswar": (20.2667, 85.8433),
    "gorakhpur": (26.7606, 83.3817),
    "pune": (18.5286, 73.8743),
    "vijayawada": (16.5186, 80.6198),
    "ludhiana": (30.9120, 75.8475),
    "siliguri": (26.7069, 88.4283),
    "thiruvananthapuram": (8.4875, 76.9525),
}
HUB_RADIUS_KM = 40.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=100_000)
def near_hub(lat: float, lon: float) -> bool:
    return any(haversine_km(lat, lon, hl, ho) <= HUB_RADIUS_KM for hl, ho in RAILWAY_HUBS.values())


@dataclass(frozen=True)
class PlaceGap:
    km: float | None
    same_district: bool
    same_state: bool
    found_at_hub: bool
    known: bool
    approximate: bool = False  # a place without lat/lon was put at its district's centre (gazetteer)


@lru_cache(maxsize=100_000)
def _district_centre(district: str, state: str, city: str) -> tuple[float, float] | None:
    found = locate_place(district=district, state=state, city=city)
    return (found.lat, found.lon) if found is not None else None


def place_coordinates(place: Place) -> tuple[tuple[float, float] | None, bool]:
    """(lat, lon) of a place and whether it is approximate: the record's own coordinates,
    else the centre of its district from the bundled gazetteer, else None."""
    if place.lat is not None and place.lon is not None:
        return (place.lat, place.lon), False
    centre = _district_centre(place.district, place.state, place.city) if (place.district or place.city) else None
    return centre, centre is not None


def place_gap(pair: Pair) -> PlaceGap:
    a, b = pair.missing.record.place, pair.found.record.place
    same_district = bool(a.district) and a.district.strip().lower() == b.district.strip().lower()
    same_state = bool(a.state) and a.state.strip().lower() == b.state.strip().lower()
    (ca, approx_a), (cb, approx_b) = place_coordinates(a), place_coordinates(b)
    if ca is not None and cb is not None:
        approximate = approx_a or approx_b
        # a district centre is tens of km from a town in it: one district is the same area
        km = 0.0 if approximate and same_district else haversine_km(ca[0], ca[1], cb[0], cb[1])
        hub = near_hub(cb[0], cb[1]) or (approx_b and b.city.strip().lower() in RAILWAY_HUBS)
        return PlaceGap(km, same_district, same_state, hub, True, approximate)
    hub = b.city.strip().lower() in RAILWAY_HUBS or b.district.strip().lower() in RAILWAY_HUBS
    known = bool((a.district or a.state) and (b.district or b.state))
    return PlaceGap(None, same_district, same_state, hub, known)


def _within(limit: float):  # type: ignore[no-untyped-def]
    return lambda g: g.km <= limit if g.km is not None else False


_feature: Feature[PlaceGap] = Feature(
    "distance_km",
    "great-circle km between the places (district/state when no coordinates)",
    (
        Level("missing", "a place is unknown", lambda g: not g.known),
        Level("same_area", "found near where the child went missing", lambda g: _within(30)(g) or (g.km is None and g.same_district)),
        Level("nearby", "found within 150 km", _within(150)),
        Level("region", "found in the same region", lambda g: _within(700)(g) or (g.km is None and g.same_state)),
        Level("far_hub", "found far away at a railway junction", lambda g: g.found_at_hub),
        Level("else", "found far away", always),
    ),
)


def _compare(pair: Pair, _frequency: object = None) -> Observed:
    g = place_gap(pair)
    level = _feature.level_of(g)
    show = lambda p: ", ".join(x for x in (p.city, p.district, p.state) if x)  # noqa: E731
    detail = "" if g.km is None else f"about {g.km:.0f} km (district centres)" if g.approximate else f"{g.km:.0f} km"
    return Observed(_feature.name, level.name, level.label, show(pair.missing.record.place), show(pair.found.record.place), detail)


distance_km = Comparison(_feature, _compare)
