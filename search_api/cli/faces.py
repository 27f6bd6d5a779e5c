"""Faces in photos: embed, compare, search."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from embeddings import EmbeddingError
from search_api.cli.common import Kind, fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Faces in photos: embed, compare, search.", no_args_is_help=True)


@app.command("embed")
def faces_embed(
    images: Annotated[list[Path], typer.Argument(help="Image files")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per image, fused embeddings included")] = False,
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


@app.command("check")
def faces_check(
    images: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Photos to check before filing them")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per image")] = False,
) -> None:
    """Is each photo's face good enough for matching? Says if it is too small, blurred, turned away or among several, and what to do."""
    from embeddings import FacePipeline, advise

    pipeline = FacePipeline(Settings().face_config()).load()
    for start in range(0, len(images), 16):
        chunk = images[start : start + 16]
        for path, outcome in zip(chunk, pipeline.embed_images([p.read_bytes() for p in chunk]), strict=True):
            advice = advise(outcome)
            if as_json:
                sys.stdout.write(json.dumps({"path": str(path), **advice.to_json()}) + "\n")
            else:
                out.print(f"{path}: {'ok' if advice.ok else 'check'}: {advice.summary()}")


@app.command("compare")
def faces_compare(
    a: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], b: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]
) -> None:
    """Print the best cosine similarity between any face of A and any face of B."""
    from embeddings import FacePipeline

    pipeline = FacePipeline(Settings().face_config()).load()
    first, second = pipeline.embed_images([a.read_bytes(), b.read_bytes()])
    for path, outcome in ((a, first), (b, second)):
        if outcome.error:
            raise fail(f"{path}: {outcome.error}", code=1)
    best = max(float(x.embedding @ y.embedding) for x in first.faces for y in second.faces)
    out.print(f"{best:.4f}")


@app.command("search")
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
            raise fail(f"{image}: {exc}", code=1) from exc
        hits = res.face_index.search(face.embedding, k=limit, kind=kind.value if kind else None, only_open=only_open)
        detail = {"results": len(hits), "kind": kind.value if kind else "all", "only_open": only_open}
        operator_audit(res, "photo_search", [h.record_key for h in hits], detail)
    rows = [{"key": h.record_key, "photo": h.photo_id, "score": round(h.score, 4)} for h in hits]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        for row in rows:
            out.print(f"{row['key']:<24} {row['score']:.4f}")
