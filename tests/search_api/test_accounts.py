"""Account lifecycle: logout, log out everywhere, password change, deactivation, idle tokens.

Each ends the user's sessions: API tokens and the pages' session cookies alike.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from search_api.config import Settings
from tests.factories import add_users
from ui import create_web_app

PASSWORD = "account password 2026"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_web_app(settings)) as test_client:
        people = [("constable", "police", "Bihar", "Patna", "Patna Kotwali"), ("chief", "admin", "", "", "")]
        add_users(test_client.app.state.resources, password=PASSWORD, people=people)
        yield test_client


def token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def page_cookie(client: TestClient, username: str) -> dict[str, str]:
    """A page session (the browser's cookie), logged in through the login form."""
    browser = TestClient(client.app)
    nonce = re.search(r'name="login_csrf" value="([^"]+)"', browser.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    answer = browser.post("/ui/login", data={"username": username, "password": PASSWORD, "login_csrf": nonce}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return {"tc_session": answer.cookies["tc_session"]}


def alive(client: TestClient, auth: dict[str, str]) -> bool:
    return client.get("/auth/me", headers=auth).status_code == 200


def page_alive(client: TestClient, cookies: dict[str, str]) -> bool:
    answer = TestClient(client.app, cookies=cookies).get("/ui/", follow_redirects=False)
    return answer.status_code == 200


def test_logout_ends_only_this_token(client: TestClient) -> None:
    first, second = token(client, "constable"), token(client, "constable")
    assert client.post("/auth/logout", headers=first).status_code == 204
    assert not alive(client, first) and alive(client, second)


def test_log_out_everywhere_ends_tokens_and_page_sessions(client: TestClient) -> None:
    api, other_device, page = token(client, "constable"), token(client, "constable"), page_cookie(client, "constable")
    assert page_alive(client, page)
    answer = client.post("/auth/logout-all", headers=api)
    assert answer.status_code == 200 and answer.json()["sessions_ended"] == 3
    assert not alive(client, api) and not alive(client, other_device) and not page_alive(client, page)


def test_password_change_ends_every_session_and_returns_a_new_token(client: TestClient) -> None:
    api, page = token(client, "constable"), page_cookie(client, "constable")
    wrong = client.post("/auth/password", json={"current_password": "not it at all", "new_password": "a brand new password"}, headers=api)
    assert wrong.status_code == 422 and "current password" in wrong.json()["detail"]
    assert alive(client, api)  # a wrong attempt changes nothing
    changed = client.post("/auth/password", json={"current_password": PASSWORD, "new_password": "a brand new password"}, headers=api)
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert not alive(client, api) and not page_alive(client, page) and alive(client, fresh)
    assert client.post("/auth/token", data={"username": "constable", "password": PASSWORD}).status_code == 401
    token(client, "constable", "a brand new password")
    chief = token(client, "chief")
    actions = [(e["action"], e["outcome"]) for e in client.get("/audit", params={"action": "password_change"}, headers=chief).json()]
    assert actions == [("password_change", "ok"), ("password_change", "failed")]


def test_an_admin_deactivates_a_user_and_every_session_ends(client: TestClient) -> None:
    api, page, chief = token(client, "constable"), page_cookie(client, "constable"), token(client, "chief")
    assert client.post("/users/chief/deactivate", headers=api).status_code == 403  # only admins
    assert client.post("/users/nobody/deactivate", headers=chief).status_code == 404
    answer = client.post("/users/constable/deactivate", headers=chief)
    assert answer.status_code == 200 and answer.json() == {"username": "constable", "active": False, "sessions_ended": 2}
    assert not alive(client, api) and not page_alive(client, page)
    assert client.post("/auth/token", data={"username": "constable", "password": PASSWORD}).status_code == 401
    assert client.post("/users/constable/activate", headers=chief).status_code == 200
    token(client, "constable")
    entries = client.get("/audit", params={"target": "user:constable"}, headers=chief).json()
    assert [e["action"] for e in entries][:2] == ["user_activate", "user_deactivate"] and entries[1]["username"] == "chief"


def test_an_idle_token_ends_and_a_used_one_is_renewed(client: TestClient) -> None:
    api = token(client, "constable")
    engine = client.app.state.resources.engine
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    with engine.begin() as conn:  # five minutes of the idle window left: a use pushes it on
        conn.execute(text("update tokens set idle_until = :t"), {"t": soon})
    assert alive(client, api)
    with engine.connect() as conn:
        renewed = conn.execute(text("select idle_until from tokens")).scalar_one()
    renewed = dt.datetime.fromisoformat(str(renewed)).replace(tzinfo=dt.UTC) if isinstance(renewed, str) else renewed
    assert renewed.replace(tzinfo=dt.UTC) > soon.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=20)
    with engine.begin() as conn:  # left unused past its idle window
        conn.execute(text("update tokens set idle_until = :t"), {"t": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
    assert not alive(client, api)


def test_operators_deactivate_and_end_sessions_from_the_console(client: TestClient, settings: Settings) -> None:
    api = token(client, "constable")
    env = {"TRACKCHILD_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "search_api.cli", *args], env=env, capture_output=True, text=True, timeout=120)

    done = cli("user", "logout-all", "constable")
    assert done.returncode == 0 and "1 session" in done.stdout, done.stdout + done.stderr
    assert not alive(client, api)
    api = token(client, "constable")
    done = cli("user", "deactivate", "constable")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not alive(client, api)
    assert client.post("/auth/token", data={"username": "constable", "password": PASSWORD}).status_code == 401
    assert cli("user", "deactivate", "nobody").returncode != 0
    assert cli("user", "activate", "constable").returncode == 0
    token(client, "constable")
    chief = token(client, "chief")
    entries = client.get("/audit", params={"target": "user:constable"}, headers=chief).json()
    assert {e["action"] for e in entries} >= {"logout_all", "user_deactivate", "user_activate"}
    assert all(e["username"].startswith("cli:") for e in entries if e["action"] != "login")
