"""What every command group shares: consoles, progress bars, operator audit, failures."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class Kind(StrEnum):
    missing = "missing"
    found = "found"


class SexOption(StrEnum):
    M = "M"
    F = "F"
    X = "X"


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


def count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return None


def operator_audit(res, action: str, targets: list[str], detail: dict) -> None:  # type: ignore[no-untyped-def]
    """Operators at the server's console are audited too (as ``cli:<os user>``)."""
    import getpass

    from search_api.audit.service import Actor, append
    from search_api.db import create_service_schema

    create_service_schema(res.engine)
    with res.session_factory() as session:
        actor = Actor(f"cli:{getpass.getuser()}"[:64], "operator", "cli")
        append(session=session, actor=actor, action=action, targets=targets, detail=detail)
        session.commit()


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)
