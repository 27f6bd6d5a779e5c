"""The face index: FAISS over L2-normalised embeddings, keyed by (record key, photo id).

Exact inner product (``IDMap2,Flat``) up to ``flat_max`` vectors. Beyond it, an inverted file
(``IDMap2,IVF<lists>,PQ<d/4>x4fs,RFlat``): k-means splits the vectors into lists around
centroids, a query scans only the ``nprobe`` lists whose centroids are nearest, scoring them
with 4-bit product codes (fast-scan, 4 dimensions per code), and the best few thousand
candidates are re-scored exactly against the stored vectors (``RFlat``), so the scores returned
are exact cosines. The vectors are split between two halves searched at once, one per core; the
lists grow with the index (√n to 2√n of them, retrained when the index has grown fourfold).
Measured at 1M real fused vectors (LAG dev + ../shared/faces, jittered copies; held-aside
photos as queries): recall@10 0.990, p50 2.95 ms, p95 4.71 ms under load 3-5 on 2 cores.

Why not the sign sketch used before (512-bit ``IndexLSH`` + exact re-ranking of a few hundred
candidates): on REAL fused 640-d vectors (the Large Age-Gap dev split plus jittered copies up
to 1M) a child photo's exact top 10 are near-ties among many similar vectors, and Hamming
distances on sign bits cannot tell cosines 0.28 and 0.20 apart well enough: recall@10 0.655.
HNSW reached recall@10 0.785 at 8 ms on clustered vectors at 1M and takes many minutes to
build. Issue 13's note has every variant measured (``trackchild bench faces --lag``). Indexes
saved as a sketch or HNSW still load and search.

Saved as a directory (``index.faiss``, ``meta.json``, ``manifest.json`` with model id,
dimension, normalisation, factory string and build time), written to a temporary
directory and renamed into place. ``load`` refuses an index built by another model.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from embeddings.errors import EmbeddingError, FaceIndexMismatch

try:
    import faiss
except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
    faiss = None
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

FORMAT_VERSION = 1
FLAT_FACTORY = "IDMap2,Flat"
SKETCH_BITS = 512
SKETCH_PARTS = 2  # one per core: both halves are scanned at once for each query
SKETCH_FACTORY = f"{SKETCH_PARTS}x(IDMap2,LSH{SKETCH_BITS}rt,RFlat)"  # our own label: faiss's factory has no IP variant
HNSW_FACTORY = "IDMap2,HNSW32"  # indexes saved before the sketch: still loaded and searched
RERANKED = 320  # sketch candidates re-scored exactly per query and half
TRAINING_SAMPLE = 100_000
PARTS = 2  # halves of an inverted-file index, one per core
IVF_MIN_LISTS, IVF_MAX_LISTS = 64, 1024
IVF_PROBE_SHARE = 1 / 8  # share of the lists scanned per query (measured: see the module doc)
PQ_DIMS = 4  # dimensions per 4-bit product-quantiser code: 160 codes for a 640-d vector
IVF_RERANKED = 4000  # candidates per query and half re-scored exactly (near-ties: see the module doc)
IVF_REGROW = 4  # retrain the lists once the index holds this many times the vectors it was trained on


def ivf_factory(lists: int, dimension: int) -> str:
    codes = dimension // PQ_DIMS if dimension % PQ_DIMS == 0 else dimension  # one code per dimension if it does not divide
    return f"IDMap2,IVF{lists},PQ{codes}x4fs,RFlat"


def ivf_lists(count: int) -> int:
    """√count lists or up to twice that, a power of two between IVF_MIN_LISTS and IVF_MAX_LISTS.

    Rounded up: on real vectors at 1M, 1,024 lists found more of a query's nearest faces than 512
    for the same share of the index scanned (lists nearer one person's photos each)."""
    return int(min(IVF_MAX_LISTS, max(IVF_MIN_LISTS, 2 ** math.ceil(math.log2(max(1, count) ** 0.5)))))


def _is_ivf(factory: str) -> bool:
    return factory.startswith("IDMap2,IVF")


@dataclass(frozen=True)
class FaceHit:
    record_key: str
    photo_id: str
    score: float  # cosine similarity in [-1, 1]


class FaceIndex:
    """Vectors of face photos. Add, remove, search by cosine; filter by kind and open records."""

    def __init__(self, *, model_id: str, dimension: int = 512, flat_max: int = 20_000, ef_search: int = 256) -> None:
        if faiss is None:
            raise EmbeddingError("the face index needs faiss: pip install 'trackchild[faces]'") from _IMPORT_ERROR
        self.model_id = model_id
        self.dimension = dimension
        self.flat_max = flat_max
        self.ef_search = ef_search
        self.factory = FLAT_FACTORY
        # the faiss indexes that hold the vectors (one, or the sketch's halves), and the one searched
        self._parts = [faiss.index_factory(dimension, FLAT_FACTORY, faiss.METRIC_INNER_PRODUCT)]
        self._index = self._parts[0]
        self._next_id = 0
        self._keys: dict[int, tuple[str, str, str, bool]] = {}  # id → (record key, photo id, kind, open)
        self._by_photo: dict[tuple[str, str], int] = {}
        self._by_record: dict[str, set[int]] = {}
        self._removed: set[int] = set()  # tombstones (the sketch and the inverted file cannot delete in place)
        self._trained_on = 0  # vectors the inverted file's lists were trained on

    # -- writing ---------------------------------------------------------------
    def add(self, *, record_key: str, photo_id: str, vector: np.ndarray, kind: str, is_open: bool = True) -> None:
        """Add or replace the vector of one photo (one face per photo: its primary face)."""
        self.add_batch([(record_key, photo_id, kind, is_open)], vector[None])

    def add_batch(self, items: list[tuple[str, str, str, bool]], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        if len(items) != len(vectors):
            raise ValueError("one vector per item")
        norms = np.linalg.norm(vectors, axis=1)
        if not np.allclose(norms, 1.0, atol=1e-3):
            raise ValueError("face vectors must be L2-normalised")
        for record_key, photo_id, _kind, _open in items:
            old = self._by_photo.get((record_key, photo_id))
            if old is not None:
                self._drop(old)
        ids = np.arange(self._next_id, self._next_id + len(items), dtype=np.int64)
        self._next_id += len(items)
        for vid, item in zip(ids.tolist(), items, strict=True):
            self._remember(vid, item)
        self._add_to_parts(vectors, ids)
        if self.factory == FLAT_FACTORY and self._index.ntotal > self.flat_max:
            self._rebuild(ivf_factory(ivf_lists(len(self._keys)), self.dimension))
        elif self.factory != FLAT_FACTORY and len(self._keys) > IVF_REGROW * max(1, self._trained_on):
            # a grown index gets more lists (and a sketch saved before issue 13 is replaced)
            self._rebuild(ivf_factory(ivf_lists(len(self._keys)), self.dimension))

    def _remember(self, vid: int, item: tuple[str, str, str, bool]) -> None:
        self._keys[vid] = item
        self._by_photo[(item[0], item[1])] = vid
        self._by_record.setdefault(item[0], set()).add(vid)

    def _drop(self, vid: int) -> None:
        record_key, photo_id, *_ = self._keys.pop(vid)
        self._by_photo.pop((record_key, photo_id), None)
        self._by_record.get(record_key, set()).discard(vid)
        if self.factory == FLAT_FACTORY:
            self._index.remove_ids(np.array([vid], dtype=np.int64))
        else:
            self._removed.add(vid)

    def has_photo(self, record_key: str, photo_id: str) -> bool:
        return (record_key, photo_id) in self._by_photo

    def photo_keys(self) -> list[tuple[str, str]]:
        return list(self._by_photo)

    def remove_photo(self, record_key: str, photo_id: str) -> bool:
        vid = self._by_photo.get((record_key, photo_id))
        if vid is None:
            return False
        self._drop(vid)
        return True

    def remove(self, record_key: str) -> int:
        """Remove every photo of a record; returns how many vectors went."""
        gone = list(self._by_record.pop(record_key, set()))
        for vid in gone:
            self._drop(vid)
        return len(gone)

    def set_open(self, record_key: str, is_open: bool) -> bool:
        """A record closed (traced, restored) stops appearing in open-only searches.

        Returns True when a flag changed.
        """
        changed = False
        for vid in self._by_record.get(record_key, set()):
            key, photo_id, kind, was_open = self._keys[vid]
            if was_open != is_open:
                self._keys[vid] = (key, photo_id, kind, is_open)
                changed = True
        return changed

    def _add_to_parts(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        """Vector ``id`` lives in part ``id % parts``: halves stay even and findable."""
        if len(self._parts) == 1:
            self._parts[0].add_with_ids(vectors, ids)
            return
        for number, part in enumerate(self._parts):
            mine = ids % len(self._parts) == number
            if mine.any():
                part.add_with_ids(vectors[mine], ids[mine])
        self._index.syncWithSubIndexes()

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        out = np.zeros((len(ids), self.dimension), np.float32)
        for number, part in enumerate(self._parts):
            mine = np.flatnonzero(ids % len(self._parts) == number)
            for start in range(0, len(mine), 100_000):
                chunk = mine[start : start + 100_000]
                out[chunk] = part.reconstruct_batch(ids[chunk])
        return out

    def _rebuild(self, factory: str) -> None:
        """Move every live vector into fresh faiss indexes of the given kind."""
        live = np.array(sorted(self._keys), dtype=np.int64)
        vectors = self._vectors_of(live) if len(live) else np.zeros((0, self.dimension), np.float32)
        if _is_ivf(factory):
            trained = self._new_ivf_part(factory, vectors)
            self._use_parts([trained, *(faiss.clone_index(trained) for _ in range(PARTS - 1))])
            self._trained_on = len(live)
        elif factory == SKETCH_FACTORY:
            trained = self._new_sketch_part(vectors)
            self._use_parts([trained, *(faiss.clone_index(trained) for _ in range(SKETCH_PARTS - 1))])
        else:
            self._use_parts([faiss.index_factory(self.dimension, factory, faiss.METRIC_INNER_PRODUCT)])
        self.factory = factory
        self._removed = set()
        if len(live):
            self._add_to_parts(vectors, live)

    def _use_parts(self, parts: list) -> None:  # type: ignore[type-arg]
        self._parts = parts
        if len(parts) == 1:
            self._index = parts[0]
            return
        shards = faiss.IndexShards(self.dimension, True, False)  # threaded; ids are the parts' own
        for part in parts:
            shards.add_shard(part)
        self._index = shards

    def _new_ivf_part(self, factory: str, vectors: np.ndarray):  # type: ignore[no-untyped-def]
        """Lists trained (k-means on a sample) on these vectors, still empty; every half a copy of it."""
        part = faiss.index_factory(self.dimension, factory, faiss.METRIC_INNER_PRODUCT)
        sample = vectors
        if len(vectors) > TRAINING_SAMPLE:
            sample = vectors[np.random.default_rng(0).choice(len(vectors), TRAINING_SAMPLE, replace=False)]
        part.train(sample)
        return part

    def _new_sketch_part(self, vectors: np.ndarray):  # type: ignore[no-untyped-def]
        """Random rotation + per-bit median thresholds (trained on these vectors), exact re-rank.

        faiss keeps both parts in L2 terms; on unit vectors L2 order is cosine order and
        ``search_batch`` turns squared distances back into cosines. The halves are copies of
        one trained (still empty) part, so all halves sketch alike.
        """
        sketch = faiss.IndexLSH(self.dimension, SKETCH_BITS, True, True)  # rotate, train thresholds
        refined = faiss.IndexRefineFlat(sketch)
        sample = vectors
        if len(vectors) > TRAINING_SAMPLE:
            sample = vectors[np.random.default_rng(0).choice(len(vectors), TRAINING_SAMPLE, replace=False)]
        refined.train(sample)
        return faiss.IndexIDMap2(refined)

    # -- reading ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._keys)

    def search(self, vector: np.ndarray, *, k: int = 10, kind: str | None = None, only_open: bool = False) -> list[FaceHit]:
        """Best photo per record, highest cosine first."""
        hits = self.search_batch(vector[None], k=k, kind=kind, only_open=only_open)
        return hits[0]

    def search_batch(self, vectors: np.ndarray, *, k: int = 10, kind: str | None = None, only_open: bool = False) -> list[list[FaceHit]]:
        if len(self._keys) == 0:
            return [[] for _ in range(len(vectors))]
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dimension)
        # over-fetch: filters, tombstones and several photos per record eat into k
        fetch = min(self._index.ntotal, max(4 * k, k + len(self._removed)) * (4 if kind or only_open else 1))
        if self.factory == SKETCH_FACTORY:
            for part in self._parts:
                faiss.downcast_index(part.index).k_factor = max(2.0, RERANKED / fetch)
        elif self.factory == HNSW_FACTORY:
            faiss.downcast_index(self._index.index).hnsw.efSearch = max(self.ef_search, fetch)
        elif _is_ivf(self.factory):
            for part in self._parts:
                ivf = faiss.extract_index_ivf(part)
                ivf.nprobe = max(1, round(ivf.nlist * IVF_PROBE_SHARE))
                faiss.downcast_index(part.index).k_factor = max(2.0, IVF_RERANKED / fetch)
        scores, ids = self._index.search(vectors, fetch)
        if self.factory == SKETCH_FACTORY:
            scores = 1.0 - scores / 2.0  # squared L2 between unit vectors → cosine
        out: list[list[FaceHit]] = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            best: dict[str, FaceHit] = {}
            for score, vid in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                item = self._keys.get(vid)
                if vid < 0 or item is None or vid in self._removed:
                    continue
                record_key, photo_id, item_kind, is_open = item
                if (kind and item_kind != kind) or (only_open and not is_open) or record_key in best:
                    continue
                best[record_key] = FaceHit(record_key, photo_id, float(score))
                if len(best) == k:
                    break
            out.append(list(best.values()))
        return out

    # -- persistence -------------------------------------------------------------
    def manifest(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "normalised": True,
            "metric": "inner_product",
            "factory": self.factory,
            "count": len(self),
            "trained_on": self._trained_on,
            "built_at": dt.datetime.now(dt.UTC).isoformat(),
        }

    def save(self, folder: Path) -> None:
        """Write to ``folder`` atomically: a crash never leaves a half-written index."""
        if self._removed:
            self._rebuild(self.factory)  # drop tombstones before saving
        folder = Path(folder)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for number, part in enumerate(self._parts):
            faiss.write_index(part, str(tmp / _part_file(number, len(self._parts))))
        meta = {"next_id": self._next_id, "items": [[vid, *item] for vid, item in sorted(self._keys.items())]}
        (tmp / "meta.json").write_bytes(orjson.dumps(meta))  # plain data: nothing is unpickled on load
        (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=2))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, *, model_id: str, dimension: int = 512, flat_max: int = 20_000, ef_search: int = 256) -> FaceIndex:
        """Open a saved index; refuses one built by another model or with another shape."""
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        expected = {"model_id": model_id, "dimension": dimension, "normalised": True, "format_version": FORMAT_VERSION}
        wrong = {k: manifest.get(k) for k, v in expected.items() if manifest.get(k) != v}
        if wrong:
            raise FaceIndexMismatch(
                f"face index at {folder} was built with {wrong}, this service needs {expected}; re-embed with 'trackchild reindex'"
            )
        index = cls(model_id=model_id, dimension=dimension, flat_max=flat_max, ef_search=ef_search)
        index.factory = manifest["factory"]
        count = SKETCH_PARTS if index.factory == SKETCH_FACTORY else PARTS if _is_ivf(index.factory) else 1
        index._use_parts([faiss.read_index(str(folder / _part_file(n, count))) for n in range(count)])
        index._trained_on = int(manifest.get("trained_on", manifest.get("count", 0)))
        meta = orjson.loads((folder / "meta.json").read_bytes())
        for vid, key, photo, kind, is_open in meta["items"]:
            index._remember(int(vid), (str(key), str(photo), str(kind), bool(is_open)))
        index._next_id = int(meta["next_id"])
        return index


def _part_file(number: int, count: int) -> str:
    return "index.faiss" if count == 1 else f"index-{number}.faiss"
