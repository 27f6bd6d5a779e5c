"""Keeping the face index in step with the store's photos.

The store is the truth: every photo of every record is embedded once per model (cached by
sha256 under ``data/embeddings/<model id>/``), its primary face filed in the face index
under (record key, photo sha256). A sync adds what is missing and removes what is gone, so
a crash is repaired by running it again and ``reindex`` rebuilds it from the cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings import FaceEmbedding, FacePipeline
from indexer import PhotoRejected, iter_photos
from search_api.resources import Resources

OPEN_STATUSES = frozenset({"open", "in_care"})


@dataclass
class FaceSyncReport:
    photos: int = 0
    embedded: int = 0  # computed now
    cached: int = 0  # read from the embedding cache
    filed: int = 0  # added to the face index
    removed: int = 0
    low_quality: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # photo sha256 → reason

    def to_json(self) -> dict:
        return {**self.__dict__, "errors": dict(list(self.errors.items())[:50])}


class EmbeddingCache:
    """Primary-face vector and metadata per (model, photo sha256), as .npy + .json files."""

    def __init__(self, root: Path, model: str) -> None:
        self.root = root / model

    def _paths(self, sha: str) -> tuple[Path, Path]:
        folder = self.root / sha[:2]
        return folder / f"{sha}.npy", folder / f"{sha}.json"

    def get(self, sha: str) -> tuple[np.ndarray | None, dict] | None:
        vector_path, meta_path = self._paths(sha)
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        vector = np.load(vector_path, allow_pickle=False) if meta.get("error") is None else None
        return vector, meta

    def put(self, sha: str, face: FaceEmbedding | None, error: str | None, n_faces: int) -> None:
        vector_path, meta_path = self._paths(sha)
        vector_path.parent.mkdir(parents=True, exist_ok=True)
        if face is not None:
            np.save(vector_path, face.embedding.astype(np.float32), allow_pickle=False)
        meta = {"error": error, "faces": n_faces}
        if face is not None:
            meta.update(box=list(face.box), prob=face.prob, quality=face.quality, low_quality=face.low_quality)
        meta_path.write_text(json.dumps(meta))  # written last: its presence means the entry is whole


def _read_photo(res: Resources, relpath: str) -> bytes | None:
    try:
        return res.photo_store.path_of(relpath).read_bytes()
    except (PhotoRejected, OSError):
        return None


def sync_faces(res: Resources, *, rebuild: bool = False, progress: Callable[[int], None] | None = None, batch: int = 16) -> FaceSyncReport:
    """Embed photos the face index lacks, drop vectors of photos no longer stored, save."""
    report = FaceSyncReport()
    with res.session_factory() as session:
        photos = list(iter_photos(session=session))
    index = res.reset_face_index() if rebuild else res.face_index
    cache = EmbeddingCache(res.settings.data_dir / "embeddings", index.model_id)
    wanted = {(p.record_key, p.sha256) for p in photos}
    for record_key, photo_id in [k for k in index.photo_keys() if k not in wanted]:
        index.remove_photo(record_key, photo_id)
        report.removed += 1
    # a record traced or restored since the last sync leaves open-only searches
    status_changed = False
    for record_key, status in {p.record_key: p.status for p in photos}.items():
        status_changed |= index.set_open(record_key, status in OPEN_STATUSES)
    todo = [p for p in photos if not index.has_photo(p.record_key, p.sha256)]
    report.photos = len(photos)
    pipeline: FacePipeline | None = None
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        entries = {p.sha256: cache.get(p.sha256) for p in chunk}
        missing, datas, unreadable = [], [], set()
        for photo in (p for p in chunk if entries[p.sha256] is None):
            # one unreadable photo (a path stored before paths were checked, a file gone from
            # the store) is that photo's problem: it must not stop every later sync
            data = _read_photo(res, photo.relpath)
            if data is None:
                report.errors[photo.sha256] = "the photo file is not in the store"
                unreadable.add(photo.sha256)
                continue
            missing.append(photo)
            datas.append(data)
        chunk = [p for p in chunk if p.sha256 not in unreadable]
        if missing:
            pipeline = pipeline or res.face_pipeline.load()
            for photo, outcome in zip(missing, pipeline.embed_images(datas), strict=True):
                cache.put(photo.sha256, outcome.primary, outcome.error, len(outcome.faces))
                entries[photo.sha256] = cache.get(photo.sha256)
                report.embedded += 1
        report.cached += len(chunk) - len(missing)
        for photo in chunk:
            vector, meta = entries[photo.sha256]  # type: ignore[misc]
            if vector is None:
                report.errors[photo.sha256] = meta.get("error") or "no usable face"
                continue
            report.low_quality += bool(meta.get("low_quality"))
            index.add(
                record_key=photo.record_key, photo_id=photo.sha256, vector=vector, kind=photo.kind, is_open=photo.status in OPEN_STATUSES
            )
            report.filed += 1
        if progress:
            progress(len(todo[start : start + batch]))
    # the index is rewritten whole: only when something changed (not on every record write)
    if rebuild or report.filed or report.removed or status_changed or not (res.face_index_dir / "manifest.json").exists():
        index.save(res.face_index_dir)
    return report
