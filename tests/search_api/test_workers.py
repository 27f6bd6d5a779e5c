"""Several worker processes on one data dir: each may write (one at a time), all see every write."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources
from tests.factories import add_users, missing_report
from tests.live import uvicorn_workers

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT / "tests" / "fixtures" / "faces"
PASSWORD = "a long enough password"


def test_two_workers_write_the_indexes_in_turn_and_read_each_others_writes(settings: Settings) -> None:
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        add_users(res, password=PASSWORD, people=[("constable", "police", "Bihar", "Patna", "Patna Kotwali")])
    env = {**os.environ, "TRACKCHILD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    with uvicorn_workers(env, 2) as urls:
        token = httpx.post(f"{urls[0]}/auth/token", data={"username": "constable", "password": PASSWORD}).json()["access_token"]
        police = {"Authorization": f"Bearer {token}"}
        names = ["Yadavi Rathore", "Kamla Devi", "Sunita Kumari", "Pooja Yadav"]
        for i, name in enumerate(names):  # alternate: each worker writes the text index in turn
            answer = httpx.post(f"{urls[i % 2]}/records", json=missing_report(id=f"MP-W-{i}", name=name), headers=police, timeout=60)
            assert answer.status_code == 201, (i, answer.text)
        for url in urls:  # and each reads what the other wrote
            for i, name in enumerate(names):
                hits = httpx.get(f"{url}/search", params={"q": name}, headers=police, timeout=30).json()
                assert f"MP-W-{i}" in {h["id"] for h in hits}, (url, name, hits)
        # a photo filed through one worker is found by a photo search through the other
        photo = (FACES / "obama_4.jpg").read_bytes()
        upload = httpx.post(
            f"{urls[0]}/records/missing/MP-W-0/photos", files={"file": ("x.jpg", photo, "image/jpeg")}, headers=police, timeout=120
        )
        assert upload.status_code == 201, upload.text
        probe = (FACES / "obama_5.jpg").read_bytes()
        hits = httpx.post(f"{urls[1]}/search/photo", files={"file": ("p.jpg", probe, "image/jpeg")}, headers=police, timeout=120).json()
        assert hits and hits[0]["id"] == "MP-W-0", hits
        upload = httpx.post(
            f"{urls[1]}/records/missing/MP-W-1/photos", files={"file": ("y.jpg", photo, "image/jpeg")}, headers=police, timeout=120
        )
        assert upload.status_code == 201, upload.text  # the second worker adds to the index the first saved, losing nothing
        hits = httpx.post(f"{urls[0]}/search/photo", files={"file": ("p.jpg", probe, "image/jpeg")}, headers=police, timeout=120).json()
        assert {"MP-W-0", "MP-W-1"} <= {h["id"] for h in hits}, hits
