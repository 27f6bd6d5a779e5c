"""Reading raw rows from JSONL and CSV files, keeping line numbers and raw text for errors."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True)
class RawRow:
    """One input row: parsed data, or the reason it could not be parsed."""

    line: int
    raw: str
    data: dict[str, Any] | None
    error: str | None = None

    @property
    def record_id(self) -> str | None:
        if self.data and isinstance(self.data.get("id"), (str, int)):
            return str(self.data["id"])
        return None

    def parsed(self) -> RawRow:
        """This row with its JSON parsed (JSONL rows are parsed lazily, in a worker)."""
        if self.data is not None or self.error is not None:
            return self
        try:
            data = orjson.loads(self.raw)
        except orjson.JSONDecodeError as exc:
            return RawRow(self.line, self.raw, None, f"invalid JSON: {exc}")
        if not isinstance(data, dict):
            return RawRow(self.line, self.raw, None, "each line must be a JSON object")
        return RawRow(self.line, self.raw, data)


def read_jsonl(path: Path) -> Iterator[RawRow]:
    """One JSON object per line; blank lines are skipped. JSON is parsed by ``RawRow.parsed``."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            if len(text) > MAX_LINE_BYTES:
                yield RawRow(number, text[:200], None, f"line is longer than {MAX_LINE_BYTES} characters")
                continue
            yield RawRow(number, text, None)


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    """``place.city`` columns become ``{"place": {"city": …}}``; empty cells are absent."""
    nested: dict[str, Any] = {}
    for column, value in flat.items():
        if column is None or value is None or value == "":
            continue
        target = nested
        parts = column.strip().split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ValueError(f"column {column!r} clashes with column {part!r}")
        target[parts[-1]] = value
    return nested


def read_csv(path: Path) -> Iterator[RawRow]:
    """CSV with the record's field names as columns (``place.city``…, lists ``;``-separated)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        line_start = reader.line_num + 1
        for row in reader:
            raw = json.dumps(row, ensure_ascii=False)
            if None in row:  # more cells than header columns
                yield RawRow(line_start, raw, None, "row has more cells than the header has columns")
            else:
                try:
                    yield RawRow(line_start, raw, _nest(row))
                except ValueError as exc:
                    yield RawRow(line_start, raw, None, str(exc))
            line_start = reader.line_num + 1


def read_rows(path: Path) -> Iterator[RawRow]:
    """Rows of a ``.jsonl``/``.json`` or ``.csv`` file."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path)
    if suffix == ".csv":
        return read_csv(path)
    raise ValueError(f"{path.name}: unsupported file type {suffix!r}; use .jsonl or .csv")
