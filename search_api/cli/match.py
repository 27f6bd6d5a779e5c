"""Matching: one record's candidates, every record's, duplicates within a register."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from search_api.cli.common import Kind, console, fail, operator_audit, out, progress_bar
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer()


class Blocking(StrEnum):
    batch = "batch"
    index = "index"


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
    explain: Annotated[bool, typer.Option("--explain", help="With --all: the full explanation of every candidate")] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="With --all: put every open pair at or above the review threshold in the review queue")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="With --all: processes (default: one per CPU core)")] = os.cpu_count() or 1,
    blocking: Annotated[
        Blocking,
        typer.Option(help="With --all: batch (the other register indexed once in memory) or index (the text engine, per record)"),
    ] = Blocking.batch,
    pending: Annotated[bool, typer.Option("--pending", help="Run the match jobs that filings left, instead of matching")] = False,
    once: Annotated[bool, typer.Option("--once", help="With --pending: run the jobs due now, then stop (the default)")] = False,
    loop: Annotated[
        bool, typer.Option("--loop", help="With --pending: keep running jobs as they come (as the data dir's one match worker)")
    ] = False,
) -> None:
    """Ranked, explained candidates from the other register.

    With --all, one JSON line per record: each candidate's id, score, source and the level
    it reached on every feature (the full explanation only with --explain).

    'trackchild match --pending [--once|--loop]' runs the match jobs that filings left (a record
    filed is matched by a job after the answer; 'serve' runs them too, in one process per data dir).
    RECORD_ID is always a record's id, whatever it is called (a record may be called "pending").
    """
    from indexer import find_records_by_id
    from search_api.fusion.service import Matcher

    if pending:
        if record_id or all_records:
            raise fail("--pending runs the match jobs: give it no RECORD_ID and no --all")
        if once and loop:
            raise fail("give --once or --loop, not both")
        _run_match_jobs(loop=loop)
        return
    if once or loop:
        raise fail("--once and --loop go with 'trackchild match --pending'")
    if bool(record_id) == all_records:
        raise fail("give either a RECORD_ID or --all")
    with open_resources(Settings()) as res:
        matcher = Matcher(res, check_current=False)
        if all_records:
            side = "found" if direction is Direction.found_to_missing else "missing"
            figures = _match_all(
                res, matcher, side=side, top=top, out_file=out_file, explain=explain, queue=queue, workers=workers, blocking=blocking.value
            )
            operator_audit(res, "match_all", [], {"side": side, **figures})
            console.print(
                f"matched {figures['records']} {side} records in {figures['seconds']:.1f}s"
                + (f"; {figures['queued']} pairs newly queued for review" if queue else "")
            )
            return
        with res.session_factory() as session:
            stored = [s for s in find_records_by_id(session=session, record_id=record_id) if not kind or s.record.kind == kind.value]  # type: ignore[arg-type]
        if len(stored) != 1:
            raise fail(f"no record with id {record_id!r}" if not stored else f"{record_id!r} is in both registers: add --kind")
        record = stored[0].record
        candidates = matcher.rank(record, limit=top)
        operator_audit(res, "match", [record.key, *[c.key for c in candidates]], {"results": len(candidates)})
    out.print(f"{record.kind} {record.id}: {len(candidates)} candidates")
    for rank, c in enumerate(candidates, start=1):
        out.print(f"{rank:>2}. {c.kind} {c.id}  score {c.score:.3f}  via {c.source}")
        for line in c.explanation.lines():
            out.print(f"      {line}")


def _run_match_jobs(*, loop: bool) -> None:
    """The match jobs that are due: once, or as the data dir's match worker until interrupted
    (waiting for the lead while a server's worker holds it)."""
    import time

    from search_api.fusion.service import Matcher
    from search_api.leadership import Leadership
    from search_api.records import matching_jobs

    with open_resources(Settings()) as res:
        matcher = Matcher(res)
        if not loop:
            done = matching_jobs.run_pending(res, matcher, limit=100_000)
            with res.session_factory() as session:
                left = matching_jobs.pending_count(session=session)
            out.print(f"match jobs: {done.done} done, {done.rerun} to run again, {done.retried} to retry, {done.failed} failed; "
                      f"{done.queued} pairs queued for review, {done.flagged} duplicates flagged; {left} still pending")  # fmt: skip
            return
        interval = res.settings.match_job_interval_seconds or 1.0
        leadership = Leadership(res.settings.data_dir / matching_jobs.LOCK_FILE)
        worker = matching_jobs.worker_name()
        console.print(f"match worker {worker}: every {interval:g}s while it holds {leadership.path} (Ctrl-C stops)")
        try:
            while True:
                if leadership.holds():
                    done = matching_jobs.run_pending(res, matcher, worker=worker)
                    if done.done or done.failed or done.retried:
                        out.print(f"{done.done} done, {done.retried} to retry, {done.failed} failed; "
                                  f"{done.queued} pairs queued, {done.flagged} duplicates flagged")  # fmt: skip
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            leadership.release()


def _match_all(  # type: ignore[no-untyped-def]
    res, matcher, *, side: str, top: int, out_file: Path | None, explain: bool, queue: bool, workers: int, blocking: str = "batch"
) -> dict:
    """Match every record of ``side``; write JSON lines and, with ``queue``, fill the review queue."""
    import time

    import orjson

    from search_api.records.flows import BatchQueue

    started = time.perf_counter()
    threshold = matcher.model.review_threshold
    sink = BatchQueue(res) if queue else None
    handle = out_file.open("wb") if out_file else sys.stdout.buffer
    records = 0
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"match {side}", total=None)
            matches = matcher.match_all(
                side, limit=top, workers=workers, explain=explain, explain_above=threshold if queue else None, blocking=blocking
            )
            for matched in matches:
                handle.write(orjson.dumps(matched.to_json(explain=explain)) + b"\n")
                if sink is not None:
                    sink.add(matched, threshold=threshold)
                records += 1
                progress.advance(task)
        if sink is not None:
            sink.flush()
    finally:
        if out_file:
            handle.close()
        else:
            handle.flush()
    return {"records": records, "seconds": time.perf_counter() - started, "queued": sink.queued if sink else 0}


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
            with progress_bar() as progress:
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
        operator_audit(res, "duplicates_all", [], {"kind": kind.value})
    console.print(f"{above} of {len(records)} {kind.value} records have a possible duplicate at or above {threshold:.2f}")
