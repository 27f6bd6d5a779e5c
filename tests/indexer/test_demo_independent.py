"""The independent benchmark generator: shares no rules with the matcher; its registers load whole."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from indexer import IndependentGenerator, Ingestor
from indexer.demo import independent
from indexer.demo.independent import by_ear, to_bengali, to_devanagari

SOURCE = Path(independent.__file__)


def test_it_imports_no_rule_of_the_matcher_or_the_classic_generator() -> None:
    imported = set()
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    # only the Dataset container (lists of dicts and a writer) comes from the classic module, and
    # the demo's unit codes (derived from names; no rule of matching)
    allowed = {"__future__.annotations", "datetime", "math", "random", "indexer.demo.generator.Dataset"}
    allowed |= {"indexer.demo.units.cci_code", "indexer.demo.units.police_station_code"}
    assert imported <= allowed, imported


@pytest.mark.parametrize(
    ("latin", "devanagari", "heard"),
    [("Pooja", "पूजा", "Puja"), ("Sheetal", "शीतल", "Shital"), ("Krishna", "क्रिश्ना", "Krishna"), ("Rahul", "रहुल", "Rahul")],
)
def test_its_own_naive_transliteration(latin: str, devanagari: str, heard: str) -> None:
    assert to_devanagari(latin) == devanagari
    assert by_ear(devanagari) == heard
    assert to_bengali("Bhavna") == "ভব্না"


def test_sizes_and_truth() -> None:
    ds = IndependentGenerator(seed=1).dataset(300, 120)
    assert (len(ds.missing), len(ds.found), len(ds.truth)) == (300, 120, 60)
    found_ids = {r["id"] for r in ds.found}
    missing_ids = {r["id"] for r in ds.missing}
    assert all(p["found"] in found_ids and p["missing"] in missing_ids for p in ds.truth)


def test_its_noise_is_what_registers_contain() -> None:
    ds = IndependentGenerator(seed=2).dataset(2000, 1000)
    rows = list(ds.records())
    text = [json.dumps(r, ensure_ascii=False) for r in rows]
    count = lambda pattern: sum(1 for t in text if re.search(pattern, t))  # noqa: E731
    assert count(r'"height_cm": 0[,}]') > 50  # "not measured"
    assert count(r'"date": "\d\d/\d\d/\d{4}"') > 300  # dd/mm/yyyy
    assert count(r'"date": "\d\d-\d\d-\d\d"') > 50  # dd-mm-yy
    assert count(r'"age": "\d+ months"') > 10
    assert count(r'"age": "\d+-\d+"') > 20 and count(r'"age": "approx \d+"') > 20
    assert count(r'"height_cm": "\d ft \d+ in"') > 100
    assert count(r"Gurgaon|Allahabad|Calcutta|Bombay|Bangalore|Madras|Orissa|Poona|Baroda") > 100  # old names
    assert count(r'"father_name": "(NA|unknown|नहीं पता|not known)"') > 100  # sentinels
    assert count(r'"name": "[\u0900-\u097f ]+"') > 20 and count(r'"name": "[\u0980-\u09ff ]+"') > 5  # other scripts
    assert count(r'"name": "[^"]* [SD]/O ') > 10  # the father's name in the child's field
    assert count(r'"sex": "(लड़का|लड़की|Boy|Girl)"') > 100


def test_its_registers_load_without_losing_a_child(ingestor: Ingestor, tmp_path: Path) -> None:
    ds = IndependentGenerator(seed=3).dataset(200, 100)
    records, _ = ds.write(tmp_path / "independent")
    report = ingestor.ingest_file(records)
    assert (report.rows, report.created, report.rejected_rows) == (300, 300, 0)
    assert report.warnings  # ambiguous dates and age ranges are said
