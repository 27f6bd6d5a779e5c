"""The ``trackchild`` command: a thin caller of the same services the API uses."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from embeddings import EmbeddingError
from indexer import IndexerError, RegisterGenerator, SearchFilters, count_records
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(
    help="TrackChild: match missing reports with found children.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
bench_app = typer.Typer(help="Benchmarks that print measured figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
faces_app = typer.Typer(help="Faces in photos: embed, compare, search.", no_args_is_help=True)
app.add_typer(faces_app, name="faces")
user_app = typer.Typer(help="Users of the service.", no_args_is_help=True)
app.add_typer(user_app, name="user")
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
retention_app = typer.Typer(help="Retention of closed cases.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class Kind(StrEnum):
    missing = "missing"
    found = "found"


class SexOption(StrEnum):
    M = "M"
    F = "F"
    X = "X"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


def _operator_audit(res, action: str, targets: list[str], detail: dict) -> None:  # type: ignore[no-untyped-def]
    """Operators at the server's console are audited too (as ``cli:<os user>``)."""
    import getpass

    from search_api.audit.service import Actor, append
    from search_api.db import create_service_schema

    create_service_schema(res.engine)
    with res.session_factory() as session:
        actor = Actor(f"cli:{getpass.getuser()}"[:64], "operator", "cli")
        append(session=session, actor=actor, action=action, targets=targets, detail=detail)
        session.commit()


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="Records as .jsonl or .csv", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    match_now: Annotated[bool, typer.Option("--match/--no-match", help="Match new and changed records now (up to 2,000)")] = True,
) -> None:
    """Validate and load a register file. Bad rows are reported and skipped; the rest load."""
    settings = Settings()
    try:
        with open_resources(settings) as res, _progress() as progress:
            task = progress.add_task(f"ingest {file.name}", total=_count_lines(file))
            report = res.ingestor().ingest_file(file, progress=lambda n: progress.advance(task, n))
            faces = _sync_faces(res, progress)
            match_them = match_now and 0 < len(report.changed) <= MATCH_ON_INGEST_MAX
            matched = _match_changed(res, report.changed, progress) if match_them else None
    except (IndexerError, EmbeddingError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        out.print_json(data=report.to_json())
    else:
        out.print(
            f"{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected_rows} rejected; {report.indexed} indexed "
            f"in {report.seconds:.1f}s"
        )
        for problem in report.warnings[:20]:
            out.print(f"[yellow]warning[/yellow] {problem}")
        for problem in report.rejected[:50]:
            out.print(f"[red]rejected[/red] {problem}")
        if report.rejected_file:
            out.print(f"rejected rows written to {report.rejected_file}")
        if matched is not None:
            out.print(
                f"matched {len(report.changed)} new or changed records: {matched[0]} pairs entered the review queue, "
                f"{matched[1]} possible duplicates flagged"
            )
        elif report.changed:
            out.print(f"{len(report.changed)} records changed: run 'trackchild match --all' to match them")
        if faces.photos:
            out.print(
                f"photos: {faces.photos}, faces filed {faces.filed} ({faces.embedded} embedded now, {faces.cached} from cache, "
                f"{faces.low_quality} low quality), {len(faces.errors)} without a usable face"
            )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Name, partial name or description, any script")],
    kind: Annotated[Optional[Kind], typer.Option(help="missing or found")] = None,
    sex: Annotated[Optional[SexOption], typer.Option(help="M, F or X (unknown sex always matches)")] = None,
    age_min: Annotated[Optional[float], typer.Option("--age-min")] = None,
    age_max: Annotated[Optional[float], typer.Option("--age-max")] = None,
    state: Annotated[Optional[str], typer.Option()] = None,
    district: Annotated[Optional[str], typer.Option()] = None,
    status: Annotated[Optional[str], typer.Option()] = None,
    date_from: Annotated[Optional[dt.datetime], typer.Option("--date-from", formats=["%Y-%m-%d"])] = None,
    date_to: Annotated[Optional[dt.datetime], typer.Option("--date-to", formats=["%Y-%m-%d"])] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of hits")] = False,
) -> None:
    """Search child records by name (phonetic, fuzzy, partial, cross-script) and description."""
    try:
        filters = SearchFilters(
            kind=kind.value if kind else None,
            sex=sex.value if sex else None,
            age_min=age_min,
            age_max=age_max,
            state=state,
            district=district,
            status=status,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    try:
        with open_resources(Settings()) as res:
            hits = res.text_index.search(query, filters=filters, limit=limit)
            used = sorted(k for k, v in vars(filters).items() if v is not None)
            _operator_audit(res, "search", [h.key for h in hits], {"results": len(hits), "filters": used, "query_length": len(query)})
    except IndexerError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps([h.to_json() for h in hits], ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(hits)} hits for {query!r}")
    for column in ("id", "kind", "name", "score", "why"):
        table.add_column(column)
    for hit in hits:
        why = ", ".join(f"{m.field}:{m.how} {m.query_term}~{m.record_term}" for m in hit.matched)
        table.add_row(hit.id, hit.kind, hit.name, f"{hit.score:.2f}", why)
    out.print(table)


@app.command()
def reindex() -> None:
    """Rebuild the text index from the store (identical results to incremental indexing)."""
    with open_resources(Settings()) as res, _progress() as progress:
        with res.session_factory() as session:
            total = count_records(session=session).total
        task = progress.add_task("reindex", total=total)
        n = res.ingestor().reindex(progress=lambda k: progress.advance(task, k))
        faces = _sync_faces(res, progress, rebuild=True)
    out.print(f"reindexed {n} records; face index rebuilt with {faces.filed} faces from {faces.photos} photos")


MATCH_ON_INGEST_MAX = 2000  # beyond this, a bulk load is matched with 'trackchild match --all'


def _match_changed(res, keys: list[str], progress: Progress) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Match records that just changed against the other register (strong pairs are queued)
    and against their own (possible duplicates are flagged); returns (queued, flagged)."""
    from indexer import get_records_by_keys
    from search_api.db import create_service_schema
    from search_api.fusion.service import Matcher
    from search_api.records.flows import flag_duplicates, match_and_queue

    keys = list(dict.fromkeys(keys))
    if not keys:
        return 0, 0
    create_service_schema(res.engine)
    matcher = Matcher(res)
    task = progress.add_task("match", total=len(keys))
    queued = flagged = 0
    for start in range(0, len(keys), 200):
        with res.session_factory() as session:
            for stored in get_records_by_keys(session=session, keys=keys[start : start + 200]).values():
                queued += match_and_queue(matcher=matcher, session=session, stored=stored)[1]
                flagged += flag_duplicates(matcher=matcher, session=session, stored=stored)[1]
                progress.advance(task)
            session.commit()
    return queued, flagged


def _sync_faces(res, progress: Progress, *, rebuild: bool = False):  # type: ignore[no-untyped-def]
    from embeddings import FaceIndexMismatch
    from search_api.faces.flows import sync_faces

    task = progress.add_task("faces", total=None)
    try:
        return sync_faces(res, rebuild=rebuild, progress=lambda n: progress.advance(task, n))
    except FaceIndexMismatch as exc:
        # the face model or crop changed since the index was built: every photo is embedded again
        progress.console.print(f"{exc}: re-embedding every photo now")
        return sync_faces(res, rebuild=True, progress=lambda n: progress.advance(task, n))


@faces_app.command("embed")
def faces_embed(
    images: Annotated[list[Path], typer.Argument(help="Image files")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per image, 512-d embeddings included")] = False,
) -> None:
    """Detect and embed the faces of each image (one JSON line per image with --json)."""
    from embeddings import FacePipeline

    pipeline = FacePipeline(Settings().face_config()).load()
    # 16 images at a time: the pipeline works on them side by side; lines keep argument order
    for start in range(0, len(images), 16):
        chunk = images[start : start + 16]
        datas: list[bytes | None] = []
        errors: list[str | None] = []
        for path in chunk:
            try:
                datas.append(path.read_bytes())
                errors.append(None)
            except OSError as exc:
                datas.append(None)
                errors.append(f"cannot read file: {exc.strerror or exc}")
        outcomes = iter(pipeline.embed_images([d for d in datas if d is not None]))
        for path, data, read_error in zip(chunk, datas, errors, strict=True):
            outcome = next(outcomes) if data is not None else None
            faces = list(outcome.faces) if outcome is not None else []
            _print_faces(path, faces, read_error or (outcome.error if outcome else None), as_json=as_json)


def _print_faces(path: Path, faces: list, error: str | None, *, as_json: bool) -> None:  # type: ignore[type-arg]
    if as_json:
        line = {"path": str(path), "faces": [f.to_json() for f in faces], "error": error}
        sys.stdout.write(json.dumps(line) + "\n")
    elif error:
        out.print(f"{path}: {error}")
    else:
        described = "; ".join(f"box {[round(v) for v in f.box]} prob {f.prob:.3f} quality {f.quality:.2f}" for f in faces)
        out.print(f"{path}: {len(faces)} face(s): {described}")


@faces_app.command("compare")
def faces_compare(
    a: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], b: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]
) -> None:
    """Print the best cosine similarity between any face of A and any face of B."""
    from embeddings import FacePipeline

    pipeline = FacePipeline(Settings().face_config()).load()
    first, second = pipeline.embed_images([a.read_bytes(), b.read_bytes()])
    for path, outcome in ((a, first), (b, second)):
        if outcome.error:
            raise _fail(f"{path}: {outcome.error}", code=1)
    best = max(float(x.embedding @ y.embedding) for x in first.faces for y in second.faces)
    out.print(f"{best:.4f}")


@faces_app.command("search")
def faces_search(
    image: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    kind: Annotated[Optional[Kind], typer.Option(help="missing or found")] = None,
    only_open: Annotated[bool, typer.Option("--open/--all", help="Only open reports and children in care")] = True,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Investigators: records whose photos look most like the face in IMAGE."""
    with open_resources(Settings()) as res:
        try:
            face = res.face_pipeline.load().embed_image(image.read_bytes())[0]
        except EmbeddingError as exc:
            raise _fail(f"{image}: {exc}", code=1) from exc
        hits = res.face_index.search(face.embedding, k=limit, kind=kind.value if kind else None, only_open=only_open)
    rows = [{"key": h.record_key, "photo": h.photo_id, "score": round(h.score, 4)} for h in hits]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        for row in rows:
            out.print(f"{row['key']:<24} {row['score']:.4f}")


class Direction(StrEnum):
    found_to_missing = "found-to-missing"
    missing_to_found = "missing-to-found"


@app.command()
def match(
    record_id: Annotated[Optional[str], typer.Argument(help="One record's id (human-readable output)")] = None,
    all_records: Annotated[bool, typer.Option("--all", help="Every record of one side, as JSON lines")] = False,
    direction: Annotated[Direction, typer.Option()] = Direction.found_to_missing,
    top: Annotated[int, typer.Option(min=1, max=100)] = 10,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write JSON lines here instead of stdout")] = None,
    kind: Annotated[Optional[Kind], typer.Option(help="Which register RECORD_ID is in, if both have it")] = None,
) -> None:
    """Ranked, explained candidates from the other register."""
    from indexer import find_records_by_id
    from search_api.fusion.service import Matcher

    if bool(record_id) == all_records:
        raise _fail("give either a RECORD_ID or --all")
    with open_resources(Settings()) as res:
        matcher = Matcher(res, check_current=False)
        if all_records:
            side = "found" if direction is Direction.found_to_missing else "missing"
            handle = out_file.open("w", encoding="utf-8") if out_file else sys.stdout
            try:
                with _progress() as progress:
                    task = progress.add_task(f"match {side}", total=None)
                    for rid, candidates in matcher.match_all(side, limit=top):
                        line = {
                            "id": rid,
                            "candidates": [{"id": c.id, "score": c.score, "explain": c.explanation.to_json()} for c in candidates],
                        }
                        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                        progress.advance(task)
            finally:
                if out_file:
                    handle.close()
            _operator_audit(res, "match_all", [], {"side": side})
            return
        with res.session_factory() as session:
            stored = [s for s in find_records_by_id(session=session, record_id=record_id) if not kind or s.record.kind == kind.value]  # type: ignore[arg-type]
        if len(stored) != 1:
            raise _fail(f"no record with id {record_id!r}" if not stored else f"{record_id!r} is in both registers: add --kind")
        record = stored[0].record
        candidates = matcher.rank(record, limit=top)
        _operator_audit(res, "match", [record.key, *[c.key for c in candidates]], {"results": len(candidates)})
    out.print(f"{record.kind} {record.id}: {len(candidates)} candidates")
    for rank, c in enumerate(candidates, start=1):
        out.print(f"{rank:>2}. {c.kind} {c.id}  score {c.score:.3f}  via {c.source}")
        for line in c.explanation.lines():
            out.print(f"      {line}")


@app.command()
def duplicates(
    kind: Annotated[Kind, typer.Option(help="Which register to check")],
    top: Annotated[int, typer.Option(min=1, max=50)] = 5,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write JSON lines here instead of stdout")] = None,
) -> None:
    """Possible duplicates within one register (one child reported twice, or admitted to two
    homes): one JSON line per record with its same-register candidates, like match --all."""
    from indexer import iter_records
    from search_api.fusion.service import DUPLICATE_THRESHOLDS, Matcher

    threshold, above = DUPLICATE_THRESHOLDS[kind.value], 0
    with open_resources(Settings()) as res:
        matcher = Matcher(res, check_current=False)
        matcher.preload(kind.value)
        with res.session_factory() as session:
            records = [s.record for s in iter_records(session=session, kind=kind.value)]
        handle = out_file.open("w", encoding="utf-8") if out_file else sys.stdout
        try:
            with _progress() as progress:
                task = progress.add_task(f"duplicates {kind.value}", total=len(records))
                for record in records:
                    candidates = matcher.rank(record, limit=top, same_side=True)
                    above += bool(candidates and candidates[0].score >= threshold)
                    shown = [{"id": c.id, "score": c.score, "explain": c.explanation.to_json()} for c in candidates]
                    line = {"id": record.id, "candidates": shown}
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                    progress.advance(task)
        finally:
            if out_file:
                handle.close()
        _operator_audit(res, "duplicates_all", [], {"kind": kind.value})
    console.print(f"{above} of {len(records)} {kind.value} records have a possible duplicate at or above {threshold:.2f}")


@app.command("fit-model")
def fit_model_command(
    n: Annotated[int, typer.Option(help="Missing reports to generate (found children: n/2)")] = 8000,
    photos: Annotated[Optional[Path], typer.Option(help="Folders of photos per person, to fit the face levels")] = None,
    seed: Annotated[int, typer.Option()] = 101,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Model file (default: the one in the package)")] = None,
) -> None:
    """Re-fit the fusion model on generated labelled registers (and real photo pairs) and save it."""
    import tempfile

    from search_api.fusion.fit import fit_model
    from search_api.fusion.model import DEFAULT_MODEL_PATH

    dataset = RegisterGenerator(seed=seed).dataset(n, n // 2)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        with open_resources(settings) as res:
            res.ingestor().ingest_records(dataset.records())
            model = fit_model(res, [(t["missing"], t["found"]) for t in dataset.truth], photos_dir=photos)
    target = out_path or DEFAULT_MODEL_PATH
    model.save(target)
    out.print(
        f"fusion model written to {target}: prior {model.prior:.4f}, calibration a={model.calibration_a:.3f} b={model.calibration_b:.3f}"
    )
    for feature, levels in model.levels.items():
        out.print(f"  {feature}: " + ", ".join(f"{lvl} {p.weight:+.1f}" for lvl, p in levels.items()))


@bench_app.command("match")
def bench_match(
    n: Annotated[int, typer.Option(help="Missing reports (found children: --found)")] = 10_000,
    found: Annotated[int, typer.Option(help="Found children")] = 2_000,
    records: Annotated[Optional[Path], typer.Option(help="Use these records (JSONL) instead of generating")] = None,
    truth: Annotated[Optional[Path], typer.Option(help="True pairs (JSONL) for --records")] = None,
    seed: Annotated[int, typer.Option()] = 2027,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench-match"),
    photos: Annotated[
        Optional[Path], typer.Option(help="Folder of identity folders (e.g. ../shared/faces): weakly named true pairs get photos")
    ] = None,
) -> None:
    """recall@1/5/10, MRR, alert and false-alert rates and speed of match --all (found → missing)."""
    from search_api.bench import run_match_bench

    lines = run_match_bench(n_missing=n, n_found=found, records=records, truth=truth, seed=seed, work_dir=work_dir, photos=photos)
    for line in lines:
        out.print(line)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="police, cci, cwc, dcpu, state, central or admin")],
    state: Annotated[str, typer.Option()] = "",
    district: Annotated[str, typer.Option()] = "",
    unit: Annotated[str, typer.Option(help="Police station or CCI")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="TRACKCHILD_NEW_USER_PASSWORD")
    ] = "",
) -> None:
    """Add a user who can log in to the web pages and the API."""
    from pydantic import ValidationError

    from search_api.db import create_service_schema
    from search_api.users import service as users
    from search_api.users.schemas import UserCreate

    try:
        user_in = UserCreate(username=username, role=role, state=state, district=district, unit=unit, password=password)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            try:
                users.create(session=session, user_in=user_in)
            except users.UsernameTaken as exc:
                raise _fail(str(exc)) from exc
            session.commit()
    out.print(f"user {username} added with role {role}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain from the first entry to the head; exit 1 if broken."""
    from search_api.audit.service import verify
    from search_api.db import create_service_schema

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            report = verify(session=session)
    if report.ok:
        out.print(f"audit chain intact: {report.entries} entries")
        return
    for problem in report.problems[:50]:
        console.print(f"[red]{problem}[/red]")
    raise typer.Exit(1)


@audit_app.command("list")
def audit_list(
    username: Annotated[Optional[str], typer.Option()] = None,
    action: Annotated[Optional[str], typer.Option()] = None,
    target: Annotated[Optional[str], typer.Option(help="A record key (missing:ID, found:ID) or pair:N")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The newest audit entries, one JSON object per line."""
    from search_api.audit.service import list_entries
    from search_api.db import create_service_schema

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            rows = list_entries(session=session, username=username, action=action, target=target, limit=limit)
            for r in rows:
                entry = {"seq": r.seq, "at": r.at.isoformat(), "username": r.username, "role": r.role, "action": r.action,
                         "outcome": r.outcome, "targets": r.targets, "detail": r.detail, "source": r.source}  # fmt: skip
                sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        _operator_audit(res, "audit_read", [], {"results": len(rows)})


@app.command()
def export(
    as_user: Annotated[str, typer.Option("--as", help="Export as this user: their role and jurisdiction decide what")],
    out_file: Annotated[Path, typer.Option("--out", help="JSON lines file to write")],
    kind: Annotated[Optional[Kind], typer.Option()] = None,
) -> None:
    """Every record in a user's jurisdiction as JSON lines (roles: cwc, dcpu, state, central, admin); audited."""
    from sqlalchemy import select

    from search_api.db import create_service_schema
    from search_api.policy import PermissionDenied
    from search_api.records.service import export_records
    from search_api.users.models import UserRow

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == as_user, UserRow.active.is_(True)))
            if user is None:
                raise _fail(f"no active user {as_user!r}")
            try:
                with out_file.open("w", encoding="utf-8") as handle:
                    count = 0
                    for record in export_records(session=session, user=user, kind=kind.value if kind else None, source="cli"):
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                        count += 1
            except PermissionDenied as exc:
                out_file.unlink(missing_ok=True)
                raise _fail(str(exc)) from exc
            session.commit()
    out.print(f"exported {count} records to {out_file} (audited)")


@retention_app.command("run")
def retention_run(
    days: Annotated[Optional[int], typer.Option(min=0, help="Default: TRACKCHILD_RETENTION_DAYS")] = None,
) -> None:
    """Archive children restored (and reports traced) more than N days ago; their face vectors leave the index."""
    import getpass

    from search_api.audit.service import Actor
    from search_api.db import create_service_schema
    from search_api.records.retention import archive_closed_cases

    try:
        with open_resources(Settings()) as res:
            create_service_schema(res.engine)
            report = archive_closed_cases(res=res, days=days, actor=Actor(f"cli:{getpass.getuser()}"[:64], "operator", "cli"))
    except IndexerError as exc:  # e.g. the server holds the index: use POST /records/retention/run instead
        raise _fail(f"{exc}\nwhile the server runs, an admin runs retention through it: POST /records/retention/run") from exc
    out.print(
        f"archived {len(report.archived)} records last changed before {report.cutoff:%Y-%m-%d}; "
        f"{report.face_vectors_removed} face vectors left the index"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Listen address (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the web pages (/ui/) and the API (docs at /docs) on embedded defaults."""
    import uvicorn

    out.print(f"TrackChild on http://{host}:{port}/ui/  (API docs: http://{host}:{port}/docs)")
    # The pages sit above the API (ui imports search_api, never the reverse), so the
    # composed app is named here by its import path rather than imported.
    # uvicorn's own access log prints query strings (a search for a child's name); ours prints paths only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run("ui:create_web_app", factory=True, host=host, port=port, log_level="info", proxy_headers=True, access_log=False)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Counts of records in the store and the index."""
    with open_resources(Settings()) as res:
        with res.session_factory() as session:
            counts = count_records(session=session)
        figures = {
            "missing": counts.missing,
            "found": counts.found,
            "pending_index": counts.pending_index,
            "indexed_documents": res.text_index.count(),
            "backend": res.text_index.backend,
            "data_dir": str(res.settings.data_dir),
        }
    if as_json:
        out.print_json(data=figures)
    else:
        for key, value in figures.items():
            out.print(f"{key:>18}: {value}")


@app.command("demo-data")
def demo_data(
    n: Annotated[int, typer.Argument(help="Number of missing reports", min=1)],
    found: Annotated[Optional[int], typer.Option(help="Number of found children (default n/2)")] = None,
    matched_share: Annotated[float, typer.Option(help="Share of found children who have a missing report", min=0, max=1)] = 0.5,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for records.jsonl and truth.jsonl")] = Path("data/demo"),
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Generate a realistic synthetic register with ground truth (records.jsonl, truth.jsonl)."""
    n_found = found if found is not None else max(1, n // 2)
    dataset = RegisterGenerator(seed=seed).dataset(n, n_found, matched_share=matched_share)
    records_path, truth_path = dataset.write(out_dir)
    out.print(
        f"wrote {len(dataset.missing)} missing + {len(dataset.found)} found to {records_path}; "
        f"{len(dataset.truth)} true pairs in {truth_path}"
    )


@bench_app.command("duplicates")
def bench_duplicates(
    n: Annotated[int, typer.Option(help="Missing reports (found children: n/2)")] = 10_000,
    share: Annotated[float, typer.Option(help="Share of records reported (or admitted) a second time")] = 0.05,
    seed: Annotated[int, typer.Option()] = 2027,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
) -> None:
    """Within-side duplicate detection on a generated register: recall and false flags."""
    from search_api.bench import run_duplicates_bench

    for line in run_duplicates_bench(n_missing=n, n_found=n // 2, share=share, seed=seed, work_dir=work_dir):
        out.print(line)


@bench_app.command("ingest")
def bench_ingest(
    n: Annotated[int, typer.Option(help="Records to ingest (half missing, half found)")] = 100_000,
    work_dir: Annotated[Path, typer.Option(help="Scratch folder (data is kept for bench search)")] = Path("data/bench"),
) -> None:
    """Ingest throughput (records/s) and peak RSS on generated data."""
    from search_api.bench import run_ingest_bench

    for line in run_ingest_bench(n=n, work_dir=work_dir):
        out.print(line)


@bench_app.command("search")
def bench_search(
    n: Annotated[int, typer.Option(help="Records in the index (reuses bench ingest's data)")] = 100_000,
    queries: Annotated[int, typer.Option(help="Queries to time")] = 2000,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
) -> None:
    """Name-search latency (p50/p95/p99), hit rate and peak RSS."""
    from search_api.bench import run_search_bench

    for line in run_search_bench(n=n, n_queries=queries, work_dir=work_dir):
        out.print(line)


@bench_app.command("faces")
def bench_faces(
    photos: Annotated[Path, typer.Option(help="Folder of photos for the end-to-end figure")] = Path("tests/fixtures/faces"),
    passes: Annotated[int, typer.Option(help="Passes over the photos; the median is reported")] = 5,
    n: Annotated[int, typer.Option(help="Vectors in the face index")] = 200_000,
    queries: Annotated[int, typer.Option(help="Face searches to time")] = 500,
) -> None:
    """Photos/s end to end, faces/s embedding, face search p50/p99 and the sketch's recall@10, peak RSS."""
    from search_api.bench import run_faces_bench

    for line in run_faces_bench(photos_dir=photos, n_vectors=n, n_queries=queries, passes=passes):
        out.print(line)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
