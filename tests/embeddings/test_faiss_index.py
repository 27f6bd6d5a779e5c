"""The FAISS face index: add/replace/remove, filters, the sketch beyond the flat size, save/load, model checks."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings import FaceIndex, FaceIndexMismatch
from embeddings.faiss_index import FLAT_FACTORY, SKETCH_FACTORY, ivf_factory


def unit(rng: np.random.Generator, n: int, d: int = 512) -> np.ndarray:
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def clustered(rng: np.random.Generator, n: int, centres: int = 50) -> np.ndarray:
    """Face-like data: identities as clusters, photos as noisy members."""
    c = unit(rng, centres)
    v = c[rng.integers(0, centres, n)] + 0.08 * rng.standard_normal((n, 512)).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_add_search_replace_remove() -> None:
    rng = np.random.default_rng(1)
    v = unit(rng, 3)
    index = FaceIndex(model_id="m")
    index.add(record_key="missing:A", photo_id="p1", vector=v[0], kind="missing")
    index.add(record_key="found:B", photo_id="p2", vector=v[1], kind="found")
    hit = index.search(v[0], k=1)[0]
    assert (hit.record_key, hit.photo_id) == ("missing:A", "p1") and hit.score == pytest.approx(1.0, abs=1e-5)
    index.add(record_key="missing:A", photo_id="p1", vector=v[2], kind="missing")  # replaced, not duplicated
    assert len(index) == 2
    assert index.search(v[2], k=1)[0].record_key == "missing:A"
    assert index.remove("missing:A") == 1
    assert [h.record_key for h in index.search(v[2], k=5)] == ["found:B"]


def test_one_hit_per_record_and_filters() -> None:
    rng = np.random.default_rng(2)
    v = unit(rng, 4)
    index = FaceIndex(model_id="m")
    index.add_batch([("missing:A", "p1", "missing", True), ("missing:A", "p2", "missing", True), ("found:B", "p3", "found", True)], v[:3])
    index.add(record_key="found:C", photo_id="p4", vector=v[3], kind="found", is_open=False)
    assert [h.record_key for h in index.search(v[0], k=10)].count("missing:A") == 1
    assert {h.record_key for h in index.search(v[0], k=10, kind="found")} == {"found:B", "found:C"}
    assert {h.record_key for h in index.search(v[0], k=10, kind="found", only_open=True)} == {"found:B"}


def test_unnormalised_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match="L2-normalised"):
        FaceIndex(model_id="m").add(record_key="k", photo_id="p", vector=np.ones(512, np.float32), kind="found")


def test_switches_to_the_inverted_file_beyond_flat_max_with_high_recall_and_exact_scores(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # 150 identities of 20 photos; two photos of one identity score about 0.55, as real faces do
    rng = np.random.default_rng(3)
    centres = unit(rng, 150)
    members = centres[np.repeat(np.arange(150), 20)] + 0.04 * rng.standard_normal((3000, 512)).astype(np.float32)
    data = members / np.linalg.norm(members, axis=1, keepdims=True)
    exact = FaceIndex(model_id="m", flat_max=10**6)
    approx = FaceIndex(model_id="m", flat_max=1000)
    items = [(f"found:{i}", "p", "found", True) for i in range(len(data))]
    exact.add_batch(items, data)
    approx.add_batch(items, data)
    assert exact.factory == FLAT_FACTORY and approx.factory == ivf_factory(64, 512)  # about √3000 lists
    fresh = centres[rng.integers(0, 150, 100)] + 0.04 * rng.standard_normal((100, 512)).astype(np.float32)  # new photos
    queries = fresh / np.linalg.norm(fresh, axis=1, keepdims=True)
    approx_hits, exact_hits = approx.search_batch(queries, k=10), exact.search_batch(queries, k=10)
    pairs = list(zip(approx_hits, exact_hits, strict=True))
    recall = np.mean([len({h.record_key for h in a} & {h.record_key for h in e}) / 10 for a, e in pairs])
    assert recall >= 0.95
    # every vector of a scanned list is scored exactly: the scores are the true cosines, best first
    for a, e in pairs:
        truth = {h.record_key: h.score for h in e}
        assert all(abs(h.score - truth[h.record_key]) < 1e-4 for h in a if h.record_key in truth)
        assert [h.score for h in a] == sorted((h.score for h in a), reverse=True)
    approx.remove("found:0")  # removal: tombstoned, never returned
    assert all(h.record_key != "found:0" for h in approx.search(data[0], k=10))
    approx.save(tmp_path / "faces")  # tombstones dropped, the lists kept
    loaded = FaceIndex.load(tmp_path / "faces", model_id="m")
    assert loaded.factory == ivf_factory(64, 512) and len(loaded) == 2999
    assert [h.record_key for h in loaded.search(data[1], k=1)] == ["found:1"]
    # growing fourfold past what the lists were trained on retrains them, with more lists
    more = unit(rng, 9100)
    loaded.add_batch([(f"found:x{i}", "p", "found", True) for i in range(len(more))], more)
    assert loaded.factory == ivf_factory(128, 512) and len(loaded) == 12099
    assert [h.record_key for h in loaded.search(data[1], k=1)] == ["found:1"]
    assert [h.record_key for h in loaded.search(more[5], k=1)] == ["found:x5"]


def test_an_index_saved_as_a_sketch_still_loads_searches_and_is_replaced_when_it_grows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(4)
    data = clustered(rng, 2000)
    index = FaceIndex(model_id="m")
    index.add_batch([(f"found:{i}", "p", "found", True) for i in range(len(data))], data)
    index._rebuild(SKETCH_FACTORY)  # as indexes were built before issue 13
    index.save(tmp_path / "faces")
    loaded = FaceIndex.load(tmp_path / "faces", model_id="m")
    assert loaded.factory == SKETCH_FACTORY
    hit = loaded.search(data[7], k=1)[0]
    assert hit.record_key == "found:7" and abs(hit.score - 1.0) < 1e-4
    more = clustered(rng, 6100)
    loaded.add_batch([(f"found:y{i}", "p", "found", True) for i in range(len(more))], more)
    assert loaded.factory == ivf_factory(128, 512)
    assert [h.record_key for h in loaded.search(data[7], k=1)] == ["found:7"]


def test_save_and_load_round_trip_and_refuse_other_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    v = unit(rng, 20)
    index = FaceIndex(model_id="facenet-a")
    index.add_batch([(f"missing:{i}", f"p{i}", "missing", i % 2 == 0) for i in range(20)], v)
    index.remove("missing:3")
    folder = tmp_path / "face_index"
    index.save(folder)
    index.save(folder)  # overwrite atomically
    loaded = FaceIndex.load(folder, model_id="facenet-a")
    assert len(loaded) == 19
    assert [h.record_key for h in loaded.search(v[4], k=1)] == ["missing:4"]
    assert {h.record_key for h in loaded.search(v[4], k=30, only_open=True)} == {f"missing:{i}" for i in range(0, 20, 2)}
    with pytest.raises(FaceIndexMismatch, match="facenet-a"):
        FaceIndex.load(folder, model_id="facenet-b")
    assert not (tmp_path / "face_index.tmp").exists()
