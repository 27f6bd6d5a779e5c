"""Records: load a register, search it, rebuild its indexes, export, retention."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress
from rich.table import Table

from embeddings import EmbeddingError
from indexer import IndependentGenerator, IndexerError, RegisterGenerator, SearchFilters, count_records
from search_api.cli.common import Kind, SexOption, count_lines, fail, operator_audit, out, progress_bar
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer()
retention_app = typer.Typer(help="Retention of closed cases.", no_args_is_help=True)


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="Records as .jsonl or .csv", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    match_now: Annotated[bool, typer.Option("--match/--no-match", help="Match new and changed records now (up to 2,000)")] = True,
    strict: Annotated[
        bool, typer.Option("--strict", help="Reject a row for any bad field (default: clear the field, warn, keep the child)")
    ] = False,
    photos_root: Annotated[
        Optional[Path],
        typer.Option(
            "--photos-root",
            file_okay=False,
            exists=True,
            help="Folder the photo paths resolve in (default: the file's folder); no photo is read from outside it",
        ),
    ] = None,
) -> None:
    """Validate and load a register file.

    A row is rejected only when it cannot be a record (unreadable line, no kind, no usable
    id); any other bad field is cleared with a warning naming line, id, field and value.
    With --strict, a row with any bad field is rejected instead. A photo path must stay inside
    the file's folder (or --photos-root): a path outside it, a missing file or a file that is
    not an image is cleared with a warning; the record is kept.

    Exit codes: 0 loaded (perhaps with warnings); 1 some rows were rejected; 2 the run failed.
    """
    settings = Settings()
    try:
        with open_resources(settings) as res, progress_bar() as progress:
            task = progress.add_task(f"ingest {file.name}", total=count_lines(file))
            with res.index_writer():  # a running server's workers wait for this write, and see it after
                report = res.ingestor().ingest_file(
                    file, photos_root=photos_root, progress=lambda n: progress.advance(task, n), strict=strict
                )
                faces = _sync_faces(res, progress)
            match_them = match_now and 0 < len(report.changed) <= MATCH_ON_INGEST_MAX
            matched = _match_changed(res, report.changed, progress) if match_them else None
            detail = {
                "rows": report.rows, "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                "rejected_rows": report.rejected_rows, "warnings": len(report.warnings), "photos_filed": faces.filed,
                "queued_pairs": matched[0] if matched else 0, "duplicates_flagged": matched[1] if matched else 0,
                "matched": matched is not None, "photos_root": photos_root is not None,
            }  # fmt: skip
            operator_audit(res, "ingest", report.changed[:10_000], detail)
            _withdraw_notices_of_closed(res)
    except (IndexerError, EmbeddingError, ValueError) as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # exit code 2: the run failed (1 is kept for "some rows were rejected")
        raise fail(f"ingest failed: {type(exc).__name__}: {exc}") from exc
    if as_json:
        out.print_json(data=report.to_json())
    else:
        out.print(
            f"{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected_rows} rejected; {report.indexed} indexed "
            f"in {report.seconds:.1f}s; {len(report.warnings)} warnings"
        )
        for problem in report.warnings[:20]:
            out.print(f"[yellow]warning[/yellow] {_escape(problem)}")
        if len(report.warnings) > 20:
            out.print(f"… and {len(report.warnings) - 20} more warnings")
        if report.warnings_file:
            out.print(f"warnings written to {report.warnings_file}")
        for problem in report.kept[:20]:  # closed statuses and archived children the file would have undone
            out.print(f"[cyan]kept[/cyan] {_escape(problem)}")
        if len(report.kept) > 20:
            out.print(f"[cyan]kept[/cyan] … {len(report.kept) - 20} more (--json lists up to 100)")
        for problem in report.rejected[:50]:
            out.print(f"[red]rejected[/red] {_escape(problem)}")
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


def _escape(problem: object) -> str:
    from rich.markup import escape

    return escape(str(problem))


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
        raise fail(str(exc)) from exc
    try:
        with open_resources(Settings()) as res:
            hits = res.text_index.search(query, filters=filters, limit=limit)
            used = sorted(k for k, v in vars(filters).items() if v is not None)
            operator_audit(res, "search", [h.key for h in hits], {"results": len(hits), "filters": used, "query_length": len(query)})
    except IndexerError as exc:
        raise fail(str(exc)) from exc
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
    with open_resources(Settings()) as res, progress_bar() as progress:
        with res.session_factory() as session:
            total = count_records(session=session).total
        task = progress.add_task("reindex", total=total)
        with res.index_writer():
            n = res.ingestor().reindex(progress=lambda k: progress.advance(task, k))
            faces = _sync_faces(res, progress, rebuild=True)
        operator_audit(res, "reindex", [], {"records": n, "faces": faces.filed})
    out.print(f"reindexed {n} records; face index rebuilt with {faces.filed} faces from {faces.photos} photos")


MATCH_ON_INGEST_MAX = 2000  # beyond this, a bulk load is matched with 'trackchild match --all'


def _match_changed(res, keys: list[str], progress: Progress) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Match records that just changed against the other register (strong pairs are queued)
    and against their own (possible duplicates are flagged); returns (queued, flagged)."""
    from indexer import get_records_by_keys
    from search_api.db import create_service_schema
    from search_api.fusion.service import Matcher
    from search_api.records.flows import flag_duplicates, match_and_queue, rank_both

    keys = list(dict.fromkeys(keys))
    if not keys:
        return 0, 0
    create_service_schema(res.engine)
    matcher = Matcher(res)
    task = progress.add_task("match", total=len(keys))
    queued = flagged = 0
    for start in range(0, len(keys), 200):
        with res.session_factory() as session:
            batch = list(get_records_by_keys(session=session, keys=keys[start : start + 200]).values())
            # rank the whole batch first, then write it in one short transaction: a running server's
            # writes (every request's audit entry) wait on the store's write lock, not on 200 rankings
            ranked = [(stored, *rank_both(matcher=matcher, stored=stored)) for stored in batch]
            for stored, candidates, lookalikes in ranked:
                queued += match_and_queue(matcher=matcher, session=session, stored=stored, candidates=candidates)[1]
                flagged += flag_duplicates(session=session, stored=stored, candidates=lookalikes)[1]
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


class DemoGenerator(StrEnum):
    classic = "classic"
    independent = "independent"


@app.command("demo-data")
def demo_data(
    n: Annotated[int, typer.Argument(help="Number of missing reports", min=1)],
    found: Annotated[Optional[int], typer.Option(help="Number of found children (default n/2)")] = None,
    matched_share: Annotated[float, typer.Option(help="Share of found children who have a missing report", min=0, max=1)] = 0.5,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for records.jsonl and truth.jsonl")] = Path("data/demo"),
    seed: Annotated[int, typer.Option()] = 7,
    generator: Annotated[
        DemoGenerator, typer.Option(help="classic, or independent: noise written from how registers go wrong, as exported")
    ] = DemoGenerator.classic,
) -> None:
    """Generate a realistic synthetic register with ground truth (records.jsonl, truth.jsonl)."""
    n_found = found if found is not None else max(1, n // 2)
    maker = IndependentGenerator(seed=seed) if generator is DemoGenerator.independent else RegisterGenerator(seed=seed)
    dataset = maker.dataset(n, n_found, matched_share=matched_share)
    records_path, truth_path = dataset.write(out_dir)
    out.print(
        f"wrote {len(dataset.missing)} missing + {len(dataset.found)} found to {records_path}; "
        f"{len(dataset.truth)} true pairs in {truth_path}"
    )


@app.command()
def export(
    as_user: Annotated[str, typer.Option("--as", help="Export as this user: their role and jurisdiction decide what")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write (JSON lines, or CSV with --format csv)")],
    kind: Annotated[Optional[Kind], typer.Option()] = None,
    export_format: Annotated[str, typer.Option("--format", help="jsonl, or csv (the columns 'trackchild ingest' reads)")] = "jsonl",
) -> None:
    """Every record in a user's jurisdiction as JSON lines or CSV (roles: cwc, dcpu, state, central, admin); audited.

    PFIF 1.4: 'trackchild pfif export'."""
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
                raise fail(f"no active user {as_user!r}")
            if export_format not in ("jsonl", "csv"):
                raise fail(f"--format must be jsonl or csv, not {export_format!r}")
            # written beside --out and moved over it when whole: a refused export leaves --out as it was
            part = out_file.with_name(f".{out_file.name}.part")
            try:
                with part.open("w", encoding="utf-8", newline="") as handle:
                    count = 0
                    if export_format == "csv":
                        from search_api.interchange import export_csv

                        lines = export_csv(session=session, user=user, kind=kind.value if kind else None, source="cli")
                        handle.writelines(lines)
                        count = len(lines) - 1
                    else:
                        for record in export_records(session=session, user=user, kind=kind.value if kind else None, source="cli"):
                            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                            count += 1
                part.replace(out_file)
            except PermissionDenied as exc:
                raise fail(str(exc)) from exc
            finally:
                part.unlink(missing_ok=True)
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
        raise fail(f"{exc}\nwhile the server runs, an admin runs retention through it: POST /records/retention/run") from exc
    out.print(
        f"archived {len(report.archived)} records last changed before {report.cutoff:%Y-%m-%d}; "
        f"{report.face_vectors_removed} face vectors left the index"
    )
    if report.index_pending:  # searches never show them (hits are read from the store); the server's index drops them
        out.print("the running server holds the text index: it drops them on its next write or restart "
                  "(or use POST /records/retention/run)")  # fmt: skip


def _withdraw_notices_of_closed(res) -> None:  # type: ignore[no-untyped-def]
    """An import that traces a child (or closes its report) takes its public notice down."""
    import getpass

    from search_api.audit.service import Actor
    from search_api.citizen.flows import withdraw_when_closed

    with res.session_factory() as session:
        withdraw_when_closed(session=session, actor=Actor(f"cli:{getpass.getuser()}"[:64], "operator", "cli"))
        session.commit()
