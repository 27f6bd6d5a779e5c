"""Demo records carry unit codes, so the demo exercises rights by unit code (not by name)."""

from __future__ import annotations

from indexer import IndependentGenerator, RegisterGenerator, parse_record
from indexer.demo import cci_code, police_station_code


def test_codes_follow_the_station_and_home_names() -> None:
    assert police_station_code("Patna Kotwali") == "PS-PATNA-KOTWALI"
    assert cci_code("Patna") == "CCI-PATNA"
    assert police_station_code("North East Delhi Model Town") == "PS-NORTH-EAST-DELHI-MODEL-TOWN"


def test_every_classic_demo_record_names_its_unit_by_code() -> None:
    data = RegisterGenerator(seed=7).dataset(3000, 1500)
    for report in data.missing:
        assert report["police_station_code"] == police_station_code(report["police_station"]), report["id"]
    for child in data.found:
        assert child["cci_code"] == cci_code(child["cci_name"].removeprefix("Children Home, ")), child["id"]
    records = [parse_record(r) for r in data.records()]  # the codes are valid unit codes
    # the demo users of `make demo` (Patna Kotwali, Children Home Patna) own records of their own
    assert any(getattr(r, "police_station_code", "") == "PS-PATNA-KOTWALI" for r in records)
    assert any(getattr(r, "cci_code", "") == "CCI-PATNA" for r in records)
    # and the codes tell apart stations of one name in two cities
    assert len({r["police_station_code"] for r in data.missing if r["police_station"].endswith("Kotwali")}) > 5


def test_independent_demo_records_carry_codes_too() -> None:
    data = IndependentGenerator(seed=3).dataset(200, 100)
    assert all(r["police_station_code"].startswith("PS-") for r in data.missing)
    assert all(r["cci_code"].startswith("CCI-") for r in data.found)
