"""Jurisdiction by place survives old names: records are stored by the gazetteer's names."""

from __future__ import annotations

import pytest

from indexer import parse_record
from search_api.policy import covers
from search_api.users.models import UserRow
from tests.factories import found_child


@pytest.mark.parametrize(
    ("role", "user_state", "user_district", "place", "covered"),
    [
        ("dcpu", "Haryana", "Gurgaon", {"district": "Gurugram", "state": "Haryana"}, True),
        ("dcpu", "Uttar Pradesh", "Allahabad", {"district": "Prayagraj", "state": "Uttar Pradesh"}, True),
        ("dcpu", "Haryana", "Gurgaon", {"district": "Faridabad", "state": "Haryana"}, False),
        ("dcpu", "Bihar", "Aurangabad", {"district": "Aurangabad", "state": "Maharashtra"}, False),  # a namesake elsewhere
        ("state", "Orissa", "", {"district": "Cuttack", "state": "Odisha"}, True),
        ("state", "Odisha", "", {"district": "Patna", "state": "Bihar"}, False),
    ],
)
def test_old_and_new_names_are_one_place(role: str, user_state: str, user_district: str, place: dict, covered: bool) -> None:
    user = UserRow(username="u", role=role, state=user_state, district=user_district, unit="", active=True)
    assert covers(user, parse_record(found_child(place=place))) is covered
