"""The CLI's commands that act as a user (``--as USER``) × role × (own district / same district name
in another state / other district / other state): allowed or refused as the README's access policy
says, like the route matrix (test_access_matrix.py, whose world design, roles and tables this
reuses). A refused command exits non-zero with a message and writes nothing (no commit to the
store, no file in the data dir, no output file); an allowed one shows no child outside what the
role may see. Every command of the CLI is either here or the operator's console (listed with its
reason), and every ``--as`` command refuses an unknown and a deactivated user.

The CLI runs in-process (typer's CliRunner) on one SQLite data dir for the module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from indexer import get_records_by_keys
from search_api.care.models import CareEventRow, CareTransferRow
from search_api.cli import app
from search_api.config import Settings
from search_api.directory.models import DirectoryEntryRow
from search_api.monitoring.models import PoliceActionRow
from search_api.resources import Resources, open_resources
from search_api.restoration import service as restoration
from search_api.restoration.models import RestorationStepRow, StepDocumentRow
from search_api.review import service as review
from search_api.users import service as users
from search_api.users.schemas import UserCreate
from tests.search_api.test_access_matrix import (
    ACTION_ADDS,
    ACTION_READS,
    CCI_CODE,
    CITIZEN_MODERATES,
    CITIZEN_QUEUE,
    CITIZEN_READS,
    DIGEST,
    DIRECTORY_KEEPS,
    EXPORT,
    MAP_DETAIL,
    MONITOR,
    NATIONAL,
    NOTICE_CONSENT,
    NOTICE_CONSENTS,
    PASSWORD,
    PLACES,
    ROLE_OF,
    ROLES,
    SURNAMES,
    _a_pdf,
    _ensure_notice,
    _hidden_surnames,
    _in_monitor_area,
    _png,
    _user,
    record,
    sees_full,
)

runner = CliRunner()

# Every command of the CLI that needs no user: whoever runs it already holds the data dir or the
# database (the server's console), so no role could narrow it. Each with why.
OPERATOR = {
    "ingest": "console: loads registers into the store it holds",
    "search": "console: reads the whole store it holds",
    "reindex": "console: rebuilds the index from the store it holds",
    "stats": "console: counts of the store it holds",
    "demo-data": "writes synthetic records to a file; touches no store",
    "match": "console: matches the store it holds",
    "duplicates": "console: scans the store it holds",
    "serve": "starts the server; users log in to it",
    "bench match": "benchmark on its own synthetic data",
    "bench duplicates": "benchmark on its own synthetic data",
    "bench learn": "benchmark on its own synthetic data",
    "bench ingest": "benchmark on its own synthetic data",
    "bench search": "benchmark on its own synthetic data",
    "bench faces": "benchmark on its own photos",
    "bench faces-age": "benchmark on a photo set on disk",
    "bench load": "benchmark on its own store, with its own users",
    "faces embed": "console: faces of image files on disk",
    "faces check": "console: advice on image files on disk",
    "faces compare": "console: two image files on disk",
    "faces search": "console: the face index it holds (audited as the operator)",
    "model fit": "console: fits on the store it holds",
    "model show": "console: the model files in the data dir",
    "model list": "console: the model files in the data dir",
    "model use": "console: switches the model in the data dir",
    "model fit-generated": "development: re-fits the shipped model from synthetic data",
    "user add": "console: manages accounts in the database it holds",
    "user deactivate": "console: manages accounts in the database it holds",
    "user activate": "console: manages accounts in the database it holds",
    "user logout-all": "console: manages accounts in the database it holds",
    "user set-password": "console: manages accounts in the database it holds",
    "audit verify": "console: checks the audit chain of the database it holds",
    "audit keygen": "console: makes the checkpoint signing key",
    "audit checkpoint": "console: signs the audit head of the database it holds",
    "audit list": "console: reads the audit of the database it holds",
    "db upgrade": "console: migrates the database it holds",
    "db downgrade": "console: migrates the database it holds",
    "db current": "console: the revision of the database it holds",
    "db revision": "development: writes a migration file",
    "retention run": "console: archives in the store it holds",
    "notify run": "console: delivers the outbox of the database it holds",
    "notify nodal": "console: names nodal officers in the database it holds",
    "notify contact": "console: sets a user's contact in the database it holds",
    "care cci": "console: the CCI register of the database it holds",
    "pfif import": "console: loads a file into the store it holds",
}
# Every command that acts as a user, and the route whose policy it goes through.
AS_USER = {
    "export": "GET /records/export/jsonl, /records/export/csv",
    "pfif export": "GET /records/export/pfif",
    "case list": "GET /restoration/cases",
    "case show": "GET /restoration/cases/{case_pk}",
    "case step": "POST /restoration/cases/{case_pk}/steps/{step}",
    "case attach": "POST /restoration/cases/{case_pk}/steps/{step}/documents",
    "case overdue": "GET /restoration/overdue",
    "care roll": "GET /care/ccis/{code}/roll",
    "care event": "POST /care/children/{record_id}/events",
    "care transfer": "POST /care/children/{record_id}/transfers",
    "care answer": "POST /care/transfers/{transfer_pk}/answer",
    "directory import": "POST /directory/import",
    "directory export": "GET /directory/export.csv",
    "citizen reports": "GET /citizen/reports",
    "citizen accept": "POST /citizen/reports/{report_pk}/accept",
    "citizen reject": "POST /citizen/reports/{report_pk}/reject",
    "citizen notices": "GET /citizen/notices",
    "citizen publish": "POST /citizen/notices",
    "citizen withdraw": "POST /citizen/notices/{notice_pk}/withdraw",
    "monitor digest": "GET /monitor/digest (without --as: the operator)",
    "monitor dashboard": "GET /monitor/dashboard",
    "monitor action": "POST /records/missing/{record_id}/actions",
    "monitor actions": "GET /records/missing/{record_id}/actions",
    "maps hotspots": "GET /maps/hotspots (and .csv, .svg, .png)",
}

# Restated from the README ("After the match"), per place of the case: the family (missing
# report) and the child (found, in the CCI of its place) sides. "Both districts' DCPU and CWC, the
# reporting police station and the child's CCI (by unit code) see the case; nobody else, not the
# state's officers". The home verification: the DCPU of the family's district.
CASES = {"own": ("own", "other_district"), "other_district": ("other_district", "own"), "twin": ("twin", "twin"),
         "other_state": ("other_state", "other_state")}  # fmt: skip
CASE_SEES = {"own": {"police", "cwc", "dcpu", "admin"}, "other_district": {"cci", "cwc", "dcpu", "admin"}, "twin": {"admin"},
             "other_state": {"admin"}}  # fmt: skip
HOME_VERIFIES = {"own": {"dcpu", "admin"}, "other_district": {"admin"}, "twin": {"admin"}, "other_state": {"admin"}}
# what is overdue "in the user's area": a district role's (state, district), a state's state, all for central and admin
OVERDUE_AREA = {"police": {"own"}, "cci": {"own"}, "cwc": {"own"}, "jjb": {"own"}, "dcpu": {"own"}, "state": {"own", "other_district"},
                "central": set(PLACES), "admin": set(PLACES), "legacy_dcpu": set()}  # fmt: skip
# children in care, by the place of the found child (and of its CCI): "the child's own CCI and its
# district's CWC and DCPU keep the record"; a CCI's roll "for the CCI and its district's CWC and DCPU"
CARE_KEEPS = {"cci": {"own"}, "cwc": {"own"}, "dcpu": {"own"}, "admin": set(PLACES)}
# "(orders and reviews: the CWC)"
CARE_ORDERS = {"cwc": {"own"}, "admin": set(PLACES)}
# "The child's own CCI or its district's CWC asks"; "only the receiving CCI (by registration number,
# in its own state and district) answers" (place: the receiving CCI's)
TRANSFER_ASKS = {"cci": {"own"}, "cwc": {"own"}, "admin": set(PLACES)}
TRANSFER_ANSWERS = {"cci": {"own"}, "admin": set(PLACES)}
# a citizen report per place, with a child's name no other report or record carries
REPORT_NAMES = {"own": "Bhagat", "twin": "Kale", "other_district": "Yadav", "other_state": "Bose"}
MAP_WINDOW = ("--from", "2025-12-01", "--to", "2026-03-31")
MAP_K = 3  # Settings.map_suppress_below's default


@dataclass
class World:
    res: Resources
    data_dir: Path
    files: Path  # outside the data dir: the commands' input and output files
    db: sqlite3.Connection  # a connection of our own: PRAGMA data_version moves on any other connection's commit
    cases: dict[str, int]
    pdf: Path
    serial: Iterator[int] = field(default_factory=itertools.count)

    def user(self, role: str) -> str:
        return f"u_{role}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("cli-matrix")
    data_dir, files = base / "data", base / "files"
    files.mkdir()
    with pytest.MonkeyPatch.context() as env:
        # typer's runner rebuilds the whole command tree at each call (two thirds of a call's time): build it once
        command = typer.main.get_command(app)
        env.setattr(typer.testing, "_get_command", lambda _app: command)
        env.setenv("TRACKCHILD_DATA_DIR", str(data_dir))
        env.delenv("TRACKCHILD_DATABASE_URL", raising=False)
        env.delenv("TRACKCHILD_SEARCH_BACKEND", raising=False)
        with open_resources(Settings(data_dir=data_dir)) as res:
            photo = res.photo_store.put_bytes(_png(), suffix=".png").relpath
            bodies = [record(k, p, photos=[photo]) for k, p in itertools.product(("missing", "found"), PLACES)]
            with res.index_writer():
                report = res.ingestor().ingest_records(bodies)
            assert report.ok, report.rejected
            cases = {}
            with res.session_factory() as session:
                for role in ROLES:
                    if role in ROLE_OF:  # written as an older version did: no state, no validation
                        row = users.create(session=session, user_in=UserCreate(username=f"u_{role}", role="admin", password=PASSWORD))
                        row.role, row.district = ROLE_OF[role], PLACES["own"][1]
                    else:
                        users.create(session=session, user_in=_user(role))
                gone = UserCreate(username="u_gone", role="dcpu", state="Bihar", district="Aurangabad", password=PASSWORD)
                users.create(session=session, user_in=gone)
                for name, (m_place, f_place) in CASES.items():
                    m_key, f_key = f"missing:M-{m_place}", f"found:F-{f_place}"
                    pair = review.enqueue(
                        session=session, missing_key=m_key, found_key=f_key, score=0.95, explanation={"features": {}},
                        evidence=name, missing_district=PLACES[m_place][1], found_district=PLACES[f_place][1],
                        missing_state=PLACES[m_place][0], found_state=PLACES[f_place][0],
                    )  # fmt: skip
                    assert pair is not None
                    pair.status = "confirmed"
                    stored = get_records_by_keys(session=session, keys=[m_key, f_key])
                    cases[name] = restoration.open_case(session=session, pair=pair, missing=stored[m_key].record,
                                                        found=stored[f_key].record).pk  # fmt: skip
                # every open step long overdue: each place has overdue work to list
                session.execute(update(RestorationStepRow).values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=60)))
                session.commit()
            pdf = files / "order.pdf"
            pdf.write_bytes(_a_pdf())
            db = sqlite3.connect(data_dir / "trackchild.sqlite3", isolation_level=None)
            try:
                yield World(res=res, data_dir=data_dir, files=files, db=db, cases=cases, pdf=pdf)
            finally:
                db.close()


def cli(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


class Unchanged:
    """Nothing committed to the store (by any connection) and no file added, changed or removed in
    the data dir since this was made; optionally an output file left as it was."""

    def __init__(self, world: World, *keep: Path) -> None:
        self.world, self.keep = world, {p: (p.read_bytes() if p.exists() else None) for p in keep}
        self.version, self.files = self._version(), self._files()

    def _version(self) -> int:
        return self.world.db.execute("pragma data_version").fetchone()[0]

    def _files(self) -> dict[str, tuple[int, int]]:
        seen = {}
        for folder, _dirs, names in os.walk(self.world.data_dir):
            for name in names:
                if name.startswith("trackchild.sqlite3") or name.endswith(".lock"):
                    continue
                path = Path(folder, name)
                stat = path.stat()
                seen[str(path.relative_to(self.world.data_dir))] = (stat.st_size, stat.st_mtime_ns)
        return seen

    def problems(self) -> list[str]:
        out = []
        if self._version() != self.version:
            out.append("committed to the store")
        files = self._files()
        if files != self.files:
            out.append(f"changed files in the data dir {sorted(set(files.items()) ^ set(self.files.items()))[:3]}")
        for path, before in self.keep.items():
            after = path.read_bytes() if path.exists() else None
            if after != before:
                out.append(f"{'wrote' if after is not None else 'removed'} {path.name}")
        return out


class Cells:
    def __init__(self) -> None:
        self.count, self.problems, self.by_command = 0, [], {}

    def expect(self, cell: str, ok: bool) -> None:
        self.count += 1
        command = cell.split(" ", 2)[1].rstrip(":")
        self.by_command[command] = self.by_command.get(command, 0) + 1
        if not ok:
            self.problems.append(cell)

    def refused(self, cell: str, result, before: Unchanged) -> None:  # type: ignore[no-untyped-def]
        """Exit non-zero through a clear error (no traceback, no usage error), nothing written."""
        clean_exit = isinstance(result.exception, SystemExit) and result.exit_code not in (0, None)
        self.expect(f"{cell}: refused? exit {result.exit_code} {_tail(result)}", clean_exit and "error:" in result.output)
        self.expect(f"{cell}: a refusal names its reason", "Usage:" not in result.output and len(result.output.strip()) > 10)
        role = cell.split(" ", 1)[0]
        leaks = _hidden_surnames(role, result.output) if role in ROLES else []
        self.expect(f"{cell}: the refusal shows hidden surnames {leaks}", not leaks)
        for problem in before.problems():
            self.expect(f"{cell}: the refusal {problem}", False)

    def allowed(self, cell: str, result, role: str, *texts: str) -> bool:  # type: ignore[no-untyped-def]
        """Exit 0, and neither the output nor the files it wrote name a child the role may not see in full."""
        self.expect(f"{cell}: allowed? exit {result.exit_code} {_tail(result)}", result.exit_code == 0)
        for text in (result.output, *texts):
            leaks = _hidden_surnames(role, text)
            self.expect(f"{cell}: shows hidden surnames {leaks}", not leaks)
        return result.exit_code == 0


def _tail(result) -> str:  # type: ignore[no-untyped-def]
    text = result.output.strip().replace("\n", " | ")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += f" [{type(result.exception).__name__}: {result.exception}]"
    return text[-240:]


def _place_of(state: str, district: str) -> str | None:
    return next((p for p, sd in PLACES.items() if sd == (state, district)), None)


def _count(world: World, model, *where) -> int:  # type: ignore[no-untyped-def]
    with world.res.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ---------------------------------------------------------------- the command tree


def _commands() -> dict[str, list[str]]:
    """Every leaf command of the real typer app, with its option names."""
    found: dict[str, list[str]] = {}

    def walk(command, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        if hasattr(command, "commands"):  # a group (typer vendors its own click: no isinstance on click.Group)
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = [opt for param in command.params for opt in param.opts]

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_is_in_the_matrix_or_the_console() -> None:
    commands = _commands()
    assert "case list" in commands and "ingest" in commands, f"command discovery failed: {sorted(commands)[:10]}"
    assert not set(OPERATOR) & set(AS_USER), "a command cannot be both"
    unlisted = set(commands) - set(OPERATOR) - set(AS_USER)
    assert not unlisted, f"commands outside the CLI access matrix (add to AS_USER with cells, or to OPERATOR with a reason): {unlisted}"
    gone = (set(OPERATOR) | set(AS_USER)) - set(commands)
    assert not gone, f"the matrix names commands that no longer exist: {gone}"
    acting = {name for name, opts in commands.items() if "--as" in opts}
    assert acting == set(AS_USER), f"--as commands ≠ AS_USER: {acting ^ set(AS_USER)}"
    assert all(reason.strip() for reason in OPERATOR.values())


def _argv(world: World, command: str, user: str) -> list[object]:
    """One call of each ``--as`` command, aimed at the own place's targets."""
    f, case, out = world.files, world.cases["own"], world.files / f"unknown-{command.replace(' ', '-')}.out"
    directory_csv = f / "unknown.csv"
    directory_csv.write_text("type,name,state,district\nphc,PHC Nobody,Bihar,Aurangabad\n")
    return {
        "export": ["export", "--out", out],
        "pfif export": ["pfif", "export", "--out", out],
        "case list": ["case", "list"],
        "case show": ["case", "show", case],
        "case step": ["case", "step", case, "home_verification", "--field", "report_date=2026-01-05", "--field", "outcome=favourable"],
        "case attach": ["case", "attach", case, "home_verification", world.pdf],
        "case overdue": ["case", "overdue"],
        "care roll": ["care", "roll", CCI_CODE["own"]],
        "care event": ["care", "event", "F-own", "--kind", "service", "--on", "2026-02-10"],
        "care transfer": ["care", "transfer", "F-own", "--to", "CCI/BR/99", "--state", "Bihar", "--district", "Patna"],
        "care answer": ["care", "answer", 1, "decline"],
        "directory import": ["directory", "import", directory_csv],
        "directory export": ["directory", "export", "--out", out],
        "citizen reports": ["citizen", "reports"],
        "citizen accept": ["citizen", "accept", 1],
        "citizen reject": ["citizen", "reject", 1, "--reason", "matrix"],
        "citizen notices": ["citizen", "notices"],
        "citizen publish": ["citizen", "publish", "M-own", "--guardian-name", "G", "--relation", "mother", "--how", "form"],
        "citizen withdraw": ["citizen", "withdraw", 1],
        "monitor digest": ["monitor", "digest", "--state", "Bihar", "--week", "2026-W02", "--format", "csv", "--out", f / "digest.out"],
        "monitor dashboard": ["monitor", "dashboard"],
        "monitor action": ["monitor", "action", "M-own", "cctns_checked"],
        "monitor actions": ["monitor", "actions", "M-own"],
        "maps hotspots": ["maps", "hotspots", "--state", "Bihar", "--csv", out],
    }[command] + ["--as", user]


def test_unknown_and_deactivated_users_are_refused(world: World) -> None:
    gone = cli("user", "deactivate", "u_gone")
    assert gone.exit_code == 0, gone.output
    probe = world.files / "probe.out"
    before = Unchanged(world, probe)  # the detector itself: a write that goes through is seen
    wrote = cli("care", "event", "F-other_state", "--kind", "service", "--on", "2026-02-10", "--as", "u_admin")
    assert wrote.exit_code == 0, wrote.output
    probe.write_text("x")
    assert before.problems()[0] == "committed to the store" and before.problems()[-1] == "wrote probe.out", before.problems()
    cells = Cells()
    for command, user in itertools.product(AS_USER, ("nobody", "u_gone")):
        argv = _argv(world, command, user)
        outputs = [a for a in argv if isinstance(a, Path) and a.suffix in (".out",)]
        before = Unchanged(world, *outputs)
        result = cli(*argv)
        cells.refused(f"{user} {command}", result, before)
        cells.expect(f"{user} {command}: the error names the user: {_tail(result)}", f"no active user {user!r}" in result.output)
    assert not cells.problems, "\n".join(cells.problems)


# ---------------------------------------------------------------- the matrix


def test_cli_access_matrix(world: World) -> None:
    cells = Cells()
    for role in ROLES:
        for part in PARTS:
            part(world, role, cells)
    summary = ", ".join(f"{c} {n}" for c, n in sorted(cells.by_command.items()))
    print(f"CLI access matrix: {cells.count} cells checked, {len(cells.problems)} problems ({summary})")
    Path("test-artifacts").mkdir(exist_ok=True)
    Path("test-artifacts/cli-access-matrix.txt").write_text(
        f"{cells.count} cells, {len(cells.problems)} problems\n{summary}\n" + "\n".join(cells.problems)
    )
    assert not cells.problems, "\n".join(cells.problems[:80])


def _export_cells(world: World, role: str, cells: Cells) -> None:
    """export (JSON lines, CSV) and pfif export: the export roles, only records they see in full."""
    from search_api.interchange import pfif

    u = world.user(role)
    for fmt in ("jsonl", "csv", "pfif"):
        out = world.files / f"export-{role}.{fmt}"
        out.write_text("an earlier file, kept")
        before = Unchanged(world, out)
        argv = ["pfif", "export", "--out", out] if fmt == "pfif" else ["export", "--out", out, "--format", fmt]
        result = cli(*argv, "--as", u)
        cell = f"{role} {'pfif-export' if fmt == 'pfif' else 'export'} {fmt}"
        if role not in EXPORT:
            cells.refused(cell, result, before)
            continue
        if not cells.allowed(cell, result, role, out.read_text(encoding="utf-8")):
            continue
        carried: list[tuple[str, str, str | None]] = []  # kind, id, place
        if fmt == "jsonl":
            for line in out.read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                carried.append((r["kind"], r["id"], _place_of(r["place"]["state"], r["place"]["district"])))
        elif fmt == "csv":
            for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))):
                carried.append((row["kind"], row["id"], _place_of(row["place.state"], row["place.district"])))
        else:
            root = pfif.parse(out.read_bytes())
            ns = "{" + pfif.PFIF_NS + "}"
            ids = [person.findtext(ns + "person_record_id").split("/", 1)[1].partition(".") for person in root.iter(ns + "person")]
            with world.res.session_factory() as session:  # a person's place, as stored
                stored = get_records_by_keys(session=session, keys=[f"{kind}:{record_id}" for kind, _, record_id in ids])
            for kind, _, record_id in ids:
                place = stored[f"{kind}:{record_id}"].record.place
                carried.append((kind, record_id, _place_of(place.state, place.district)))
        for kind, record_id, place in carried:
            cells.expect(f"{cell} carries {record_id} ({place})", place is not None and sees_full(role, kind, place))
        for kind, place in itertools.product(("missing", "found"), PLACES):
            want = sees_full(role, kind, place)
            has = any(r == f"{kind[0].upper()}-{place}" for _k, r, _p in carried)
            cells.expect(f"{cell} carries {kind[0].upper()}-{place}: {has}", has == want)


def _case_cells(world: World, role: str, cells: Cells) -> None:
    """Restoration cases: listed and shown to those who see them; the home verification (a step and its
    papers) by the DCPU of the family's district; what is overdue, in the user's area."""
    u = world.user(role)
    listed = cli("case", "list", "--as", u)
    if cells.allowed(f"{role} case-list", listed, role):
        shown = {json.loads(line)["pk"] for line in listed.stdout.splitlines() if line.strip()}
        for place, pk in world.cases.items():
            cells.expect(f"{role} case-list lists the {place} case: {pk in shown}", (pk in shown) == (role in CASE_SEES[place]))
    for place, pk in world.cases.items():
        sees, verifies = role in CASE_SEES[place], role in HOME_VERIFIES[place]
        before = Unchanged(world)
        shown = cli("case", "show", pk, "--as", u)
        if sees:
            cells.allowed(f"{role} case-show {place}", shown, role)
        else:
            cells.refused(f"{role} case-show {place}", shown, before)
        before = Unchanged(world)
        step = cli("case", "step", pk, "home_verification", "--field", "report_date=2026-01-05", "--field", "outcome=favourable",
                   "--document", world.pdf, "--as", u)  # fmt: skip
        cell = f"{role} case-step {place} home_verification"
        if not verifies:
            cells.refused(cell, step, before)
            cells.expect(f"{cell}: refused for the step's state, not the user", "already recorded" not in step.output)
        elif "already recorded" not in step.output:  # the first allowed role records it; later ones are told so
            cells.allowed(cell, step, role)
            with world.res.session_factory() as session:
                done = session.scalars(select(RestorationStepRow.done_by).where(
                    RestorationStepRow.case_pk == pk, RestorationStepRow.step == "home_verification")).all()  # fmt: skip
            cells.expect(f"{cell}: recorded by {done}", u in done)
        docs = _count(world, StepDocumentRow, StepDocumentRow.case_pk == pk, StepDocumentRow.uploaded_by == u)
        before = Unchanged(world)
        attached = cli("case", "attach", pk, "home_verification", world.pdf, "--as", u)
        cell = f"{role} case-attach {place} home_verification"
        if verifies:
            cells.allowed(cell, attached, role)
            after = _count(world, StepDocumentRow, StepDocumentRow.case_pk == pk, StepDocumentRow.uploaded_by == u)
            cells.expect(f"{cell}: documents {docs} → {after}", after == docs + 1)
        else:
            cells.refused(cell, attached, before)
    overdue = cli("case", "overdue", "--as", u)
    if cells.allowed(f"{role} case-overdue", overdue, role):
        listed_places = {p for p, (s, d) in PLACES.items() if f"{d}, {s}" in overdue.stdout}
        cells.expect(f"{role} case-overdue lists {sorted(listed_places)}", listed_places == OVERDUE_AREA[role])


def _care_cells(world: World, role: str, cells: Cells) -> None:
    """A CCI's roll, care events, transfers asked and answered, at each place."""
    u = world.user(role)
    with world.res.session_factory() as session:  # a pending transfer into the CCI of each place, from Patna
        pending = {}
        for place in PLACES:
            row = CareTransferRow(found_key=f"found:F-{place}", from_code="CCI/BR/99", from_state="Bihar", from_district="Patna",
                                  to_code=CCI_CODE[place], to_state=PLACES[place][0], to_district=PLACES[place][1],
                                  status="requested", requested_by="u_admin", requested_role="admin")  # fmt: skip
            session.add(row)
            session.flush()
            pending[place] = row.pk
        session.commit()
    for place in PLACES:
        keeps = place in CARE_KEEPS.get(role, set())
        before = Unchanged(world)
        roll = cli("care", "roll", CCI_CODE[place], "--as", u)
        if keeps:
            if cells.allowed(f"{role} care-roll {place}", roll, role):
                cells.expect(f"{role} care-roll {place} lists F-{place}", f"F-{place} " in roll.stdout)
        else:
            cells.refused(f"{role} care-roll {place}", roll, before)
        events = _count(world, CareEventRow, CareEventRow.found_key == f"found:F-{place}")
        before = Unchanged(world)
        event = cli("care", "event", f"F-{place}", "--kind", "service", "--on", "2026-02-10", "--detail", "service=counselling",
                    "--as", u)  # fmt: skip
        if keeps:
            cells.allowed(f"{role} care-event {place}", event, role)
            after = _count(world, CareEventRow, CareEventRow.found_key == f"found:F-{place}")
            cells.expect(f"{role} care-event {place}: events {events} → {after}", after == events + 1)
        else:
            cells.refused(f"{role} care-event {place}", event, before)
        before = Unchanged(world)
        order = cli("care", "event", f"F-{place}", "--kind", "cwc_order", "--on", "2026-02-11", "--detail", "order_no=7", "--as", u)
        if place in CARE_ORDERS.get(role, set()):
            cells.allowed(f"{role} care-event {place} cwc_order", order, role)
        else:
            cells.refused(f"{role} care-event {place} cwc_order", order, before)
        before = Unchanged(world)
        answer = cli("care", "answer", pending[place], "decline", "--as", u)
        with world.res.session_factory() as session:
            status = session.get(CareTransferRow, pending[place]).status  # type: ignore[union-attr]
        if place in TRANSFER_ANSWERS.get(role, set()):
            cells.allowed(f"{role} care-answer {place}", answer, role)
            cells.expect(f"{role} care-answer {place}: {status}", status == "declined")
        else:
            cells.refused(f"{role} care-answer {place}", answer, before)
    with world.res.session_factory() as session:  # settled: one waiting transfer would stop the next request
        session.execute(update(CareTransferRow).where(CareTransferRow.status == "requested").values(status="declined"))
        session.commit()
    for place in PLACES:
        before = Unchanged(world)
        asked = cli("care", "transfer", f"F-{place}", "--to", "CCI/BR/99", "--state", "Bihar", "--district", "Patna", "--as", u)
        if place in TRANSFER_ASKS.get(role, set()):
            cells.allowed(f"{role} care-transfer {place}", asked, role)
            with world.res.session_factory() as session:
                made = session.scalars(select(CareTransferRow).where(CareTransferRow.found_key == f"found:F-{place}",
                                                                     CareTransferRow.status == "requested")).all()  # fmt: skip
                askers = [t.requested_by for t in made]
                cells.expect(f"{role} care-transfer {place}: asked by {askers}", askers == [u])
                for row in made:
                    row.status = "declined"
                session.commit()
        else:
            cells.refused(f"{role} care-transfer {place}", asked, before)


def _directory_cells(world: World, role: str, cells: Cells) -> None:
    """The directory: rows of a district loaded only by its DCPU (and admin); exported by every role."""
    u = world.user(role)
    lines = {place: n for n, place in enumerate(PLACES, start=2)}
    body = "type,name,state,district\n" + "".join(f"phc,PHC {role},{PLACES[p][0]},{PLACES[p][1]}\n" for p in PLACES)
    path = world.files / f"directory-{role}.csv"
    path.write_text(body)
    before = Unchanged(world)
    result = cli("directory", "import", path, "--as", u)
    keeps = DIRECTORY_KEEPS.get(role, set())
    cell = f"{role} directory-import"
    if role in DIRECTORY_KEEPS or role == "legacy_dcpu":  # legacy_dcpu may import but keeps no district: every row refused
        cells.expect(f"{cell}: exit {result.exit_code} {_tail(result)}", result.exit_code == (0 if keeps == set(PLACES) else 1))
        with world.res.session_factory() as session:
            rows = session.scalars(select(DirectoryEntryRow).where(DirectoryEntryRow.name == f"PHC {role}")).all()
        loaded = {_place_of(r.state, r.district) for r in rows}
        cells.expect(f"{cell}: loaded {sorted(map(str, loaded))}", loaded == keeps)
        for place, n in lines.items():
            named = f"line {n}" in result.output
            cells.expect(f"{cell}: line {n} ({place}) refused: {named}", named == (place not in keeps))
    else:
        cells.refused(cell, result, before)
    exported = cli("directory", "export", "--as", u, "--state", "Bihar")
    if cells.allowed(f"{role} directory-export", exported, role):
        cells.expect(f"{role} directory-export: CSV with its header", exported.stdout.startswith("type,name,"))


def _citizen_report(world: World, place: str) -> tuple[int, str]:
    """A pending report of a missing child at ``place``, its child named for the place."""
    from search_api.citizen import service as citizen
    from search_api.db import utcnow

    state, district = PLACES[place]
    reference = f"CLI{next(world.serial):05d}"
    draft = citizen.ReportDraft(kind="missing", state=state, district=district,
                                values={"child_name": f"Zoya {REPORT_NAMES[place]}", "age": "8", "place": "bus stand",
                                        "description": "alone near the bus stand", "reporter_name": "Anil",
                                        "reporter_phone": "9811100000"})  # fmt: skip
    with world.res.session_factory() as session:
        row = citizen.create_report(session=session, draft=draft, photo="", photo_problems=[], proof="work", visible_after=utcnow())
        row.reference = reference
        session.commit()
        return row.pk, reference


def _citizen_cells(world: World, role: str, cells: Cells) -> None:
    """Citizen reports: the queue of the police and DCPU of their (state, district), moderated by its
    DCPU; public notices: consent recorded by the child's district police or DCPU."""
    from search_api.citizen.models import CitizenReportRow, PublicNoticeRow

    u = world.user(role)
    reads, moderates = CITIZEN_READS.get(role, set()), CITIZEN_MODERATES.get(role, set())
    waiting = {place: _citizen_report(world, place) for place in PLACES}
    before = Unchanged(world)
    listed = cli("citizen", "reports", "--as", u, "--json")
    if role in CITIZEN_QUEUE:
        if cells.allowed(f"{role} citizen-reports", listed, role):
            shown = json.loads(listed.stdout)
            refs = {r["reference"] for r in shown}
            for place, (_pk, ref) in waiting.items():
                cells.expect(f"{role} citizen-reports lists the {place} report: {ref in refs}", (ref in refs) == (place in reads))
            outside = {(r["state"], r["district"]) for r in shown} - {PLACES[p] for p in reads}
            cells.expect(f"{role} citizen-reports lists reports of {sorted(outside)}", not outside)
            names = [n for p, n in REPORT_NAMES.items() if p not in reads and n in listed.stdout]
            cells.expect(f"{role} citizen-reports names children of {names}", not names)
    else:
        cells.refused(f"{role} citizen-reports", listed, before)
    for place, (pk, ref) in waiting.items():
        before = Unchanged(world)
        rejected = cli("citizen", "reject", pk, "--as", u, "--reason", "matrix")
        with world.res.session_factory() as session:
            status = session.get(CitizenReportRow, pk).status  # type: ignore[union-attr]
        if place in moderates:
            cells.allowed(f"{role} citizen-reject {place}", rejected, role)
            cells.expect(f"{role} citizen-reject {place}: {status}", status == "rejected")
        else:
            cells.refused(f"{role} citizen-reject {place}", rejected, before)
        pk, ref = _citizen_report(world, place)
        before = Unchanged(world)
        accepted = cli("citizen", "accept", pk, "--as", u)
        with world.res.session_factory() as session:
            row = session.get(CitizenReportRow, pk)
            status, key = row.status, row.record_key  # type: ignore[union-attr]
        if place in moderates:
            cells.allowed(f"{role} citizen-accept {place}", accepted, role)
            cells.expect(f"{role} citizen-accept {place}: {status} → {key}", status == "accepted" and key == f"missing:CIT-{ref}")
        else:
            cells.refused(f"{role} citizen-accept {place}", accepted, before)
    if role in CITIZEN_QUEUE:  # decided reports stay in their district's lists (those this role decided among them)
        for status in ("rejected", "accepted"):
            decided = cli("citizen", "reports", "--as", u, "--status", status, "--json")
            if cells.allowed(f"{role} citizen-reports {status}", decided, role):
                places = {_place_of(r["state"], r["district"]) for r in json.loads(decided.stdout)}
                cells.expect(f"{role} citizen-reports {status} lists reports of {sorted(map(str, places))}", moderates <= places <= reads)
    for place in PLACES:
        consents = place in NOTICE_CONSENTS.get(role, set())
        notice = _ensure_notice({"res": world.res}, place)
        before = Unchanged(world)
        gone = cli("citizen", "withdraw", notice, "--as", u, "--reason", "matrix")
        if consents:
            cells.allowed(f"{role} citizen-withdraw {place}", gone, role)
        else:
            cells.refused(f"{role} citizen-withdraw {place}", gone, before)
        before = Unchanged(world)
        published = cli("citizen", "publish", f"M-{place}", "--as", u, "--guardian-name", "Sunita Devi", "--relation", "mother",
                        "--how", "signed consent form")  # fmt: skip
        if consents:
            cells.allowed(f"{role} citizen-publish {place}", published, role)
            with world.res.session_factory() as session:
                live = session.scalars(select(PublicNoticeRow.consent_by).where(PublicNoticeRow.record_key == f"missing:M-{place}",
                                                                                PublicNoticeRow.status == "published")).all()  # fmt: skip
            cells.expect(f"{role} citizen-publish {place}: published by {live}", live == [u])
        else:
            cells.refused(f"{role} citizen-publish {place}", published, before)
        _ensure_notice({"res": world.res}, place)
    before = Unchanged(world)
    notices = cli("citizen", "notices", "--as", u)
    if role in NOTICE_CONSENT:
        if cells.allowed(f"{role} citizen-notices", notices, role):
            listed_ids = set(re.findall(r"\bM-(own|twin|other_district|other_state)\b", notices.stdout))
            want = NOTICE_CONSENTS.get(role, set())
            cells.expect(f"{role} citizen-notices lists {sorted(listed_ids)}", listed_ids == want)
    else:
        cells.refused(f"{role} citizen-notices", notices, before)


def _monitor_cells(world: World, role: str, cells: Cells) -> None:
    """The digest (a state's users, central), dashboards (aggregate outside the area), the police action log."""
    u = world.user(role)
    for state, allowed in DIGEST.items():
        out = world.files / f"digest-{role}-{state.replace(' ', '_')}.csv"
        before = Unchanged(world, out)
        got = cli("monitor", "digest", "--state", state, "--week", "2026-W02", "--out", out, "--as", u)
        if role in allowed:
            if cells.allowed(f"{role} monitor-digest {state}", got, role, out.read_text(encoding="utf-8-sig") if out.exists() else ""):
                cells.expect(f"{role} monitor-digest {state}: written", out.exists())
        else:
            cells.refused(f"{role} monitor-digest {state}", got, before)
    for area in ((), ("--state", "West Bengal"), ("--state", "Maharashtra", "--district", "Aurangabad")):
        cell = f"{role} monitor-dashboard {' '.join(area[1::2]) or 'own'}"
        before = Unchanged(world)
        got = cli("monitor", "dashboard", "--as", u, *area)
        if role not in MONITOR:
            cells.refused(cell, got, before)
            continue
        if not cells.allowed(cell, got, role):
            continue
        board = json.loads(got.stdout)
        want = ("full" if role in NATIONAL else "aggregate") if area else ("aggregate" if role == "legacy_dcpu" else "full")
        cells.expect(f"{cell}: access {board.get('access')}", board.get("access") == want)
        links = re.findall(r'"list":\s*"([^"]+)"', got.stdout)
        if want == "aggregate":
            cells.expect(f"{cell}: an aggregate opens lists {links[:2]}", not links)
        outside = [link for link in links if not _in_monitor_area(role, link)]
        cells.expect(f"{cell}: links outside the jurisdiction {outside[:3]}", not outside)
    for place in PLACES:
        rid = f"M-{place}"
        logged = _count(world, PoliceActionRow, PoliceActionRow.record_key == f"missing:{rid}")
        before = Unchanged(world)
        added = cli("monitor", "action", rid, "cctns_checked", "--as", u, "--notes", "matrix")
        if place in ACTION_ADDS.get(role, set()):
            cells.allowed(f"{role} monitor-action {place}", added, role)
            after = _count(world, PoliceActionRow, PoliceActionRow.record_key == f"missing:{rid}")
            cells.expect(f"{role} monitor-action {place}: entries {logged} → {after}", after == logged + 1)
        else:
            cells.refused(f"{role} monitor-action {place}", added, before)
        before = Unchanged(world)
        read = cli("monitor", "actions", rid, "--as", u)
        if place in ACTION_READS.get(role, set()):
            if cells.allowed(f"{role} monitor-actions {place}", read, role):
                keys = {json.loads(line).get("record_key") for line in read.stdout.splitlines() if line.strip()}
                cells.expect(f"{role} monitor-actions {place}: entries of {keys}", keys <= {f"missing:{rid}"})
        else:
            cells.refused(f"{role} monitor-actions {place}", read, before)


def _maps_cells(world: World, role: str, cells: Cells) -> None:
    """Hotspot figures: every role; exact inside the jurisdiction, a figure below 3 hidden outside it;
    no child's name or id in the table or the files."""
    u = world.user(role)
    words = [*(f"{k}-{p}" for k, p in itertools.product("MF", PLACES)), "Sunita", "Zoya",
             *(n for by_place in SURNAMES.values() for n in by_place.values()), *REPORT_NAMES.values()]  # fmt: skip
    for state, places in (("Bihar", ("own", "other_district")), ("Maharashtra", ("twin",))):
        out, svg = world.files / f"map-{role}-{state}.csv", world.files / f"map-{role}-{state}.svg"
        got = cli("maps", "hotspots", "--as", u, "--state", state, *MAP_WINDOW, "--csv", out, "--svg", svg)
        cell = f"{role} maps-hotspots {state}"
        files = "".join(p.read_text(encoding="utf-8") for p in (out, svg) if p.exists())
        if not cells.allowed(cell, got, role, files):
            continue
        cells.expect(f"{cell}: wrote the CSV and the SVG", out.exists() and svg.exists())
        text = got.output + files
        named = [w for w in words if w in text]
        cells.expect(f"{cell}: names {named}", not named)
        for place in places:
            district = PLACES[place][1]
            row = next((line for line in got.stdout.splitlines() if line.startswith(f"{district} ")), "")
            now = row.split()[1] if row else ""
            want = "1" if place in MAP_DETAIL[role] else f"<{MAP_K}"  # one Sunita missing in the window at each place
            cells.expect(f"{cell}: {place} ({district}) shows {now!r}", now == want)


PARTS: tuple[Callable[[World, str, Cells], None], ...] = (
    _export_cells,
    _case_cells,
    _care_cells,
    _directory_cells,
    _citizen_cells,
    _monitor_cells,
    _maps_cells,
)
