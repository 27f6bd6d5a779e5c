"""Our MTCNN driver against facenet-pytorch's own, and the pipeline's speed-ups against plain runs.

Real photos, real weights: the driver must find the faces facenet-pytorch finds with the
same settings, JPEG reduction must keep boxes in the photo's own pixels, and the workers
must not change any result.
"""

from __future__ import annotations

import numpy as np
import pytest

from embeddings import FaceConfig, FacePipeline
from embeddings.mtcnn import CascadeSettings, MtcnnCascade
from embeddings.transforms import decode_image, decode_reduced, detection_copy
from tests.embeddings.conftest import FACES, photo

STOCK = CascadeSettings(min_face_px=20, thresholds=(0.6, 0.7, 0.7), pyramid_factor=0.709)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_driver_finds_the_faces_facenet_pytorch_finds() -> None:
    from facenet_pytorch import MTCNN

    stock = MTCNN(keep_all=True, post_process=False, device="cpu")
    ours = MtcnnCascade(STOCK)
    matched = extra = 0
    for path in sorted(FACES.glob("*.jpg")):
        copy, _ = detection_copy(decode_image(path.read_bytes(), max_bytes=10**8, max_pixels=10**9), 640)
        boxes, probs = stock.detect(copy)
        if boxes is None:
            boxes, probs = [], []
        theirs = [(np.asarray(b, float), float(p)) for b, p in zip(boxes, probs, strict=True) if p >= 0.9]
        found = ours.detect(copy)
        mine = [(b.astype(float), float(p)) for b, p in zip(found.boxes, found.probs, strict=True) if p >= 0.9]
        assert found.landmarks.shape == (len(found.boxes), 5, 2)
        for box, prob in theirs:
            best = max(mine, key=lambda m: _iou(box, m[0]), default=None)
            assert best is not None and _iou(box, best[0]) >= 0.8, f"{path.name}: face {box.round()} not found"
            assert abs(best[1] - prob) < 0.05, f"{path.name}: probability {best[1]:.3f} against {prob:.3f}"
            matched += 1
        extra += sum(1 for box, _ in mine if max((_iou(box, t[0]) for t in theirs), default=0.0) < 0.5)
    assert matched >= 9  # every fixture face, incl. both of kit_with_rose.jpg
    assert extra <= 1  # resampling differs slightly (area filter), so a borderline detection may differ


def test_large_jpeg_is_decoded_reduced_and_boxes_stay_in_its_own_pixels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = photo("biden_2.jpg")  # 1200 x 1200
    image, scale = decode_reduced(data, max_bytes=10**8, max_pixels=10**9, max_side=500)
    assert image.size == (600, 600) and scale == pytest.approx(0.5)  # libjpeg scales by 1/2, 1/4 or 1/8
    full = FacePipeline(FaceConfig(models_dir=tmp_path, decode_max_side=4000)).load().embed_image(data)[0]
    reduced = FacePipeline(FaceConfig(models_dir=tmp_path, decode_max_side=500)).load().embed_image(data)[0]
    assert all(abs(a - b) < 0.04 * 1200 for a, b in zip(full.box, reduced.box, strict=True))
    assert float(full.embedding @ reduced.embedding) > 0.95  # measured 0.98 at half the pixels


def test_workers_change_no_result(face_config: FaceConfig, pipeline: FacePipeline) -> None:
    photos = [photo(n) for n in ("obama_4.jpg", "kit_with_rose.jpg", "biden_2.jpg", "paul_allen_1.jpg", "obama_5.jpg")]
    alone = FacePipeline(face_config.model_copy(update={"threads": 1, "batch_size": 2})).load().embed_images(photos)
    side_by_side = pipeline.embed_images(photos)
    assert pipeline.cfg.threads == 2
    for a, b in zip(alone, side_by_side, strict=True):
        assert len(a.faces) == len(b.faces) > 0
        for fa, fb in zip(a.faces, b.faces, strict=True):
            assert fa.box == fb.box and float(fa.embedding @ fb.embedding) > 0.9999
